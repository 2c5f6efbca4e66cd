"""The age v1 header: strict parsing, serialization, header MAC, and wrapping the file key."""

from __future__ import annotations

import binascii
import hmac
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from hashlib import sha256
from typing import Protocol

from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .errors import HeaderError, HeaderMacError, NoMatchingIdentity
from .source import RandomAccessSource

VERSION_LINE = b"age-encryption.org/v1"
FILE_KEY_SIZE = 16
MAC_SIZE = 32
# A header bigger than this is refused rather than buffered: a few thousand X25519
# stanzas fit, and a hostile file cannot make a reader hold an unbounded "header".
MAX_HEADER_SIZE = 1 << 20
# First read when looking for the header: one round trip covers any ordinary header.
HEADER_PROBE_SIZE = 8192

_STANZA_PREFIX = b"-> "
_FOOTER_PREFIX = b"---"
_BODY_COLUMNS = 64
_B64_ALPHABET = re.compile(rb"[A-Za-z0-9+/]*")


def b64encode_raw(data: bytes) -> str:
    """Unpadded standard base64, as the whole age header uses (C2SP age, Conventions)."""
    return binascii.b2a_base64(data, newline=False).rstrip(b"=").decode("ascii")


def b64decode_raw(text: bytes | str) -> bytes:
    """Decode unpadded base64, rejecting padding and non-canonical encodings (RFC 4648 3.5)."""
    raw = text.encode("ascii") if isinstance(text, str) else bytes(text)
    if len(raw) % 4 == 1 or not _B64_ALPHABET.fullmatch(raw):
        raise HeaderError("invalid base64 in header")
    decoded = binascii.a2b_base64(raw + b"=" * (-len(raw) % 4), strict_mode=True)
    # Unused trailing bits must be zero, or two encodings would give one value.
    if binascii.b2a_base64(decoded, newline=False).rstrip(b"=") != raw:
        raise HeaderError("non-canonical base64 in header")
    return decoded


def hkdf_sha256(ikm: bytes, salt: bytes, info: bytes) -> bytes:
    """HKDF-SHA-256 with 32 bytes of output, the only KDF shape age uses."""
    return HKDF(algorithm=SHA256(), length=32, salt=salt or None, info=info).derive(ikm)


@dataclass(frozen=True)
class Stanza:
    """One recipient stanza: its type (first argument), further arguments and decoded body."""

    type: str
    args: tuple[str, ...]
    body: bytes

    def encode(self) -> bytes:
        """Serialize as an arg line plus the body wrapped at 64 columns, ending in a short line."""
        line = " ".join((self.type, *self.args)).encode("ascii")
        body = b64encode_raw(self.body).encode("ascii")
        # A body of exactly n*64 columns still needs a final empty line (spec: stanza ABNF).
        lines = [body[i : i + _BODY_COLUMNS] for i in range(0, len(body) + 1, _BODY_COLUMNS)]
        return _STANZA_PREFIX + line + b"\n" + b"".join(part + b"\n" for part in lines)


@dataclass(frozen=True)
class Header:
    """A parsed header: its stanzas, MAC, the bytes the MAC covers, and its length."""

    stanzas: tuple[Stanza, ...]
    mac: bytes
    mac_input: bytes
    length: int


class StanzaRecipient(Protocol):
    def wrap(self, file_key: bytes) -> Stanza: ...


class StanzaIdentity(Protocol):
    def unwrap(self, stanza: Stanza) -> bytes | None: ...


def _is_valid_argument(arg: bytes) -> bool:
    # argument = 1*VCHAR: printable US-ASCII, no space (spec: header ABNF).
    return bool(arg) and all(0x21 <= c <= 0x7E for c in arg)


def parse_header(buf: bytes) -> Header | None:
    """Parse the header at the start of buf; None if buf ends before the header does.

    Malformed input raises HeaderError as soon as a complete line shows it, so a
    non-age file is refused after its first bytes rather than read to the size limit.
    """
    if not (VERSION_LINE + b"\n").startswith(buf[: len(VERSION_LINE) + 1]):
        raise HeaderError("not an age v1 file (unsupported version line)")
    pos = 0

    def next_line() -> bytes | None:
        nonlocal pos
        end = buf.find(b"\n", pos)
        if end < 0:
            return None
        line = buf[pos:end]
        pos = end + 1
        return line

    if next_line() is None:
        return None
    stanzas: list[Stanza] = []
    while True:
        line_start = pos
        line = next_line()
        if line is None:
            return None
        if line.startswith(_FOOTER_PREFIX):
            if not line.startswith(_FOOTER_PREFIX + b" "):
                raise HeaderError("malformed header MAC line")
            mac = b64decode_raw(line[len(_FOOTER_PREFIX) + 1 :])
            if len(mac) != MAC_SIZE:
                raise HeaderError("header MAC has the wrong length")
            break
        if not line.startswith(_STANZA_PREFIX):
            raise HeaderError("header line is neither a stanza nor the MAC line")
        args = line[len(_STANZA_PREFIX) :].split(b" ")
        if not all(_is_valid_argument(arg) for arg in args):
            raise HeaderError("stanza argument is empty or has invalid characters")
        body = bytearray()
        while True:
            body_line = next_line()
            if body_line is None:
                return None
            if len(body_line) > _BODY_COLUMNS:
                raise HeaderError("stanza body line longer than 64 columns")
            body += b64decode_raw(body_line)
            if len(body_line) < _BODY_COLUMNS:
                break
        text_args = tuple(arg.decode("ascii") for arg in args)
        stanzas.append(Stanza(text_args[0], text_args[1:], bytes(body)))
        if pos > MAX_HEADER_SIZE:
            raise HeaderError("header too large")
    if not stanzas:
        raise HeaderError("header has no recipient stanzas")
    # The MAC covers everything up to and including "---", not the space after it.
    mac_input = bytes(buf[: line_start + len(_FOOTER_PREFIX)])
    return Header(tuple(stanzas), mac, mac_input, pos)


def header_mac(file_key: bytes, mac_input: bytes) -> bytes:
    """HMAC-SHA-256 keyed with HKDF(file key, info "header") (spec: Header MAC)."""
    key = hkdf_sha256(file_key, b"", b"header")
    return hmac.new(key, mac_input, sha256).digest()


def seal_header(file_key: bytes, recipients: Sequence[StanzaRecipient]) -> bytes:
    """Wrap file_key for every recipient and return the full header including its MAC."""
    if len(file_key) != FILE_KEY_SIZE:
        raise ValueError("the age file key is 16 bytes")
    if not recipients:
        raise ValueError("an age file needs at least one recipient")
    parts = [VERSION_LINE + b"\n"]
    parts.extend(recipient.wrap(file_key).encode() for recipient in recipients)
    parts.append(_FOOTER_PREFIX)
    mac_input = b"".join(parts)
    mac = b64encode_raw(header_mac(file_key, mac_input)).encode("ascii")
    return mac_input + b" " + mac + b"\n"


def open_header(header: Header, identities: Iterable[StanzaIdentity]) -> bytes:
    """Unwrap the file key with the first identity that matches, then verify the header MAC."""
    # C2SP age, scrypt stanza: an scrypt stanza must be alone, which upholds the
    # authentication a passphrase implies; refuse mixed headers whatever identity we hold.
    if len(header.stanzas) > 1 and any(s.type == "scrypt" for s in header.stanzas):
        raise HeaderError("an scrypt stanza must be the only stanza in the header")
    file_key = _first_unwrap(header.stanzas, identities)
    if not hmac.compare_digest(header_mac(file_key, header.mac_input), header.mac):
        raise HeaderMacError("header MAC mismatch: the header was altered")
    return file_key


def _first_unwrap(stanzas: Sequence[Stanza], identities: Iterable[StanzaIdentity]) -> bytes:
    for identity in identities:
        for stanza in stanzas:
            file_key = identity.unwrap(stanza)
            if file_key is not None:
                return file_key
    raise NoMatchingIdentity("no identity matches any recipient stanza in the header")


def new_file_key() -> bytes:
    """16 bytes from the OS CSPRNG; never reused across files (spec: File key)."""
    return os.urandom(FILE_KEY_SIZE)


def read_header_from(
    read_prefix: Callable[[int], bytes], total: int | None
) -> tuple[Header, bytes]:
    """Find the header by reading growing prefixes; return it and the bytes read so far.

    read_prefix(n) returns the first n bytes (fewer at end of file); total, when known,
    stops the search at the end of the file instead of one empty read later.
    """
    want = HEADER_PROBE_SIZE
    while True:
        if total is not None:
            want = min(want, total)
        buf = read_prefix(want)
        header = parse_header(buf)
        if header is not None:
            return header, buf
        if len(buf) < want or (total is not None and want >= total):
            raise HeaderError("file ends inside the header")
        if want >= MAX_HEADER_SIZE:
            raise HeaderError("header too large")
        want = min(want * 4, MAX_HEADER_SIZE + HEADER_PROBE_SIZE)


def read_source_header(source: RandomAccessSource) -> tuple[Header, bytes]:
    """The header at the start of source, and the prefix read (it often holds the nonce too)."""
    return read_header_from(lambda n: source.read_at(0, n), source.size)
