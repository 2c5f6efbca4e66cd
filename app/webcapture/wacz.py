"""A WACZ package checked against itself: required files, datapackage-digest.json, every
resource's SHA-256 and size against datapackage.json, its pages and its WARCs' records."""

from __future__ import annotations

import hashlib
import json
import zipfile
from typing import Any, BinaryIO

from app.webcapture.limits import CaptureFailed, CaptureLimits
from app.webcapture.pageview import PageViews
from app.webcapture.signature import signature_verdict
from app.webcapture.trust import SignatureRoots
from app.webcapture.warcrecords import WarcReading, read_warc
from app.webcapture.zipmembers import MemberReader, checked_members, read_member

DATAPACKAGE, DIGEST, PAGES = "datapackage.json", "datapackage-digest.json", "pages/pages.jsonl"
_WARC_SUFFIXES = (".warc", ".warc.gz")
_INDEX_SUFFIXES = (".cdx", ".cdx.gz", ".cdxj", ".cdxj.gz", ".idx")


def check_wacz(
    file: BinaryIO,
    limits: CaptureLimits,
    result: dict[str, Any],
    views: PageViews | None = None,
    roots: SignatureRoots | None = None,
) -> None:
    """Fill `result` as the check goes (what was read stays even when a later step fails);
    CaptureFailed names the first resource or record that fails."""
    archive, infos = checked_members(file, limits)
    members = {info.filename: info for info in infos}
    _require_layout(members)
    datapackage_bytes = _small_member(archive, members[DATAPACKAGE], limits)
    digest_document = _json_object(_small_member(archive, members[DIGEST], limits), DIGEST)
    result["datapackage_digest"] = digest_document
    result["signature"] = signature_verdict(digest_document, roots)  # a finding, not a failure
    _check_datapackage_digest(digest_document, datapackage_bytes)
    datapackage = _json_object(datapackage_bytes, DATAPACKAGE)
    result["datapackage"] = {
        k: datapackage.get(k) for k in ("profile", "wacz_version", "created", "software", "title")
    }
    resources = _declared_resources(datapackage, members)
    result["resources"] = kept = []
    entries = {}
    for path, declared in resources.items():
        kept.append({"path": path, "declared_sha256": declared[0], "bytes": declared[1]})
        entries[path] = kept[-1]
        if _is_warc(path):
            continue  # hashed in the same pass that reads its records, below
        digest = hashlib.sha256()
        for chunk in read_member(archive, members[path]):
            digest.update(chunk)
        _compare(entries[path], digest.hexdigest(), members[path].file_size)
    result["pages"] = _pages(archive, members[PAGES], limits)
    if views is not None:
        views.wanted = {page["url"] for page in result["pages"]}
    result["records"] = records = []
    result["record_count"] = 0
    result["record_types"] = types = {}
    result["warcinfo"] = warcinfo = []
    for path in sorted(p for p in members if _is_warc(p)):
        reading = _read_warc_member(archive, members[path], entries[path], limits, views)
        result["record_count"] += reading.count
        for kind, count in reading.by_type.items():
            types[kind] = types.get(kind, 0) + count
        warcinfo.extend(reading.warcinfo)
        records.extend(reading.records[: limits.max_kept_records - len(records)])


def _compare(entry: dict[str, Any], sha256: str, size: int) -> None:
    """The member against what datapackage.json declares: its size, then its SHA-256."""
    entry["sha256"] = sha256
    if entry["bytes"] is not None and entry["bytes"] != size:
        raise CaptureFailed(
            entry["path"], f"{size} bytes, datapackage.json declares {entry['bytes']}"
        )
    if sha256 != entry["declared_sha256"]:
        raise CaptureFailed(entry["path"], "SHA-256 differs from the one datapackage.json declares")


def _read_warc_member(archive, info: zipfile.ZipInfo, entry: dict, limits, views) -> WarcReading:
    """One pass over a WARC member: its records read while its bytes are hashed. A member
    whose SHA-256 or size is not the declared one fails as that resource, whatever its records
    said, and what was collected from it for the page view is dropped."""
    member = MemberReader(archive, info)
    shown = (len(views.views), len(views.screenshots)) if views is not None else (0, 0)
    try:
        reading = read_warc(member, info.filename, limits, views)  # type: ignore[arg-type]
    except CaptureFailed:
        member.drain()
        _compare_or_drop(entry, member, views, shown)
        raise
    member.drain()
    _compare_or_drop(entry, member, views, shown)
    return reading


def _compare_or_drop(entry: dict, member: MemberReader, views, shown: tuple[int, int]) -> None:
    try:
        _compare(entry, member.sha256.hexdigest(), member.size)
    except CaptureFailed:
        if views is not None:
            del views.views[shown[0] :]
            del views.screenshots[shown[1] :]
        raise


def _is_warc(path: str) -> bool:
    return path.startswith("archive/") and path.endswith(_WARC_SUFFIXES)


def _require_layout(members: dict[str, zipfile.ZipInfo]) -> None:
    """WACZ 1.1.1's required files; pages/pages.jsonl too, which `wacz validate` lets pass."""
    for path in (DATAPACKAGE, DIGEST, PAGES):
        if path not in members:
            raise CaptureFailed(path, "required file missing")
    if not any(_is_warc(p) for p in members):
        raise CaptureFailed("archive/", "required WARC file missing")
    if not any(p.startswith("indexes/") and p.endswith(_INDEX_SUFFIXES) for p in members):
        raise CaptureFailed("indexes/", "required index file missing")


def _small_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits) -> bytes:
    if info.file_size > limits.max_json_bytes:
        raise CaptureFailed(info.filename, f"larger than {limits.max_json_bytes} bytes")
    return b"".join(read_member(archive, info))


def _json_object(data: bytes, where: str) -> dict[str, Any]:
    try:
        value = json.loads(data)
    except ValueError:
        raise CaptureFailed(where, "not JSON") from None
    if not isinstance(value, dict):
        raise CaptureFailed(where, "not a JSON object")
    return value


def _sha256_of(declared: Any, where: str) -> str:
    if not isinstance(declared, str) or not declared.startswith("sha256:"):
        raise CaptureFailed(where, "no sha256 hash declared")
    value = declared.removeprefix("sha256:").lower()
    if len(value) != 64 or any(c not in "0123456789abcdef" for c in value):
        raise CaptureFailed(where, "declared sha256 hash is malformed")
    return value


def _check_datapackage_digest(document: dict[str, Any], datapackage: bytes) -> None:
    if document.get("path") != DATAPACKAGE:
        raise CaptureFailed(DIGEST, "does not name datapackage.json as its path")
    if hashlib.sha256(datapackage).hexdigest() != _sha256_of(document.get("hash"), DIGEST):
        raise CaptureFailed(DATAPACKAGE, "SHA-256 differs from datapackage-digest.json")


def _declared_resources(datapackage: dict[str, Any], members: dict) -> dict[str, tuple]:
    """path -> (sha256, bytes or None) for each resource; every member but the two JSON files
    must be declared, and every declared resource must be a member."""
    resources = datapackage.get("resources")
    if not isinstance(resources, list):
        raise CaptureFailed(DATAPACKAGE, "no resources list")
    declared: dict[str, tuple] = {}
    for entry in resources:
        path = entry.get("path") if isinstance(entry, dict) else None
        if not isinstance(path, str):
            raise CaptureFailed(DATAPACKAGE, "a resource without a path")
        if path in declared:
            raise CaptureFailed(path, "declared twice in datapackage.json")
        if path not in members:
            raise CaptureFailed(path, "declared in datapackage.json but missing from the package")
        size = entry.get("bytes")
        if size is not None and (not isinstance(size, int) or isinstance(size, bool)):
            raise CaptureFailed(path, "declared size is not a number")
        declared[path] = (_sha256_of(entry.get("hash"), path), size)
    for path in members:
        if path not in declared and path not in (DATAPACKAGE, DIGEST):
            raise CaptureFailed(path, "in the package but not declared in datapackage.json")
    return declared


def _pages(archive, info: zipfile.ZipInfo, limits: CaptureLimits) -> list[dict[str, Any]]:
    """Each page's url, ts and title (text only); the first line is the format header."""
    pages: list[dict[str, Any]] = []
    held: list[bytes] = []  # the line being read, in pieces: each chunk is split only once
    held_bytes = line_number = 0
    for chunk in read_member(archive, info):
        *lines, rest = chunk.split(b"\n")
        if lines:
            lines[0] = b"".join([*held, lines[0]])
            held, held_bytes = [], 0
        for line in lines:
            line_number += 1
            _page_line(line, line_number, pages, limits)
        held.append(rest)
        held_bytes += len(rest)
        if held_bytes > limits.max_json_bytes:
            raise CaptureFailed(PAGES, f"a line longer than {limits.max_json_bytes} bytes")
    last = b"".join(held)
    if last.strip():
        _page_line(last, line_number + 1, pages, limits)
    return pages


def _page_line(line: bytes, number: int, pages: list, limits: CaptureLimits) -> None:
    if not line.strip():
        return
    where = f"{PAGES} line {number}"
    value = _json_object(line, where)
    if number == 1:
        if not str(value.get("format", "")).startswith("json-pages-"):
            raise CaptureFailed(where, "no json-pages format header")
        return
    if not isinstance(value.get("url"), str):
        raise CaptureFailed(where, "a page without a url")
    if len(pages) < limits.max_kept_pages:
        pages.append({k: _text(value.get(k)) for k in ("url", "ts", "title")})


def _text(value: Any) -> str | None:
    return None if value is None else str(value)[:2000]
