"""The operator's master secret: loading it, generating a key file, deriving per-purpose keys."""

from __future__ import annotations

import base64
import binascii
import logging
import os
import secrets
import stat
import string
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from app.crypto.fsync import fsync_directory

log = logging.getLogger(__name__)

MASTER_KEY_BYTES = 32
# Domain separation for HKDF (RFC 5869 section 3.2): every derived key names its purpose and the
# scheme version, so a key derived for one use can never be the key of another.
HKDF_INFO_PREFIX = b"custos/v1/"

_HEX_DIGITS = frozenset(string.hexdigits)
# base64url (RFC 4648 section 5); standard base64 is accepted too so `openssl rand -base64 32`
# works, and both decode to the same bytes.
_BASE64_CHARS = frozenset(string.ascii_letters + string.digits + "-_+/=")


class MasterKeyError(RuntimeError):
    """The master key is missing or unusable. Messages never contain key material."""


def parse_master_key(text: str, source: str) -> bytes:
    """Decode a master key written as base64url (or base64) or hex; `source` names it in errors."""
    value = text.strip()
    if not value:
        raise MasterKeyError(f"{source} is empty; expected {MASTER_KEY_BYTES} random bytes.")
    if len(value) == 2 * MASTER_KEY_BYTES and set(value) <= _HEX_DIGITS:
        key = bytes.fromhex(value)
    elif set(value) <= _HEX_DIGITS and len(value) not in (43, 44):
        raise MasterKeyError(
            f"{source} looks like hex but has {len(value)} digits; "
            f"expected {2 * MASTER_KEY_BYTES} ({MASTER_KEY_BYTES} bytes)."
        )
    elif set(value) <= _BASE64_CHARS:
        try:
            key = base64.b64decode(
                value.replace("-", "+").replace("_", "/") + "=" * (-len(value) % 4),
                validate=True,
            )
        except (binascii.Error, ValueError):
            raise MasterKeyError(
                f"{source} is not valid base64url or hex; "
                f"expected {MASTER_KEY_BYTES} random bytes in one of those encodings."
            ) from None
    else:
        raise MasterKeyError(
            f"{source} contains characters that are neither base64url nor hex; "
            f"expected {MASTER_KEY_BYTES} random bytes in one of those encodings."
        )
    if len(key) != MASTER_KEY_BYTES:
        raise MasterKeyError(
            f"{source} decodes to {len(key)} bytes; the master key must be exactly "
            f"{MASTER_KEY_BYTES} bytes (generate one with `flask keys init-master`)."
        )
    if len(set(key)) == 1:
        # All-zero and similar values are placeholders copied from documentation, not keys.
        raise MasterKeyError(f"{source} is a placeholder (one byte repeated), not a random key.")
    return key


def load_master_key(env_value: str | None, key_file: Path) -> bytes:
    """The 32-byte master key: from CUSTOS_MASTER_KEY if set and non-blank, else from key_file."""
    if env_value is not None and env_value.strip():
        return parse_master_key(env_value, "CUSTOS_MASTER_KEY")
    key_file = Path(key_file)
    try:
        text = key_file.read_text(encoding="ascii")
    except FileNotFoundError:
        raise MasterKeyError(
            f"No master key: CUSTOS_MASTER_KEY is not set and the key file {key_file} "
            "does not exist."
        ) from None
    except UnicodeDecodeError:
        raise MasterKeyError(
            f"master key file {key_file} is not text; expected base64url or hex."
        ) from None
    except OSError as exc:
        raise MasterKeyError(f"master key file {key_file} cannot be read: {exc.strerror}") from None
    _warn_if_exposed(key_file)
    return parse_master_key(text, f"master key file {key_file}")


def load_previous_master_keys(values: list[str]) -> list[bytes]:
    """Decode the retired keys listed in CUSTOS_PREVIOUS_MASTER_KEYS (already split on commas)."""
    return [
        parse_master_key(value, f"CUSTOS_PREVIOUS_MASTER_KEYS entry {position}")
        for position, value in enumerate(values, start=1)
    ]


def generate_master_key_file(path: Path) -> Path:
    """Write a new random master key to `path` (mode 0600); refuse to replace an existing file.

    The key is written to a private temporary file in the same directory and then hard-linked
    into place: link(2) fails if the target exists, so a concurrent writer or an existing key is
    never overwritten, and no reader ever sees a half-written file.
    """
    path = Path(path)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.exists():
        raise MasterKeyError(f"refusing to overwrite the existing master key file {path}")
    encoded = base64.urlsafe_b64encode(secrets.token_bytes(MASTER_KEY_BYTES)).rstrip(b"=")
    temporary = path.parent / f".{path.name}.{secrets.token_hex(8)}.tmp"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)  # the umask can only remove bits, but be explicit
        os.write(fd, encoded + b"\n")
        os.fsync(fd)
        try:
            os.link(temporary, path)
        except FileExistsError:
            raise MasterKeyError(
                f"refusing to overwrite the existing master key file {path}"
            ) from None
    finally:
        os.close(fd)
        temporary.unlink(missing_ok=True)
    fsync_directory(path.parent)
    return path


def derive_key(master: bytes, purpose: str, length: int = 32) -> bytes:
    """A key for one purpose, derived with HKDF-SHA256 (RFC 5869), info = custos/v1/<purpose>.

    No salt: the master is already uniformly random, which RFC 5869 section 3.1 allows.
    """
    if len(master) != MASTER_KEY_BYTES:
        raise ValueError(f"master key must be {MASTER_KEY_BYTES} bytes")
    if not purpose:
        raise ValueError("a derived key needs a purpose")
    hkdf = HKDF(
        algorithm=hashes.SHA256(),
        length=length,
        salt=None,
        info=HKDF_INFO_PREFIX + purpose.encode("utf-8"),
    )
    return hkdf.derive(master)


def _warn_if_exposed(key_file: Path) -> None:
    mode = key_file.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning(
            "master key file %s is readable by other users (mode %o); chmod 600 it",
            key_file,
            stat.S_IMODE(mode),
        )
