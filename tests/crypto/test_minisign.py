"""Minisign signatures: ours verify with the real minisign 0.11, and its signatures with ours."""

from __future__ import annotations

import base64
import shutil
import subprocess
from pathlib import Path

import pytest

from app.crypto.minisign import SignatureError, SigningKey, key_id_hex, verify

MESSAGE = b'{"head":"' + b"e" * 64 + b'","investigation":"INV-2024-0007","seq":2}'


@pytest.fixture(scope="module")
def minisign_bin() -> str:
    path = shutil.which("minisign")
    if path is None:
        pytest.fail(
            "the minisign binary is missing: run `make system-deps` (Debian package minisign)"
        )
    return path


def run_minisign(binary: str, *args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    # stdin closed: a password prompt must fail the test rather than hang it.
    return subprocess.run(
        [binary, *map(str, args)],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=30,
    )


@pytest.fixture
def key() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture
def real_keypair(minisign_bin: str, tmp_path: Path) -> tuple[Path, Path]:
    result = run_minisign(
        minisign_bin, "-G", "-W", "-p", "real.pub", "-s", "real.key", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    return tmp_path / "real.pub", tmp_path / "real.key"


def write_signed(tmp_path: Path, message: bytes, minisig: str) -> Path:
    path = tmp_path / "statement.json"
    path.write_bytes(message)
    (tmp_path / "statement.json.minisig").write_text(minisig)
    return path


def flip_signature_byte(minisig: str, line: int, index: int) -> str:
    lines = minisig.split("\n")
    raw = bytearray(base64.b64decode(lines[line]))
    raw[index] ^= 0x01
    lines[line] = base64.b64encode(bytes(raw)).decode()
    return "\n".join(lines)


def test_sign_then_verify_returns_the_trusted_comment(key: SigningKey) -> None:
    minisig = key.sign(MESSAGE, "custos checkpoint INV-2024-0007 seq 2")
    assert (
        verify(MESSAGE, minisig, key.public_key_string()) == "custos checkpoint INV-2024-0007 seq 2"
    )


def test_signature_is_prehashed_ed_with_the_key_id(key: SigningKey) -> None:
    packed = base64.b64decode(key.sign(MESSAGE, "c").split("\n")[1])
    assert (packed[:2], packed[2:10], len(packed)) == (b"ED", key.key_id, 74)


def test_private_bytes_round_trip_keeps_key_and_id(key: SigningKey) -> None:
    again = SigningKey.from_private_bytes(key.private_bytes(), key.key_id)
    assert again.public_key_string() == key.public_key_string()


def test_public_key_file_names_the_key_id_as_minisign_does(key: SigningKey) -> None:
    comment, encoded, end = key.public_key_file().split("\n")
    assert comment == f"untrusted comment: minisign public key {key_id_hex(key.key_id)}"
    assert (encoded, end) == (key.public_key_string(), "")
    assert encoded.startswith("RW")


def test_verify_accepts_a_pub_file_text_as_key(key: SigningKey) -> None:
    assert verify(MESSAGE, key.sign(MESSAGE, "c"), key.public_key_file()) == "c"


@pytest.mark.parametrize("comment", ["two\nlines", "carriage\rreturn", "nul\0byte", "x" * 8174])
def test_sign_refuses_a_trusted_comment_minisign_could_not_read(
    key: SigningKey, comment: str
) -> None:
    with pytest.raises(ValueError):
        key.sign(MESSAGE, comment)


def test_our_signature_verifies_with_real_minisign_by_key_string(
    minisign_bin: str, key: SigningKey, tmp_path: Path
) -> None:
    path = write_signed(tmp_path, MESSAGE, key.sign(MESSAGE, "custos checkpoint"))
    result = run_minisign(minisign_bin, "-Vm", path, "-P", key.public_key_string(), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Trusted comment: custos checkpoint" in result.stdout


def test_our_signature_verifies_with_real_minisign_by_pub_file(
    minisign_bin: str, key: SigningKey, tmp_path: Path
) -> None:
    path = write_signed(tmp_path, MESSAGE, key.sign(MESSAGE, "custos checkpoint"))
    (tmp_path / "custos.pub").write_text(key.public_key_file())
    result = run_minisign(minisign_bin, "-Vm", path, "-p", "custos.pub", cwd=tmp_path)
    assert result.returncode == 0, result.stderr


def test_longest_trusted_comment_verifies_with_real_minisign(
    minisign_bin: str, key: SigningKey, tmp_path: Path
) -> None:
    comment = "é" + "x" * 8171  # 8173 bytes: the most minisign's fgets buffer holds
    path = write_signed(tmp_path, MESSAGE, key.sign(MESSAGE, comment))
    result = run_minisign(minisign_bin, "-Vm", path, "-P", key.public_key_string(), cwd=tmp_path)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("legacy", [False, True], ids=["prehashed", "legacy"])
def test_real_minisign_signature_verifies_with_ours(
    minisign_bin: str, real_keypair: tuple[Path, Path], tmp_path: Path, legacy: bool
) -> None:
    pub, sec = real_keypair
    path = tmp_path / "statement.json"
    path.write_bytes(MESSAGE)
    flags = ["-l"] if legacy else []
    result = run_minisign(
        minisign_bin, "-S", *flags, "-s", sec, "-t", "signed by minisign", "-m", path, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    minisig = (tmp_path / "statement.json.minisig").read_text()
    assert verify(MESSAGE, minisig, pub.read_text()) == "signed by minisign"


def tampered_variants(message: bytes, minisig: str) -> dict[str, tuple[bytes, str]]:
    untrusted, _sig, trusted, _global, _end = minisig.split("\n")
    return {
        "message": (message[:5] + bytes([message[5] ^ 1]) + message[6:], minisig),
        "signature": (message, flip_signature_byte(minisig, 1, 40)),
        "global signature": (message, flip_signature_byte(minisig, 3, 10)),
        "trusted comment": (message, minisig.replace(trusted, trusted + "!")),
    }


@pytest.mark.parametrize("part", ["message", "signature", "global signature", "trusted comment"])
def test_flipped_byte_in_our_signature_is_rejected_by_both(
    minisign_bin: str, key: SigningKey, tmp_path: Path, part: str
) -> None:
    message, minisig = tampered_variants(MESSAGE, key.sign(MESSAGE, "seq 2"))[part]
    with pytest.raises(SignatureError):
        verify(message, minisig, key.public_key_string())
    path = write_signed(tmp_path, message, minisig)
    result = run_minisign(minisign_bin, "-Vm", path, "-P", key.public_key_string(), cwd=tmp_path)
    assert result.returncode != 0


@pytest.mark.parametrize("part", ["message", "signature", "global signature", "trusted comment"])
def test_flipped_byte_in_real_minisign_signature_is_rejected_by_both(
    minisign_bin: str, real_keypair: tuple[Path, Path], tmp_path: Path, part: str
) -> None:
    pub, sec = real_keypair
    path = tmp_path / "statement.json"
    path.write_bytes(MESSAGE)
    signed = run_minisign(minisign_bin, "-S", "-s", sec, "-t", "seq 2", "-m", path, cwd=tmp_path)
    assert signed.returncode == 0, signed.stderr
    original = (tmp_path / "statement.json.minisig").read_text()
    message, minisig = tampered_variants(MESSAGE, original)[part]
    with pytest.raises(SignatureError):
        verify(message, minisig, pub.read_text())
    write_signed(tmp_path, message, minisig)
    result = run_minisign(minisign_bin, "-Vm", path, "-p", pub, cwd=tmp_path)
    assert result.returncode != 0


def test_signature_from_another_key_is_rejected_by_both(
    minisign_bin: str, key: SigningKey, tmp_path: Path
) -> None:
    other = SigningKey.generate()
    path = write_signed(tmp_path, MESSAGE, key.sign(MESSAGE, "c"))
    with pytest.raises(SignatureError, match="signed by key"):
        verify(MESSAGE, path.with_suffix(".json.minisig").read_text(), other.public_key_string())
    result = run_minisign(minisign_bin, "-Vm", path, "-P", other.public_key_string(), cwd=tmp_path)
    assert result.returncode != 0


def test_same_key_id_with_another_key_is_rejected(key: SigningKey) -> None:
    impostor = SigningKey.from_private_bytes(SigningKey.generate().private_bytes(), key.key_id)
    with pytest.raises(SignatureError, match="verification failed"):
        verify(MESSAGE, impostor.sign(MESSAGE, "c"), key.public_key_string())


def replace_line(index: int, new: str):
    def mangle(minisig: str) -> str:
        lines = minisig.split("\n")
        lines[index] = new.format(lines[index])
        return "\n".join(lines)

    return mangle


@pytest.mark.parametrize(
    "mangle",
    [
        replace_line(0, "comment: x"),
        replace_line(2, "comment: c"),
        replace_line(1, "{}AAAA"),
        replace_line(3, "{}=="),
        replace_line(4, "extra line\n"),
        lambda minisig: "\n".join(minisig.split("\n")[:3]),
    ],
    ids=[
        "untrusted prefix",
        "trusted prefix",
        "long signature",
        "bad base64",
        "extra line",
        "missing line",
    ],
)
def test_malformed_signature_file_is_rejected(key: SigningKey, mangle) -> None:
    with pytest.raises(SignatureError):
        verify(MESSAGE, mangle(key.sign(MESSAGE, "c")), key.public_key_string())


def test_malformed_public_key_is_rejected(key: SigningKey) -> None:
    with pytest.raises(SignatureError):
        verify(MESSAGE, key.sign(MESSAGE, "c"), key.public_key_string()[:-4])
