"""The gzip reader under the WARC check: the same bytes as Python's gzip module for one member,
many, and NUL padding; a member cut short, a damaged CRC-32 or bytes that are not gzip fail;
however few bytes each read of its source gives."""

from __future__ import annotations

import gzip
import io
import os
import random
import zlib

import pytest

from app.webcapture.gunzip import GunzipReader
from app.webcapture.limits import CaptureLimits
from app.webcapture.warcrecords import read_warc
from tests.webcapture.captures import warc_bytes, whole_file_gzip_warc


class Trickle:
    """A source that gives at most `most` bytes a read (as an upload's pieces arrive)."""

    def __init__(self, data: bytes, most: int, seed: int = 0) -> None:
        self.data, self.most, self.random, self.at = data, most, random.Random(seed), 0

    def read(self, size: int = -1) -> bytes:
        size = len(self.data) if size < 0 else size
        take = min(size, self.random.randint(1, self.most))
        piece = self.data[self.at : self.at + take]
        self.at += len(piece)
        return piece


def inflated(data: bytes, most: int = 1 << 20) -> bytes:
    reader = GunzipReader(Trickle(data, most))  # type: ignore[arg-type]
    out = bytearray()
    while chunk := reader.read(7 if most < 10 else 65536):
        out += chunk
    return bytes(out)


MEMBERS = [os.urandom(5000), b"words " * 20000, b"", b"last"]
MANY = b"".join(gzip.compress(member) for member in MEMBERS)


@pytest.mark.parametrize("most", [1, 3, 1000, 1 << 20])
@pytest.mark.parametrize(
    "data",
    [gzip.compress(b"one member" * 1000), MANY, MANY + b"\x00" * 300, gzip.compress(b"")],
    ids=["one", "many", "padded", "empty"],
)
def test_the_same_bytes_as_pythons_gzip_however_the_source_gives_them(data, most):
    assert inflated(data, most) == gzip.decompress(data)


def test_a_member_cut_short_fails():
    with pytest.raises(EOFError):
        inflated(MANY[:-5])


@pytest.mark.parametrize("at", [-8, -1], ids=["crc-32", "length"])
def test_a_damaged_trailer_fails(at):
    data = bytearray(gzip.compress(b"evidence" * 100))
    data[at] ^= 0x01  # the trailer: CRC-32, then the length modulo 2^32
    with pytest.raises(zlib.error):
        inflated(bytes(data))


def test_bytes_after_a_member_that_are_not_gzip_fail():
    with pytest.raises(zlib.error):
        inflated(gzip.compress(b"evidence") + b"not gzip")


@pytest.mark.parametrize("warc", [warc_bytes(gzip_records=True), whole_file_gzip_warc()])
def test_a_warcs_records_do_not_depend_on_how_its_bytes_arrive(warc):
    whole = read_warc(io.BytesIO(warc), "warc", CaptureLimits())
    for most in (1, 2, 7, 4096):
        trickled = read_warc(Trickle(warc, most), "warc", CaptureLimits())  # type: ignore[arg-type]
        assert trickled.records == whole.records
