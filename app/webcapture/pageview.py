"""What a captured page shows on Custos: its text, its HTML with every script, attribute, link
and embedded resource removed (nh3), and its screenshots. Nothing from a capture runs here.

A checked screenshot waits sealed on disk (app/crypto/spill.py) until the check ends and it is
stored: one is in memory at a time, however many the capture holds."""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field
from html import unescape
from typing import Any

from app.crypto.spill import SealedPicture, SealedSpill

HTML_BYTES = 2 * 1024 * 1024  # of one page's HTML, read for its text and sanitised copy
TEXT_CHARS = 100_000
MAX_VIEWS = 100
SCREENSHOT_BYTES = 8 * 1024 * 1024
MAX_SCREENSHOTS = 20
# Browsertrix and ArchiveWeb.page keep screenshots as resource records under these URNs.
SCREENSHOT_PREFIXES = ("urn:view:", "urn:screenshot:", "urn:thumbnail:", "urn:fullPage:")
_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/webp"})
# Structure and emphasis only: no attribute survives (no href, src, style, on*), and nothing
# that loads, links, embeds or submits (a, img, iframe, object, form, svg, link, meta, base).
ALLOWED_TAGS = frozenset(
    {"p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "dl", "dt", "dd"}
    | {"em", "strong", "b", "i", "u", "s", "small", "sub", "sup", "q", "cite", "abbr", "time"}
    | {"blockquote", "pre", "code", "table", "thead", "tbody", "tfoot", "tr", "th", "td"}
    | {"caption", "div", "span", "section", "article", "header", "footer", "main", "figure"}
    | {"figcaption", "address", "mark"}
)
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title", re.IGNORECASE | re.DOTALL)


def _nh3():
    # Imported on use: a web worker that shows no captured page spares its 1.5 MB
    # (tests/test_web_worker.py).
    import nh3

    return nh3


def sanitise(html: str) -> str:
    """Captured HTML reduced to inert structure; run again each time it is shown."""
    return _nh3().clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={},
        url_schemes=set(),
        link_rel=None,
        strip_comments=True,
    )


def page_text(html: str) -> str:
    """The words of the page, scripts and styles left out, whitespace folded."""
    return " ".join(unescape(_nh3().clean(html, tags=set())).split())[:TEXT_CHARS]


def _decode(data: bytes, content_type: str) -> str:
    charset = re.search(r"charset=([\w-]+)", content_type or "", re.IGNORECASE)
    try:
        return data.decode(charset.group(1) if charset else "utf-8", "replace")
    except LookupError:
        return data.decode("utf-8", "replace")


class _Collector:
    """The first `cap` bytes of one record's payload, inflated if the server gzipped it."""

    def __init__(self, kind: str, meta: dict[str, Any], cap: int, encoding: str) -> None:
        self.kind, self.meta, self.cap, self.parts, self.size = kind, meta, cap, [], 0
        self.inflate = zlib.decompressobj(47) if encoding in ("gzip", "x-gzip") else None
        self.too_big = False

    def feed(self, chunk: bytes) -> None:
        if self.too_big or self.size > self.cap:
            return  # enough is held (a page keeps its first part); the rest is only hashed
        if self.inflate is not None:
            try:
                chunk = self.inflate.decompress(chunk, self.cap + 1 - self.size)
            except zlib.error:
                self.too_big, self.parts = True, []
                return
        self.parts.append(chunk)
        self.size += len(chunk)
        if self.size > self.cap and self.kind == "screenshot":
            self.too_big, self.parts = True, []  # an oversize screenshot is not shown

    def data(self) -> bytes:
        return b"".join(self.parts)[: self.cap]


@dataclass
class PageViews:
    """Collects, while the WARC records are read, the HTML of the capture's pages (those named
    in pages.jsonl; every HTML response of a bare WARC) and its screenshots, each sealed in
    `spill` (entry "data": a SealedPicture). close() drops every screenshot not yet stored."""

    wanted: set[str] | None = None
    views: list[dict[str, Any]] = field(default_factory=list)
    screenshots: list[dict[str, Any]] = field(default_factory=list)
    spill: SealedSpill | None = None

    def close(self) -> None:
        if self.spill is not None:
            self.spill.close()
            self.spill = None

    def collector(self, record, kind: str, meta: dict[str, Any]) -> _Collector | None:
        target = meta.get("target_uri") or ""
        if kind == "resource" and target.startswith(SCREENSHOT_PREFIXES):
            media_type = _media_type(record.rec_headers.get_header("Content-Type"))
            if media_type in _IMAGE_TYPES and len(self.screenshots) < MAX_SCREENSHOTS:
                return _Collector("screenshot", meta, SCREENSHOT_BYTES, "")
            return None
        if kind != "response" or record.http_headers is None or len(self.views) >= MAX_VIEWS:
            return None
        if self.wanted is not None and target not in self.wanted:
            return None
        content_type = record.http_headers.get_header("Content-Type") or ""
        if _media_type(content_type) not in ("text/html", "application/xhtml+xml"):
            return None
        encoding = (record.http_headers.get_header("Content-Encoding") or "").strip().lower()
        if encoding not in ("", "identity", "gzip", "x-gzip"):
            return None
        collector = _Collector("page", {**meta, "content_type": content_type}, HTML_BYTES, encoding)
        return collector

    def finish(self, collector: _Collector) -> None:
        """Called once the record's digests held: only checked bytes are shown."""
        meta = collector.meta
        if collector.kind == "screenshot":
            if not collector.too_big:
                self.screenshots.append({**_ids(meta), "data": self._seal(collector)})
            return
        raw = collector.data()
        html = _decode(raw, meta["content_type"])
        found = _TITLE.search(raw)
        title = page_text(_decode(found.group(1), meta["content_type"])) if found else None
        self.views.append(
            {
                **_ids(meta),
                "title": title,
                "text": page_text(html),
                "html": sanitise(html),
                "truncated": collector.size > HTML_BYTES,
            }
        )

    def _seal(self, collector: _Collector) -> SealedPicture:
        if self.spill is None:
            self.spill = SealedSpill()
        data = collector.data()
        collector.parts = []  # the collector's copy goes now, not when the record is left
        return self.spill.add(data)


def screenshot_page(target_uri: str) -> str:
    """The page a screenshot's URN names (urn:view:https://… → https://…)."""
    for prefix in SCREENSHOT_PREFIXES:
        if target_uri.startswith(prefix):
            return target_uri[len(prefix) :]
    return target_uri


def _ids(meta: dict[str, Any]) -> dict[str, Any]:
    return {k: meta.get(k) for k in ("file", "record_id", "target_uri", "date")}


def _media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()
