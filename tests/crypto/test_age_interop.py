"""Interoperability with the reference `age` and `age-keygen` binaries, both directions."""

from __future__ import annotations

import random
import shutil
import subprocess
from pathlib import Path

import pytest

from app.crypto.age import (
    CHUNK_SIZE,
    AgeReader,
    AgeWriter,
    FileSource,
    Identity,
    KeyFormatError,
    NoMatchingIdentity,
    Recipient,
    parse_identity_file,
)

# The example key pair printed in C2SP age, "The X25519 recipient type".
SPEC_IDENTITY = "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX"
SPEC_RECIPIENT = "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj"
SIZES = [0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 3 * CHUNK_SIZE, 3 * CHUNK_SIZE + 17]


def _binary(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        # Interop is the proof that outsiders can open our evidence: never skip it.
        pytest.fail(f"`{name}` not found on PATH: run `make system-deps` (Debian package `age`)")
    return path


@pytest.fixture(scope="module")
def age_bin() -> str:
    return _binary("age")


@pytest.fixture(scope="module")
def keygen_bin() -> str:
    return _binary("age-keygen")


def run(*args: str, stdin: bytes = b"") -> bytes:
    done = subprocess.run(args, input=stdin, capture_output=True, check=False, timeout=60)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return done.stdout


def plaintext_of(size: int) -> bytes:
    return random.Random(size).randbytes(size)


@pytest.fixture(scope="module")
def keygen_identity(keygen_bin: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A key file written by age-keygen, and the recipient it printed."""
    key_file = tmp_path_factory.mktemp("keys") / "key.txt"
    run(keygen_bin, "-o", str(key_file))
    recipient = run(keygen_bin, "-y", str(key_file)).decode().strip()
    return key_file, recipient


def write_with_age_writer(path: Path, data: bytes, recipients: list[Recipient]) -> None:
    with path.open("wb") as sink, AgeWriter(sink, recipients) as writer:
        # Odd write sizes exercise the writer's buffering, not just one big write.
        for i in range(0, len(data), 10_000):
            writer.write(data[i : i + 10_000])


def read_with_age_reader(path: Path, identities: list[Identity]) -> bytes:
    with FileSource(path) as source:
        return b"".join(AgeReader.open(source, identities).iter_all())


def test_age_keygen_key_file_parses(keygen_identity: tuple[Path, str]) -> None:
    key_file, recipient = keygen_identity
    (identity,) = parse_identity_file(key_file.read_text())
    assert str(identity.recipient) == recipient
    assert str(Recipient.parse(recipient)) == recipient
    secret_line = next(line for line in key_file.read_text().splitlines() if line.startswith("AGE"))
    assert str(Identity.parse(secret_line)) == secret_line


def test_our_identity_is_accepted_by_age_keygen(keygen_bin: str, tmp_path: Path) -> None:
    identity = Identity.generate()
    key_file = tmp_path / "ours.txt"
    key_file.write_text(f"# created by Custos tests\n{identity}\n")
    assert run(keygen_bin, "-y", str(key_file)).decode().strip() == str(identity.recipient)


@pytest.mark.parametrize("size", SIZES)
def test_age_decrypts_what_age_writer_wrote(
    age_bin: str, keygen_identity: tuple[Path, str], tmp_path: Path, size: int
) -> None:
    key_file, recipient = keygen_identity
    data = plaintext_of(size)
    encrypted = tmp_path / "ours.age"
    write_with_age_writer(encrypted, data, [Recipient.parse(recipient)])
    assert run(age_bin, "-d", "-i", str(key_file), str(encrypted)) == data


def test_age_decrypts_age_writer_output_for_each_of_two_recipients(
    age_bin: str, keygen_identity: tuple[Path, str], tmp_path: Path
) -> None:
    key_file, recipient = keygen_identity
    ours = Identity.generate()
    our_key_file = tmp_path / "ours.txt"
    our_key_file.write_text(f"{ours}\n")
    data = plaintext_of(2 * CHUNK_SIZE + 5)
    encrypted = tmp_path / "two.age"
    write_with_age_writer(encrypted, data, [Recipient.parse(recipient), ours.recipient])
    assert run(age_bin, "-d", "-i", str(key_file), str(encrypted)) == data
    assert run(age_bin, "-d", "-i", str(our_key_file), str(encrypted)) == data


@pytest.mark.parametrize("size", SIZES)
def test_age_reader_decrypts_what_age_wrote(age_bin: str, tmp_path: Path, size: int) -> None:
    identity = Identity.generate()
    data = plaintext_of(size)
    encrypted = tmp_path / "theirs.age"
    run(age_bin, "-r", str(identity.recipient), "-o", str(encrypted), stdin=data)
    assert read_with_age_reader(encrypted, [identity]) == data


def test_age_reader_decrypts_age_output_for_two_recipients(age_bin: str, tmp_path: Path) -> None:
    first, second, stranger = Identity.generate(), Identity.generate(), Identity.generate()
    data = plaintext_of(CHUNK_SIZE + 3)
    encrypted = tmp_path / "two.age"
    run(
        age_bin,
        *("-r", str(first.recipient), "-r", str(second.recipient)),
        *("-o", str(encrypted)),
        stdin=data,
    )
    assert read_with_age_reader(encrypted, [first]) == data
    assert read_with_age_reader(encrypted, [second]) == data
    with pytest.raises(NoMatchingIdentity):
        read_with_age_reader(encrypted, [stranger])


def test_age_reader_decrypts_age_output_of_an_empty_file(age_bin: str, tmp_path: Path) -> None:
    identity = Identity.generate()
    empty_input = tmp_path / "empty"
    empty_input.write_bytes(b"")
    encrypted = tmp_path / "empty.age"
    run(age_bin, "-r", str(identity.recipient), "-o", str(encrypted), str(empty_input))
    with FileSource(encrypted) as source:
        reader = AgeReader.open(source, [identity])
        assert reader.plaintext_size == 0
        assert b"".join(reader.iter_all()) == b""


def test_age_reader_range_reads_an_age_file(age_bin: str, tmp_path: Path) -> None:
    identity = Identity.generate()
    data = plaintext_of(5 * CHUNK_SIZE + 99)
    encrypted = tmp_path / "range.age"
    run(age_bin, "-r", str(identity.recipient), "-o", str(encrypted), stdin=data)
    with FileSource(encrypted) as source:
        reader = AgeReader.open(source, [identity])
        start, end = 3 * CHUNK_SIZE - 10, 4 * CHUNK_SIZE + 10
        assert b"".join(reader.iter_range(start, end)) == data[start:end]


def test_spec_example_identity_gives_the_spec_example_recipient() -> None:
    identity = Identity.parse(SPEC_IDENTITY)
    assert str(identity) == SPEC_IDENTITY
    assert str(identity.recipient) == SPEC_RECIPIENT
    assert Recipient.parse(SPEC_RECIPIENT) == identity.recipient


@pytest.mark.parametrize(
    ("parse", "text"),
    [
        (Identity.parse, SPEC_IDENTITY.lower()),  # identities are uppercase bech32
        (Identity.parse, SPEC_IDENTITY[:-1] + "Y"),  # checksum
        (Identity.parse, SPEC_IDENTITY[:20] + SPEC_IDENTITY[20:].lower()),  # mixed case
        (Identity.parse, SPEC_RECIPIENT),  # a recipient is not an identity
        (Recipient.parse, SPEC_RECIPIENT.upper()),  # recipients are lowercase bech32
        (Recipient.parse, SPEC_IDENTITY),
        (Recipient.parse, "age1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq"),
        (Recipient.parse, "age1"),
        (Recipient.parse, ""),
    ],
)
def test_malformed_keys_are_refused(parse, text: str) -> None:
    with pytest.raises(KeyFormatError):
        parse(text)


def test_a_low_order_recipient_cannot_be_encrypted_to() -> None:
    with pytest.raises(KeyFormatError):
        AgeWriter(bytearray().extend, [Recipient(bytes(32))])
