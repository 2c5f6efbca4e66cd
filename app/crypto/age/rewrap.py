"""Header-only operations for key rotation: unwrap the file key, rewrap it for new recipients."""

from __future__ import annotations

from collections.abc import Sequence

from .header import open_header, read_source_header, seal_header
from .keys import Identity, Recipient
from .source import BytesSource, RandomAccessSource


def unwrap_file_key(
    header_source: bytes | bytearray | memoryview | RandomAccessSource,
    identities: Sequence[Identity],
) -> bytes:
    """The file key of an age file (or of its header bytes alone), after the MAC is checked."""
    if isinstance(header_source, bytes | bytearray | memoryview):
        header_source = BytesSource(header_source)
    header, _ = read_source_header(header_source)
    return open_header(header, identities)


def rewrap_header(
    source: RandomAccessSource,
    identities: Sequence[Identity],
    new_recipients: Sequence[Recipient],
) -> tuple[bytes, int]:
    """A new header wrapping the same file key for new_recipients, and the old payload offset.

    The rotated object is the new header followed by the old file's bytes from the
    returned offset (nonce and chunks), copied unchanged: the payload, and so its
    hash in the custody ledger, stays the same. The file key does not change, so a
    holder of the old identity who already extracted the key can still read it.
    """
    header, _ = read_source_header(source)
    file_key = open_header(header, identities)
    return seal_header(file_key, new_recipients), header.length
