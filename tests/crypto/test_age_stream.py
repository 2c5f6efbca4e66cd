"""AgeWriter and AgeReader: chunk boundaries, range reads, read costs, tampering, rewrapping."""

from __future__ import annotations

import io
import os
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.crypto.age import (
    CHUNK_SIZE,
    AgeError,
    AgeReader,
    AgeWriter,
    BytesSource,
    FileSource,
    HeaderError,
    HeaderMacError,
    Identity,
    NoMatchingIdentity,
    PayloadError,
    decrypt_bytes,
    decrypt_stream,
    encrypt_bytes,
    rewrap_header,
    unwrap_file_key,
)
from app.crypto.age.header import b64decode_raw, b64encode_raw
from app.crypto.age.stream import (
    ENCRYPTED_CHUNK_SIZE,
    NONCE_SIZE,
    TAG_SIZE,
    PayloadCipher,
    payload_key,
)

IDENTITY = Identity.generate()
OTHER = Identity.generate()
BOUNDARY_SIZES = [
    0,
    1,
    CHUNK_SIZE - 1,
    CHUNK_SIZE,
    CHUNK_SIZE + 1,
    2 * CHUNK_SIZE,
    2 * CHUNK_SIZE + 1,
    3 * CHUNK_SIZE - 1,
]


def plaintext_of(size: int, seed: int = 0) -> bytes:
    """Deterministic random bytes, so a misplaced or repeated chunk shows."""
    return random.Random(seed).randbytes(size)


def encrypt(data: bytes, write_size: int | None = None) -> bytes:
    out = bytearray()
    writer = AgeWriter(out.extend, [IDENTITY.recipient])
    step = write_size or max(len(data), 1)
    for i in range(0, len(data), step):
        writer.write(data[i : i + step])
    writer.close()
    return bytes(out)


def payload_offset(ciphertext: bytes) -> int:
    return AgeReader.open(BytesSource(ciphertext), [IDENTITY]).payload_offset


def chunk_span(ciphertext: bytes, index: int) -> tuple[int, int]:
    start = payload_offset(ciphertext) + NONCE_SIZE + index * ENCRYPTED_CHUNK_SIZE
    return start, min(start + ENCRYPTED_CHUNK_SIZE, len(ciphertext))


class CountingSource:
    """A RandomAccessSource that records every read, standing in for a ranged GET."""

    def __init__(self, data: bytes) -> None:
        self._inner = BytesSource(data)
        self.size = self._inner.size
        self.reads: list[tuple[int, int]] = []

    def read_at(self, offset: int, length: int) -> bytes:
        self.reads.append((offset, length))
        return self._inner.read_at(offset, length)

    @property
    def bytes_read(self) -> int:
        return sum(length for _, length in self.reads)


def read_all_seekable(ciphertext: bytes, identity: Identity = IDENTITY) -> tuple[bytes, AgeError]:
    """Plaintext released before the error, and the error (callers check its class)."""
    released = bytearray()
    with pytest.raises(AgeError) as caught:
        for chunk in AgeReader.open(BytesSource(ciphertext), [identity]).iter_all():
            released += chunk
    return bytes(released), caught.value


def read_all_sequential(ciphertext: bytes) -> tuple[bytes, AgeError]:
    released = bytearray()
    with pytest.raises(AgeError) as caught:
        for chunk in decrypt_stream(io.BytesIO(ciphertext), [IDENTITY]):
            released += chunk
    return bytes(released), caught.value


# Round trips


@pytest.mark.parametrize("size", BOUNDARY_SIZES)
@pytest.mark.parametrize("write_size", [None, 1000, CHUNK_SIZE, CHUNK_SIZE + 7])
def test_round_trip_at_chunk_boundaries(size: int, write_size: int | None) -> None:
    data = plaintext_of(size)
    ciphertext = encrypt(data, write_size)
    reader = AgeReader.open(BytesSource(ciphertext), [IDENTITY])
    assert reader.plaintext_size == size
    assert b"".join(reader.iter_all()) == data
    assert b"".join(decrypt_stream(io.BytesIO(ciphertext), [IDENTITY])) == data


@pytest.mark.parametrize("size", BOUNDARY_SIZES)
def test_ciphertext_has_one_tag_per_chunk_and_no_empty_final_chunk(size: int) -> None:
    ciphertext = encrypt(plaintext_of(size))
    chunks = max(1, -(-size // CHUNK_SIZE))
    assert len(ciphertext) == payload_offset(ciphertext) + NONCE_SIZE + size + chunks * TAG_SIZE


def test_writer_holds_back_only_one_chunk() -> None:
    sink = bytearray()
    writer = AgeWriter(sink.extend, [IDENTITY.recipient])
    writer.write(plaintext_of(10 * CHUNK_SIZE))
    # Nine chunks are out already; the tenth waits to learn whether it is the last.
    assert len(sink) == writer.header_size + 9 * ENCRYPTED_CHUNK_SIZE
    writer.write(b"")
    assert len(sink) == writer.header_size + 9 * ENCRYPTED_CHUNK_SIZE
    writer.close()
    assert len(sink) == writer.header_size + 10 * ENCRYPTED_CHUNK_SIZE
    assert writer.ciphertext_size == len(sink)
    assert writer.plaintext_size == 10 * CHUNK_SIZE


def test_writer_accepts_a_file_object_sink_and_writes_the_header_on_close() -> None:
    sink = io.BytesIO()
    with AgeWriter(sink, [IDENTITY.recipient]) as writer:
        assert sink.getvalue() == b""
    assert writer.closed
    assert decrypt_bytes(sink.getvalue(), [IDENTITY]) == b""


def test_writer_leaves_no_final_chunk_when_the_with_block_fails() -> None:
    sink = io.BytesIO()
    with pytest.raises(RuntimeError), AgeWriter(sink, [IDENTITY.recipient]) as writer:
        writer.write(plaintext_of(CHUNK_SIZE + 10))
        raise RuntimeError("upload aborted")
    with pytest.raises(PayloadError):
        decrypt_bytes(sink.getvalue(), [IDENTITY])


def test_writer_rejects_writes_after_close() -> None:
    writer = AgeWriter(bytearray().extend, [IDENTITY.recipient])
    writer.close()
    with pytest.raises(ValueError, match="closed"):
        writer.write(b"late")


def test_given_file_key_is_the_one_wrapped() -> None:
    out = bytearray()
    writer = AgeWriter(out.extend, [IDENTITY.recipient], file_key=bytes(range(16)))
    writer.close()
    assert unwrap_file_key(bytes(out), [IDENTITY]) == bytes(range(16))


def test_file_source_reads_a_path(tmp_path) -> None:
    data = plaintext_of(2 * CHUNK_SIZE + 3)
    path = tmp_path / "blob.age"
    path.write_bytes(encrypt(data))
    with FileSource(path) as source:
        assert b"".join(AgeReader.open(source, [IDENTITY]).iter_all()) == data
    with path.open("rb") as handle:
        reader = AgeReader.open(FileSource(handle), [IDENTITY])
        assert (
            b"".join(reader.iter_range(CHUNK_SIZE - 2, CHUNK_SIZE + 2))
            == data[CHUNK_SIZE - 2 : CHUNK_SIZE + 2]
        )


# Range reads

RANGE_DATA = plaintext_of(3 * CHUNK_SIZE + 1234, seed=7)
RANGE_READER = AgeReader.open(BytesSource(encrypt(RANGE_DATA)), [IDENTITY])


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (0, 0),
        (0, 1),
        (0, CHUNK_SIZE),
        (CHUNK_SIZE - 1, CHUNK_SIZE + 1),
        (CHUNK_SIZE, 2 * CHUNK_SIZE),
        (2 * CHUNK_SIZE - 1, 3 * CHUNK_SIZE + 1),
        (3 * CHUNK_SIZE, 3 * CHUNK_SIZE + 1234),
        (len(RANGE_DATA) - 1, len(RANGE_DATA)),
        (100, 10**12),
        (len(RANGE_DATA), len(RANGE_DATA) + 5),
        (5, 3),
    ],
)
def test_iter_range_at_edges(start: int, end: int) -> None:
    assert b"".join(RANGE_READER.iter_range(start, end)) == RANGE_DATA[start:end]


@settings(max_examples=300, deadline=None)
@given(
    start=st.integers(0, len(RANGE_DATA) + 10),
    length=st.integers(0, 2 * CHUNK_SIZE + 10),
    buffer_chunks=st.integers(1, 5),
)
def test_iter_range_equals_the_plaintext_slice(start: int, length: int, buffer_chunks: int) -> None:
    got = b"".join(RANGE_READER.iter_range(start, start + length, buffer_chunks))
    assert got == RANGE_DATA[start : start + length]


@settings(max_examples=100, deadline=None)
@given(ops=st.lists(st.tuples(st.integers(0, len(RANGE_DATA) + 3), st.integers(0, 70000))))
def test_file_wrapper_seek_and_read_match_the_plaintext(ops: list[tuple[int, int]]) -> None:
    handle = io.BufferedReader(RANGE_READER.as_file())
    for position, size in ops:
        handle.seek(position)
        assert handle.read(size) == RANGE_DATA[position : position + size]
        assert handle.tell() == min(position + size, max(position, len(RANGE_DATA)))
    handle.seek(-10, os.SEEK_END)
    assert handle.read() == RANGE_DATA[-10:]


def test_range_at_the_end_of_a_large_file_reads_only_header_and_covering_chunks() -> None:
    data = plaintext_of(10 * 1024 * 1024 + 5)
    ciphertext = encrypt(data)
    source = CountingSource(ciphertext)
    reader = AgeReader.open(source, [IDENTITY])
    header_read = source.reads[0][1]
    assert header_read <= 8192 + 2 * ENCRYPTED_CHUNK_SIZE
    last = reader.chunk_count - 1
    # Open reads the header (with the nonce) and authenticates the final chunk.
    assert source.bytes_read == header_read + (len(ciphertext) - chunk_span(ciphertext, last)[0])

    opened = source.bytes_read
    tail = b"".join(reader.iter_range(len(data) - CHUNK_SIZE, len(data)))
    assert tail == data[-CHUNK_SIZE:]
    # The range covers the last two chunks; the final one is already verified and held.
    assert source.bytes_read - opened == ENCRYPTED_CHUNK_SIZE
    assert source.reads[-1][0] == chunk_span(ciphertext, last - 1)[0]


def test_a_mebibyte_costs_the_same_at_the_start_and_deep_in_the_file() -> None:
    data = plaintext_of(20 * 1024 * 1024)
    source = CountingSource(encrypt(data))
    reader = AgeReader.open(source, [IDENTITY])
    costs = []
    for start in (0, 15 * 1024 * 1024):
        before = source.bytes_read
        assert (
            b"".join(reader.iter_range(start, start + 1024 * 1024, 4))
            == data[start : start + 1024 * 1024]
        )
        costs.append(source.bytes_read - before)
    assert costs[0] == costs[1] == 16 * ENCRYPTED_CHUNK_SIZE


# Tampering: every case raises, and nothing from the bad chunk (or after it) comes out.

TAMPER_DATA = plaintext_of(3 * CHUNK_SIZE + 500, seed=3)
TAMPER_CIPHERTEXT = encrypt(TAMPER_DATA)


def flip_bit(data: bytes, position: int) -> bytes:
    out = bytearray(data)
    out[position] ^= 0x10
    return bytes(out)


@pytest.mark.parametrize("index", range(4))
def test_flipped_bit_in_a_chunk_stops_at_that_chunk(index: int) -> None:
    start, end = chunk_span(TAMPER_CIPHERTEXT, index)
    tampered = flip_bit(TAMPER_CIPHERTEXT, (start + end) // 2)
    released, error = read_all_seekable(tampered)
    assert isinstance(error, PayloadError)
    # The final chunk is checked at open, so flipping it releases nothing at all.
    assert released == (b"" if index == 3 else TAMPER_DATA[: index * CHUNK_SIZE])
    released, error = read_all_sequential(tampered)
    assert isinstance(error, PayloadError)
    assert released == TAMPER_DATA[: index * CHUNK_SIZE]


def test_flipped_bit_in_the_payload_nonce_fails() -> None:
    tampered = flip_bit(TAMPER_CIPHERTEXT, payload_offset(TAMPER_CIPHERTEXT) + 3)
    released, error = read_all_seekable(tampered)
    assert isinstance(error, PayloadError)
    assert released == b""


def test_flipped_header_mac_is_a_mac_error() -> None:
    offset = payload_offset(TAMPER_CIPHERTEXT)
    mac_start = TAMPER_CIPHERTEXT.rindex(b"--- ", 0, offset) + 4
    mac = bytearray(b64decode_raw(TAMPER_CIPHERTEXT[mac_start : offset - 1]))
    mac[0] ^= 1
    tampered = (
        TAMPER_CIPHERTEXT[:mac_start]
        + b64encode_raw(bytes(mac)).encode()
        + TAMPER_CIPHERTEXT[offset - 1 :]
    )
    released, error = read_all_seekable(tampered)
    assert isinstance(error, HeaderMacError)
    assert released == b""


def test_two_chunks_swapped_fail_at_the_first_of_them() -> None:
    first, second = chunk_span(TAMPER_CIPHERTEXT, 0), chunk_span(TAMPER_CIPHERTEXT, 1)
    ct = TAMPER_CIPHERTEXT
    swapped = ct[: first[0]] + ct[second[0] : second[1]] + ct[first[0] : first[1]] + ct[second[1] :]
    assert len(swapped) == len(ct)
    for read_all in (read_all_seekable, read_all_sequential):
        released, error = read_all(swapped)
        assert isinstance(error, PayloadError)
        assert released == b""


@pytest.mark.parametrize("cut", [1, TAG_SIZE, 502, 500 + TAG_SIZE + 1, 30000])
def test_truncation_inside_a_chunk_fails(cut: int) -> None:
    truncated = TAMPER_CIPHERTEXT[:-cut]
    released, error = read_all_seekable(truncated)
    assert isinstance(error, PayloadError)
    assert released == b""
    released, error = read_all_sequential(truncated)
    assert isinstance(error, PayloadError)
    assert len(released) % CHUNK_SIZE == 0 and TAMPER_DATA.startswith(released)


def test_truncation_at_a_chunk_boundary_is_caught_at_open() -> None:
    truncated = TAMPER_CIPHERTEXT[: chunk_span(TAMPER_CIPHERTEXT, 3)[0]]
    released, error = read_all_seekable(truncated)
    assert isinstance(error, PayloadError)
    assert released == b""
    # Streaming can only know at the end; it released authentic chunks, then fails.
    released, error = read_all_sequential(truncated)
    assert isinstance(error, PayloadError)
    assert released == TAMPER_DATA[: 3 * CHUNK_SIZE]


def test_file_cut_to_its_header_and_nonce_fails() -> None:
    released, error = read_all_seekable(
        TAMPER_CIPHERTEXT[: payload_offset(TAMPER_CIPHERTEXT) + NONCE_SIZE]
    )
    assert isinstance(error, PayloadError)
    assert released == b""


@pytest.mark.parametrize("garbage_size", [1, TAG_SIZE, TAG_SIZE + 1, ENCRYPTED_CHUNK_SIZE])
def test_appended_garbage_fails(garbage_size: int) -> None:
    padded = TAMPER_CIPHERTEXT + os.urandom(garbage_size)
    released, error = read_all_seekable(padded)
    assert isinstance(error, PayloadError)
    assert released == b""


def test_wrong_identity_matches_nothing() -> None:
    released, error = read_all_seekable(TAMPER_CIPHERTEXT, OTHER)
    assert isinstance(error, NoMatchingIdentity)
    assert released == b""


def _hand_sealed(chunks: list[tuple[bytes, bool]]) -> bytes:
    """An age file whose chunks are sealed as given, to build invalid STREAMs."""
    file_key = os.urandom(16)
    out = bytearray()
    AgeWriter(out.extend, [IDENTITY.recipient], file_key=file_key).close()
    head = bytes(out[: payload_offset(bytes(out)) + NONCE_SIZE])
    cipher = PayloadCipher(payload_key(file_key, head[-NONCE_SIZE:]))
    return head + b"".join(cipher.seal(i, last, pt) for i, (pt, last) in enumerate(chunks))


FULL = plaintext_of(CHUNK_SIZE)


@pytest.mark.parametrize(
    ("name", "chunks", "authentic_prefix"),
    [
        ("missing final flag", [(FULL, False), (b"tail", False)], FULL),
        ("final flag on the first of two", [(FULL, True), (b"tail", True)], FULL),
        ("non-final empty chunk", [(b"", False), (b"tail", True)], b""),
        ("empty final chunk after data", [(FULL, False), (b"", True)], FULL),
        ("short non-final chunk", [(b"short", False), (b"tail", True)], b""),
    ],
)
def test_invalid_streams_are_payload_errors(
    name: str, chunks: list[tuple[bytes, bool]], authentic_prefix: bytes
) -> None:
    ciphertext = _hand_sealed(chunks)
    released, error = read_all_seekable(ciphertext)
    assert isinstance(error, PayloadError), name
    assert authentic_prefix.startswith(released), name
    released, error = read_all_sequential(ciphertext)
    assert isinstance(error, PayloadError), name
    assert released == authentic_prefix, name


# Hostile headers


def test_a_non_age_file_is_refused_after_its_first_read() -> None:
    source = CountingSource(b"%PDF-1.7\n" + bytes(10 * 1024 * 1024))
    with pytest.raises(HeaderError):
        AgeReader.open(source, [IDENTITY])
    assert source.bytes_read <= 8192


def test_a_header_that_never_ends_is_refused_at_the_size_limit() -> None:
    endless = b"age-encryption.org/v1\n" + (b"-> grease " + b"x" * 1000 + b"\n\n") * 3000
    source = CountingSource(endless)
    with pytest.raises(HeaderError, match="too large"):
        AgeReader.open(source, [IDENTITY])
    assert max(length for _, length in source.reads) <= 2 * 1024 * 1024
    with pytest.raises(HeaderError, match="too large"):
        decrypt_stream(io.BytesIO(endless), [IDENTITY])


# Key rotation


def test_rewrapped_file_opens_with_the_new_identity_only() -> None:
    new_identity = Identity.generate()
    new_header, old_offset = rewrap_header(
        BytesSource(TAMPER_CIPHERTEXT), [IDENTITY], [new_identity.recipient]
    )
    rotated = new_header + TAMPER_CIPHERTEXT[old_offset:]
    assert rotated[len(new_header) :] == TAMPER_CIPHERTEXT[old_offset:]
    assert decrypt_bytes(rotated, [new_identity]) == TAMPER_DATA
    with pytest.raises(NoMatchingIdentity):
        decrypt_bytes(rotated, [IDENTITY])


def test_rewrap_can_keep_the_old_recipient_too() -> None:
    new_identity = Identity.generate()
    new_header, old_offset = rewrap_header(
        BytesSource(TAMPER_CIPHERTEXT), [IDENTITY], [IDENTITY.recipient, new_identity.recipient]
    )
    rotated = new_header + TAMPER_CIPHERTEXT[old_offset:]
    assert decrypt_bytes(rotated, [IDENTITY]) == TAMPER_DATA
    assert decrypt_bytes(rotated, [new_identity]) == TAMPER_DATA
    reader = AgeReader.open(BytesSource(rotated), [new_identity])
    assert reader.payload_offset == len(new_header)


def test_rewrap_needs_a_matching_identity() -> None:
    with pytest.raises(NoMatchingIdentity):
        rewrap_header(BytesSource(TAMPER_CIPHERTEXT), [OTHER], [OTHER.recipient])


def test_encrypt_bytes_round_trip_to_several_recipients() -> None:
    ciphertext = encrypt_bytes(b"witness statement", [IDENTITY.recipient, OTHER.recipient])
    assert decrypt_bytes(ciphertext, [OTHER]) == b"witness statement"
    assert decrypt_bytes(ciphertext, [IDENTITY]) == b"witness statement"
