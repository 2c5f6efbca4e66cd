"""The C2SP CCTV age test vectors, run through both the streaming and the seekable decryptor."""

from __future__ import annotations

import hashlib
import io
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from app.crypto.age import (
    AgeError,
    AgeReader,
    ArmorError,
    BytesSource,
    HeaderError,
    HeaderMacError,
    Identity,
    NoMatchingIdentity,
    PayloadError,
    dearmor,
    decrypt_stream,
    unwrap_file_key,
)
from app.crypto.age.stream import NONCE_SIZE, StreamSealer, payload_key

VECTOR_DIR = Path(__file__).parent / "vectors" / "age-cctv"
NOT_VECTORS = {"LICENSE", "README.md", "SOURCE_COMMIT"}
X25519_PREFIX = "AGE-SECRET-KEY-1"
HYBRID_PREFIX = "AGE-SECRET-KEY-PQ-1"
# The vectors' README: "98 cases use X25519 identities".
EXPECTED_X25519_CASES = 98

EXPECT_ERRORS: dict[str, type[AgeError]] = {
    "no match": NoMatchingIdentity,
    "HMAC failure": HeaderMacError,
    "header failure": HeaderError,
    "payload failure": PayloadError,
    "armor failure": ArmorError,
}


@dataclass
class Vector:
    name: str
    expect: str
    payload_sha256: str | None
    file_key: bytes
    identities: list[str] = field(default_factory=list)
    passphrases: list[str] = field(default_factory=list)
    armored: bool = False
    body: bytes = b""

    @property
    def x25519_identities(self) -> list[Identity]:
        return [Identity.parse(s) for s in self.identities if s.startswith(X25519_PREFIX)]

    def skip_reason(self) -> str | None:
        """Why this case cannot run here, or None; cases we cannot run are named, not hidden."""
        if self.x25519_identities or (not self.identities and not self.passphrases):
            return None
        if self.passphrases:
            return "scrypt passphrase recipients are not implemented (X25519 only)"
        if any(s.startswith(HYBRID_PREFIX) for s in self.identities):
            return "ML-KEM-768+X25519 hybrid identities are not implemented (X25519 only)"
        return f"unrecognised identity type in {self.identities}"


def load_vector(path: Path) -> Vector:
    raw = path.read_bytes()
    head, _, body = raw.partition(b"\n\n")
    fields: dict[str, list[str]] = {}
    for line in head.decode("utf-8").split("\n"):
        key, sep, value = line.partition(": ")
        assert sep, f"{path.name}: malformed vector header line {line!r}"
        fields.setdefault(key, []).append(value)
    known = {"expect", "payload", "file key", "identity", "passphrase", "armored", "compressed"}
    unknown = set(fields) - known - {"comment"}
    assert not unknown, f"{path.name}: unknown keys {unknown}; the README says to ignore such cases"
    if fields.get("compressed") == ["zlib"]:
        body = zlib.decompress(body)
    else:
        assert "compressed" not in fields, f"{path.name}: unknown compression"
    return Vector(
        name=path.name,
        expect=fields["expect"][0],
        payload_sha256=fields.get("payload", [None])[0],
        file_key=bytes.fromhex(fields["file key"][0]),
        identities=fields.get("identity", []),
        passphrases=fields.get("passphrase", []),
        armored=fields.get("armored") == ["yes"],
        body=body,
    )


VECTORS = [load_vector(p) for p in sorted(VECTOR_DIR.iterdir()) if p.name not in NOT_VECTORS]


def test_vector_folder_is_complete() -> None:
    assert len(VECTORS) == 143
    assert (VECTOR_DIR / "SOURCE_COMMIT").read_text().strip()


def test_every_x25519_case_is_run() -> None:
    """A parser bug that wrongly skips cases must fail here, not pass quietly."""
    runnable = [v for v in VECTORS if v.skip_reason() is None and v.x25519_identities]
    assert len(runnable) == EXPECTED_X25519_CASES


def _decrypt_sequentially(vector: Vector) -> tuple[bytes, AgeError | None]:
    """Plaintext released before the outcome, and the error if any."""
    released = bytearray()
    try:
        data = dearmor(vector.body) if vector.armored else vector.body
        for chunk in decrypt_stream(io.BytesIO(data), vector.x25519_identities):
            released += chunk
    except AgeError as exc:
        return bytes(released), exc
    return bytes(released), None


def _decrypt_seekable(vector: Vector) -> tuple[bytes, AgeError | None]:
    released = bytearray()
    try:
        data = dearmor(vector.body) if vector.armored else vector.body
        reader = AgeReader.open(BytesSource(data), vector.x25519_identities)
        for chunk in reader.iter_all():
            released += chunk
    except AgeError as exc:
        return bytes(released), exc
    return bytes(released), None


def _assert_outcome(vector: Vector, error: AgeError | None) -> None:
    if vector.expect == "success":
        assert error is None, f"{vector.name}: expected success, got {error!r}"
        return
    expected = EXPECT_ERRORS[vector.expect]
    assert isinstance(error, expected), f"{vector.name}: expected {expected.__name__}, {error!r}"
    if expected is HeaderError:
        assert not isinstance(error, HeaderMacError), f"{vector.name}: {error!r}"


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: v.name)
def test_sequential_decryption_matches_vector(vector: Vector) -> None:
    reason = vector.skip_reason()
    if reason:
        pytest.skip(reason)
    released, error = _decrypt_sequentially(vector)
    _assert_outcome(vector, error)
    if vector.payload_sha256 is not None:
        assert hashlib.sha256(released).hexdigest() == vector.payload_sha256
    else:
        assert released == b""


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: v.name)
def test_seekable_reader_matches_vector(vector: Vector) -> None:
    """Same verdict; it may fail earlier (it checks the final chunk at open), never later."""
    reason = vector.skip_reason()
    if reason:
        pytest.skip(reason)
    released, error = _decrypt_seekable(vector)
    _assert_outcome(vector, error)
    sequential, _ = _decrypt_sequentially(vector)
    if vector.expect == "success":
        assert released == sequential
    else:
        assert sequential.startswith(released)


@pytest.mark.parametrize(
    "vector", [v for v in VECTORS if v.expect == "success"], ids=lambda v: v.name
)
def test_file_key_and_payload_reencrypt_byte_for_byte(vector: Vector) -> None:
    """The vector's file key unwraps, and our STREAM sealer reproduces its payload exactly."""
    reason = vector.skip_reason()
    if reason:
        pytest.skip(reason)
    data = dearmor(vector.body) if vector.armored else vector.body
    identities = vector.x25519_identities
    assert unwrap_file_key(data, identities) == vector.file_key
    reader = AgeReader.open(BytesSource(data), identities)
    plaintext = b"".join(reader.iter_all())
    nonce_end = reader.payload_offset + NONCE_SIZE
    nonce = data[reader.payload_offset : nonce_end]
    sealed = bytearray()
    sealer = StreamSealer(payload_key(vector.file_key, nonce), sealed.extend)
    sealer.write(plaintext)
    sealer.close()
    assert bytes(sealed) == data[nonce_end:]
