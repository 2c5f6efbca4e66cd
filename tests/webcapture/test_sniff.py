"""Which zips and gzips intake admits as web captures, judged from the first 64 KiB only."""

from __future__ import annotations

import gzip
import io
import zipfile

import pytest

from app.vault.upload.refusals import IntakeRefused
from app.vault.upload.sniff import SNIFF_BYTES, detect_type
from tests.webcapture.captures import wacz_bytes, warc_bytes, whole_file_gzip_warc


class Unseekable(io.RawIOBase):
    """A stream zipfile cannot seek back in: it writes each size after the data (bit 3), as
    a browser building a WACZ on the fly does."""

    def __init__(self) -> None:
        self.data = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, b) -> int:
        self.data += b
        return len(b)


def streamed_zip(files: dict[str, bytes]) -> bytes:
    out = Unseekable()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            with archive.open(name, "w") as member:
                member.write(data)
    return bytes(out.data)


def kind_of(data: bytes) -> tuple[str, str]:
    detected = detect_type(data[:SNIFF_BYTES])
    return detected.media_type, detected.kind


@pytest.mark.parametrize(
    "data,media_type",
    [
        (wacz_bytes(), "application/wacz"),
        (streamed_zip({"datapackage.json": b"{}", "archive/a.warc": b""}), "application/wacz"),
        (warc_bytes(gzip_records=False), "application/warc"),
        (warc_bytes(gzip_records=True), "application/warc+gzip"),
        (whole_file_gzip_warc(), "application/warc+gzip"),
    ],
    ids=["wacz", "wacz-written-as-a-stream", "warc", "warc-gz-per-record", "warc-gz-whole-file"],
)
def test_web_captures_are_admitted_by_their_bytes(data, media_type):
    assert kind_of(data) == (media_type, "web_capture")
    assert len(data) >= 100  # judged from real content, not an empty stub


@pytest.mark.parametrize(
    "data",
    [
        streamed_zip({"evil.html": b"<script>alert(1)</script>"}),
        wacz_bytes(extra={"program.exe": b"MZ" + b"\0" * 200}),
        gzip.compress(b"WARD/1.0\r\n" + b"x" * 100),
        gzip.compress(b"<html><script>alert(1)</script></html>"),
    ],
    ids=["zip-of-html", "wacz-names-then-a-program", "gzip-of-not-warc", "gzip-of-html"],
)
def test_other_zips_and_gzips_are_refused(data):
    with pytest.raises(IntakeRefused) as refused:
        detect_type(data[:SNIFF_BYTES])
    assert refused.value.code == "type_not_allowed"
