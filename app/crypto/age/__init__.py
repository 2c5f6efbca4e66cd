"""age v1 (C2SP age) for evidence at rest: X25519 keys, streaming writer, seekable reader."""

from .armor import armor, dearmor, is_armored
from .convenience import decrypt_bytes, decrypt_stream, encrypt_bytes
from .errors import (
    AgeError,
    ArmorError,
    HeaderError,
    HeaderMacError,
    KeyFormatError,
    NoMatchingIdentity,
    PayloadError,
)
from .keys import Identity, Recipient, parse_identity_file
from .reader import AgePlaintextIO, AgeReader
from .rewrap import rewrap_header, unwrap_file_key
from .source import BytesSource, FileSource, RandomAccessSource
from .stream import CHUNK_SIZE
from .writer import AgeWriter

__all__ = [
    "CHUNK_SIZE",
    "AgeError",
    "AgePlaintextIO",
    "AgeReader",
    "AgeWriter",
    "ArmorError",
    "BytesSource",
    "FileSource",
    "HeaderError",
    "HeaderMacError",
    "Identity",
    "KeyFormatError",
    "NoMatchingIdentity",
    "PayloadError",
    "RandomAccessSource",
    "Recipient",
    "armor",
    "dearmor",
    "decrypt_bytes",
    "decrypt_stream",
    "encrypt_bytes",
    "is_armored",
    "parse_identity_file",
    "rewrap_header",
    "unwrap_file_key",
]
