"""The web-capture check on its own: packages and WARCs made here, changed one way at a time;
each bad one fails naming the resource or record and the reason."""

from __future__ import annotations

import io
import struct
import zipfile

import pytest
from warcio.warcwriter import WARCWriter

from app.webcapture.inspection import inspect_capture
from app.webcapture.limits import CaptureLimits
from app.webcapture.pageview import PageViews
from tests.webcapture.captures import (
    PAGES,
    SCRIPT_PAGE,
    wacz_bytes,
    wacz_members,
    warc_bytes,
    whole_file_gzip_warc,
)

LIMITS = CaptureLimits()
WACZ = "application/wacz"


def check(data: bytes, media_type: str = WACZ, limits: CaptureLimits = LIMITS) -> dict:
    return inspect_capture(media_type, io.BytesIO(data), limits)


def failure(result: dict) -> tuple[str, str]:
    assert result["verdict"] == "failed", result
    return result["failure"]["where"], result["failure"]["reason"]


def test_a_sound_wacz_passes_with_its_pages_resources_and_records():
    result = check(wacz_bytes())
    assert result["verdict"] == "passed", result.get("failure")
    assert [(p["url"], p["ts"], p["title"]) for p in result["pages"]] == PAGES
    assert {r["path"] for r in result["resources"]} == set(wacz_members())
    assert all(r["sha256"] == r["declared_sha256"] for r in result["resources"])
    assert result["record_count"] == 3  # warcinfo + two responses
    response = result["records"][1]
    assert response["type"] == "response"
    assert response["target_uri"] == PAGES[0][0]
    assert response["record_id"].startswith("<urn:uuid:")
    assert response["date"].startswith("20")
    assert response["payload_digest"].startswith("sha1:")
    assert response["block_digest"].startswith("sha1:")
    assert response["digests_checked"] is True


@pytest.mark.parametrize(
    "warc",
    [warc_bytes(gzip_records=True), warc_bytes(gzip_records=False), whole_file_gzip_warc()],
    ids=["per-record-gzip", "plain", "whole-file-gzip"],
)
@pytest.mark.parametrize("media_type", ["application/warc", "application/warc+gzip"])
def test_a_warc_is_read_record_by_record_however_it_is_compressed(warc, media_type):
    result = check(warc, media_type)
    assert result["verdict"] == "passed", result.get("failure")
    assert [r["type"] for r in result["records"]] == ["warcinfo", "response", "response"]
    assert [r["target_uri"] for r in result["records"][1:]] == [p[0] for p in PAGES]


@pytest.mark.parametrize("path", sorted(wacz_members()))
def test_a_changed_byte_in_any_resource_names_that_resource(path):
    members = wacz_members()
    changed = bytearray(members[path])
    changed[len(changed) // 2] ^= 0x01
    where, reason = failure(check(wacz_bytes({**members, path: bytes(changed)}, declared=members)))
    assert where == path
    assert "SHA-256" in reason


def test_a_warc_other_than_the_declared_one_fails_as_that_resource_and_shows_no_page():
    """The WARC is hashed in the pass that reads its records: records that read well from a
    member that is not the declared one still fail it, and none of its pages is kept."""
    members = wacz_members()
    planted = warc_bytes(body=b"<html><title>Planted</title><p>planted text</p></html>")
    views = PageViews()
    data = wacz_bytes({**members, "archive/data.warc.gz": planted}, declared=members)
    result = inspect_capture(WACZ, io.BytesIO(data), LIMITS, views)
    assert failure(result)[0] == "archive/data.warc.gz"
    assert views.views == [] and views.screenshots == []
    sound = PageViews()
    inspect_capture(WACZ, io.BytesIO(wacz_bytes()), LIMITS, sound)
    assert [view["target_uri"] for view in sound.views] == [p[0] for p in PAGES]


def test_a_changed_byte_in_the_zip_itself_names_the_member():
    data = bytearray(wacz_bytes())
    at = data.index(b"news.example/hospital")  # inside archive/... stored, or pages.jsonl
    data[at] ^= 0x20
    where, reason = failure(check(bytes(data)))
    assert where in wacz_members()
    assert reason


def test_a_changed_datapackage_fails_against_its_digest():
    members = wacz_members()
    data = wacz_bytes(members)
    # Rebuild with datapackage.json changed after the digest was made.
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        files = {n: archive.read(n) for n in archive.namelist()}
    files["datapackage.json"] = files["datapackage.json"].replace(b"custos tests", b"other tool")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    assert failure(check(out.getvalue())) == (
        "datapackage.json",
        "SHA-256 differs from datapackage-digest.json",
    )


@pytest.mark.parametrize(
    "missing",
    ["pages/pages.jsonl", "datapackage.json", "datapackage-digest.json", "indexes/index.cdxj"],
)
def test_a_missing_required_file_is_named(missing):
    members = wacz_members()
    members.pop(missing, None)
    where, reason = failure(check(wacz_bytes(members, drop=(missing,))))
    assert where in (missing, "indexes/")
    assert "required" in reason


def test_a_package_without_any_warc_fails():
    members = wacz_members()
    members.pop("archive/data.warc.gz")
    assert failure(check(wacz_bytes(members))) == ("archive/", "required WARC file missing")


def test_a_member_not_declared_in_the_datapackage_is_named():
    where, reason = failure(check(wacz_bytes(extra={"archive/other.warc.gz": warc_bytes()})))
    assert where == "archive/other.warc.gz"
    assert "not declared" in reason


@pytest.mark.parametrize(
    "name", ["../escape.txt", "/etc/passwd", "archive/../../x", "C:/x", "archive\\..\\x"]
)
def test_a_member_name_leaving_the_package_fails_before_anything_is_read(name):
    where, reason = failure(check(wacz_bytes(extra={name: b"x"})))
    assert where == name
    assert "leaves the package" in reason


def test_a_zip_bomb_fails_from_its_declared_sizes_before_it_is_decompressed():
    bomb = {"archive/bomb.warc": b"\0" * (32 * 1024 * 1024)}
    data = wacz_bytes(extra=bomb, compression=zipfile.ZIP_DEFLATED)
    assert len(data) < 200_000
    where, reason = failure(check(data))
    assert where == "archive/bomb.warc"
    assert "zip bomb" in reason


def test_a_package_over_the_total_size_cap_fails():
    where, reason = failure(check(wacz_bytes(), limits=CaptureLimits(max_total_bytes=1000)))
    assert where == "zip"
    assert "bytes in all" in reason


def test_too_many_members_fail_from_the_end_record_before_the_directory_is_read():
    many = {f"pages/extra-{i}.txt": b"" for i in range(60)}
    where, reason = failure(check(wacz_bytes(extra=many), limits=CaptureLimits(max_members=50)))
    assert where == "zip"
    assert "more than the 50" in reason


def test_a_member_holding_more_than_its_header_declares_fails():
    """A lying size: the central directory says 10 bytes, the data inflates to more."""
    data = bytearray(wacz_bytes(compression=zipfile.ZIP_DEFLATED))
    name = b"indexes/index.cdxj"
    central = data.index(b"PK\x01\x02")
    while data[central + 46 : central + 46 + len(name)] != name:
        central = data.index(b"PK\x01\x02", central + 4)
    struct.pack_into("<I", data, central + 24, 10)  # uncompressed size
    where, reason = failure(check(bytes(data)))
    assert where == "indexes/index.cdxj"
    assert "CRC" in reason or "more bytes than its header declares" in reason


def test_a_changed_byte_in_a_warc_record_names_the_record():
    warc = warc_bytes(gzip_records=False).replace(b"Shelling", b"Shelled!", 1)
    where, reason = failure(check(warc, "application/warc"))
    assert where == "warc record 2 (offset " + where.split("offset ")[1]
    assert "digest failed" in reason


@pytest.mark.parametrize(
    "damage,words",
    [
        (lambda w: w + b"not a warc record\r\n\r\n", "malformed record"),
        (lambda w: w[:-60], "truncated"),
        (lambda w: w.replace(b"WARC-Record-ID", b"WARC-Recxrd-ID", 2), "no WARC-Record-ID"),
        (lambda w: w[:150], "no Content-Length"),
        (lambda w: w[: w.index(b"WARC/1.0", 10) + 40], "malformed record"),
    ],
    ids=["garbage-after", "cut-short", "no-record-id", "cut-in-header", "cut-in-second-header"],
)
def test_a_malformed_warc_record_is_named_with_its_reason(damage, words):
    where, reason = failure(check(damage(warc_bytes(gzip_records=False)), "application/warc"))
    assert where.startswith("warc record ")
    assert words in reason


def test_a_malformed_record_inside_a_wacz_names_the_warc_and_record():
    members = wacz_members(warc=warc_bytes(gzip_records=False)[:-60])
    members["archive/data.warc"] = members.pop("archive/data.warc.gz")
    where, reason = failure(check(wacz_bytes(members)))
    assert where.startswith("archive/data.warc record 3")
    assert "truncated" in reason


def test_a_page_line_that_is_not_json_is_named():
    members = wacz_members()
    members["pages/pages.jsonl"] += b"{not json\n"
    assert failure(check(wacz_bytes(members))) == ("pages/pages.jsonl line 4", "not JSON")


def test_page_lines_longer_than_a_read_step_are_read_whole_up_to_the_cap():
    """Lines that span many 64 KiB reads: a 300 KB title is read whole (cut to 2,000
    characters when kept); a line past the cap fails as the page list."""
    members = wacz_members()
    long_title = "T" * 300_000
    members["pages/pages.jsonl"] += (
        f'{{"url": "http://news.example/long", "title": "{long_title}"}}\n'
        '{"url": "http://news.example/after"}'
    ).encode()
    result = check(wacz_bytes(members))
    assert result["verdict"] == "passed", result.get("failure")
    assert [p["url"] for p in result["pages"][-2:]] == [
        "http://news.example/long",
        "http://news.example/after",
    ]
    assert result["pages"][-2]["title"] == "T" * 2000
    capped = CaptureLimits(max_json_bytes=200_000)
    assert failure(check(wacz_bytes(members), limits=capped)) == (
        "pages/pages.jsonl",
        "a line longer than 200000 bytes",
    )


def test_an_arbitrary_zip_laid_out_as_a_wacz_but_empty_fails():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("archive/readme.txt", SCRIPT_PAGE)
    where, reason = failure(check(out.getvalue()))
    assert "required" in reason


def test_a_member_over_its_own_size_cap_fails():
    where, reason = failure(check(wacz_bytes(), limits=CaptureLimits(max_member_bytes=100)))
    assert where in wacz_members()
    assert "over the 100 cap" in reason


def test_a_gzipped_warc_stops_at_the_size_cap():
    where, reason = failure(
        check(warc_bytes(), "application/warc+gzip", CaptureLimits(max_total_bytes=500))
    )
    assert (where, reason) == ("warc", "expands past the 500-byte cap")


def test_a_member_name_that_appears_twice_fails():
    out = io.BytesIO(wacz_bytes())
    with pytest.warns(UserWarning), zipfile.ZipFile(out, "a") as archive:
        archive.writestr("pages/pages.jsonl", b"{}")  # zipfile warns, and writes both
    assert failure(check(out.getvalue())) == ("pages/pages.jsonl", "member name appears twice")


def test_an_encrypted_member_fails():
    data = bytearray(wacz_bytes())
    central = data.index(b"PK\x01\x02")
    data[central + 8] |= 0x01  # general purpose flag bit 0: encrypted
    where, reason = failure(check(bytes(data)))
    assert reason == "member is encrypted"


def test_a_member_compressed_other_than_stored_or_deflate_fails():
    where, reason = failure(check(wacz_bytes(compression=zipfile.ZIP_BZIP2)))
    assert reason == "compression method 12 not accepted"


def test_a_resource_declared_but_missing_from_the_package_is_named():
    declared = {**wacz_members(), "archive/gone.warc.gz": b"x"}
    where, reason = failure(check(wacz_bytes(wacz_members(), declared=declared)))
    assert where == "archive/gone.warc.gz"
    assert "missing from the package" in reason


def test_a_resource_whose_size_differs_from_the_declared_one_is_named():
    def wrong_size(document):
        document["resources"][1]["bytes"] += 1

    where, reason = failure(check(wacz_bytes(edit=wrong_size)))
    assert where == "indexes/index.cdxj"
    assert "datapackage.json declares" in reason


def test_what_was_read_before_a_failure_is_kept():
    members = wacz_members(warc=warc_bytes()[:-30])
    result = check(wacz_bytes(members))
    assert failure(result)[0].startswith("archive/data.warc.gz record")
    assert [p["url"] for p in result["pages"]] == [p[0] for p in PAGES]
    assert all(r["sha256"] == r["declared_sha256"] for r in result["resources"])


def test_a_flipped_bit_anywhere_in_any_members_data_fails():
    data = wacz_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        spans = [
            (i.header_offset + 30 + len(i.filename.encode()), i.compress_size)
            for i in archive.infolist()
        ]
    tried = 0
    for start, size in spans:
        for at in range(start, start + size, 5):
            changed = bytearray(data)
            changed[at] ^= 1 << (at % 8)
            assert check(bytes(changed))["verdict"] == "failed", at
            tried += 1
    assert tried > 300


def test_a_zip_needing_a_newer_version_than_python_reads_fails_and_does_not_crash():
    data = bytearray(wacz_bytes())
    central = data.index(b"PK\x01\x02")
    struct.pack_into("<H", data, central + 6, 126)  # version needed to extract: 12.6
    where, reason = failure(check(bytes(data)))
    assert (where, reason.split(":")[0]) == ("zip", "unreadable zip")


def test_a_zip64_package_is_counted_from_its_zip64_end_record(monkeypatch):
    monkeypatch.setattr(zipfile, "ZIP_FILECOUNT_LIMIT", 2)  # zipfile then writes zip64 records
    data = bytearray(wacz_bytes())
    monkeypatch.undo()
    assert b"PK\x06\x06" in data and b"PK\x06\x07" in data
    end = data.rindex(b"PK\x05\x06")
    struct.pack_into("<HH", data, end + 8, 0xFFFF, 0xFFFF)  # "the count is in the zip64 record"
    data = bytes(data)
    assert check(data)["verdict"] == "passed"
    where, reason = failure(check(data, limits=CaptureLimits(max_members=4)))
    assert (where, reason) == ("zip", "5 members, more than the 4 a package may hold")


@pytest.mark.parametrize(
    "old,new,words",
    [
        (b"WARC-Date: 20", b"WARC-Date: 1x", "WARC-Date is not a UTC timestamp"),
        (b"WARC-Record-ID: <urn:", b"WARC-Record-ID:  urn:", "WARC-Record-ID is not a <URI>"),
    ],
    ids=["date", "record-id"],
)
def test_a_record_whose_named_headers_are_malformed_fails(old, new, words):
    warc = warc_bytes(gzip_records=False)
    second = warc.index(b"WARC/1.0", 10)  # the first response record
    damaged = warc[:second] + warc[second:].replace(old, new, 1)
    where, reason = failure(check(damaged, "application/warc"))
    assert where == f"warc record 2 (offset {second})"
    assert reason == f"malformed record: {words}"


def test_the_warcinfo_fields_and_record_types_are_kept():
    result = check(wacz_bytes())
    assert result["record_types"] == {"warcinfo": 1, "response": 2}
    (info,) = result["warcinfo"]
    assert info == {"file": "archive/data.warc.gz", "software": "tests"}


def test_a_targeted_record_without_its_target_uri_fails():
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=False)
    text = io.BytesIO(b"notes")
    writer.write_record(
        writer.create_warc_record(
            "http://x.example/a", "resource", payload=text, warc_content_type="text/plain"
        )
    )
    damaged = out.getvalue().replace(b"WARC-Target-URI:", b"WARC-Targxt-URI:")
    assert failure(check(damaged, "application/warc")) == (
        "warc record 1 (offset 0)",
        "malformed record: a resource record without WARC-Target-URI",
    )


def _peak_reading_pages_of(words: int) -> tuple[int, list]:
    """The check's peak traced memory over a WACZ of two HTML responses of `words` words."""
    import tracemalloc

    body = b"<html><head><title>Big</title></head><body><p>" + b"shelling " * words
    data = wacz_bytes(wacz_members(warc=warc_bytes(gzip_records=True, body=body)))
    del body
    views = PageViews()
    tracemalloc.start()
    try:
        result = inspect_capture("application/wacz", io.BytesIO(data), LIMITS, views)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result["verdict"] == "passed", result.get("failure")
    return peak, [view["truncated"] for view in views.views]


def test_a_page_far_larger_than_its_view_is_read_in_flat_memory():
    """Each view keeps its page's first 2 MiB (marked truncated) and the rest of the record is
    only hashed: the check's memory is the same for 9 MB pages as for 40 MB ones (it held
    the whole page before: 85 MB at 40 MB)."""
    small, small_views = _peak_reading_pages_of(1_000_000)
    large, large_views = _peak_reading_pages_of(4_500_000)
    assert small_views == large_views == [True, True]
    assert large - small < 8_000_000, (small, large)
