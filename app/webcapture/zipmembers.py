"""A WACZ's zip members, listed and capped from the central directory before any is read."""

from __future__ import annotations

import hashlib
import struct
import zipfile
from typing import BinaryIO

from app.webcapture.limits import READ_STEP, CaptureFailed, CaptureLimits

_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    EOFError,
    OSError,
    ValueError,
    NotImplementedError,
)
_EOCD = b"PK\x05\x06"
_ZIP64_LOCATOR = b"PK\x06\x07"
_ZIP64_EOCD = b"PK\x06\x06"
_EOCD_SEARCH = 22 + 65535  # the record plus the longest comment


def declared_entry_count(file: BinaryIO) -> int:
    """The number of entries the end-of-central-directory record declares (zip64 too),
    read from the file's tail before zipfile builds one object per entry."""
    size = file.seek(0, 2)
    start = max(0, size - _EOCD_SEARCH)
    file.seek(start)
    tail = file.read(size - start)
    at = tail.rfind(_EOCD)
    if at < 0 or len(tail) - at < 22:
        raise CaptureFailed("zip", "not a zip file: no end-of-central-directory record")
    (count,) = struct.unpack_from("<H", tail, at + 10)
    if count != 0xFFFF:
        return count
    locator = at - 20
    if locator < 0 or tail[locator : locator + 4] != _ZIP64_LOCATOR:
        raise CaptureFailed("zip", "zip64 entry count without its locator")
    (zip64_offset,) = struct.unpack_from("<Q", tail, locator + 8)
    file.seek(zip64_offset)
    record = file.read(56)
    if len(record) < 56 or record[:4] != _ZIP64_EOCD:
        raise CaptureFailed("zip", "zip64 end-of-central-directory record missing")
    (count64,) = struct.unpack_from("<Q", record, 32)
    return count64


def safe_name(name: str) -> bool:
    """A member name that stays inside the package: relative, no `..`, no drive, no NUL."""
    if not name or "\x00" in name or "\\" in name or name.startswith("/"):
        return False
    if len(name) > 1 and name[1] == ":":
        return False
    return ".." not in name.split("/")


def checked_members(file: BinaryIO, limits: CaptureLimits) -> tuple[zipfile.ZipFile, list]:
    """The open zip and its file members, after every cap and name rule has held."""
    count = declared_entry_count(file)
    if count > limits.max_members:
        raise CaptureFailed(
            "zip", f"{count} members, more than the {limits.max_members} a package may hold"
        )
    file.seek(0)
    try:
        archive = zipfile.ZipFile(file)
    except (zipfile.BadZipFile, ValueError, OSError, NotImplementedError) as e:
        raise CaptureFailed("zip", f"unreadable zip: {e}") from None
    infos = archive.infolist()
    if len(infos) > limits.max_members:
        raise CaptureFailed("zip", f"{len(infos)} members, more than {limits.max_members}")
    total, seen = 0, set()
    for info in infos:
        name = info.filename
        if not safe_name(name):
            raise CaptureFailed(name, "member name leaves the package (absolute or '..')")
        if name in seen:
            raise CaptureFailed(name, "member name appears twice")
        seen.add(name)
        if info.flag_bits & 0x1:
            raise CaptureFailed(name, "member is encrypted")
        if info.flag_bits & 0x20:
            raise CaptureFailed(name, "member holds patched data (flag bit 5)")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise CaptureFailed(name, f"compression method {info.compress_type} not accepted")
        if info.file_size > limits.max_member_bytes:
            raise CaptureFailed(
                name, f"declares {info.file_size} bytes, over the {limits.max_member_bytes} cap"
            )
        if info.file_size > limits.ratio_floor_bytes and info.file_size > limits.max_ratio * max(
            info.compress_size, 1
        ):
            raise CaptureFailed(
                name,
                f"expands {info.file_size // max(info.compress_size, 1)} times over "
                f"(more than {limits.max_ratio}): a zip bomb",
            )
        total += info.file_size
        if total > limits.max_total_bytes:
            raise CaptureFailed(
                "zip", f"members declare more than {limits.max_total_bytes} bytes in all"
            )
    return archive, [i for i in infos if not i.is_dir()]


def read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, chunk: int = READ_STEP):
    """The member's bytes in chunks, never more than it declared (a lying header fails)."""
    left = info.file_size
    try:
        with archive.open(info) as stream:
            while True:
                data = stream.read(min(chunk, left + 1))
                if not data:
                    break
                left -= len(data)
                if left < 0:
                    raise CaptureFailed(info.filename, "holds more bytes than its header declares")
                yield data
    except _ZIP_ERRORS as e:
        raise CaptureFailed(info.filename, f"unreadable member: {e}") from None
    if left:
        raise CaptureFailed(info.filename, "holds fewer bytes than its header declares")


class MemberReader:
    """A member read once, as a file: its bytes hashed (SHA-256) and counted as a reader (the
    WARC parser) consumes them, never more than its header declares; `drain()` reads the rest.
    A zip that cannot be read fails as the member, not as whatever was reading it."""

    def __init__(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
        self.info, self.sha256, self.size = info, hashlib.sha256(), 0
        try:
            self.stream = archive.open(info)
        except _ZIP_ERRORS as e:
            raise CaptureFailed(info.filename, f"unreadable member: {e}") from None
        # Its SHA-256 is always compared with the one datapackage.json declares, so zipfile's
        # CRC-32 over the same bytes adds only time (~0.2 s per GiB); CPython's reader skips it
        # when it has no value to compare with.
        self.stream._expected_crc = None

    def read(self, size: int = -1) -> bytes:
        try:
            data = self.stream.read(size if size >= 0 else READ_STEP)
        except _ZIP_ERRORS as e:
            raise CaptureFailed(self.info.filename, f"unreadable member: {e}") from None
        self.size += len(data)
        if self.size > self.info.file_size:
            raise CaptureFailed(self.info.filename, "holds more bytes than its header declares")
        self.sha256.update(data)
        return data

    def drain(self) -> None:
        while self.read(READ_STEP):
            pass
        if self.size != self.info.file_size:
            raise CaptureFailed(self.info.filename, "holds fewer bytes than its header declares")
