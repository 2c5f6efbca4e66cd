"""WACZs made by Webrecorder's own `wacz create` (py-wacz, run as a separate command) from
warcio-written WARCs, received through Custos's intake: a complete one passes with its pages,
records and hashes, and `wacz validate` agrees; one without pages/pages.jsonl, which
`wacz validate` lets pass, fails Custos's check naming that file; a changed byte fails both."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess  # nosec B404: the reference tool, run with fixed arguments
import sys
import zipfile
from pathlib import Path

import pytest

from tests.security.intake_channels import (  # noqa: F401 (fixtures)
    intake_fixture,
    vault_dir_fixture,
)
from tests.webcapture.captures import PAGES, warc_bytes
from tests.webcapture.test_intake import only_check, stored_intact

WACZ_TOOL = Path(sys.executable).with_name("wacz")  # requirements-dev.txt: wacz==0.6.0
WACZ = "application/wacz"


def wacz(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess:
    assert WACZ_TOOL.exists(), f"{WACZ_TOOL} missing: `make install-dev` installs py-wacz"
    return subprocess.run(  # noqa: S603 (the venv's own tool, fixed arguments)
        [str(WACZ_TOOL), *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def made_by_the_tool(tmp_path: Path, gzip_records: bool = True, pages: bool = True) -> bytes:
    """`wacz create` over a warcio WARC; with `pages`, the page list given as -p (matched to
    the WARC's responses by URL, as the tool does), else no page option at all."""
    warc = tmp_path / ("capture.warc.gz" if gzip_records else "capture.warc")
    warc.write_bytes(warc_bytes(gzip_records=gzip_records))
    options: list[str | Path] = []
    if pages:
        lines = [{"format": "json-pages-1.0", "id": "pages", "title": "All Pages"}]
        lines += [{"url": url, "title": title} for url, _, title in PAGES]
        listed = tmp_path / "in-pages.jsonl"
        listed.write_text("".join(json.dumps(line) + "\n" for line in lines))
        options = ["-p", listed]
    out = tmp_path / "made.wacz"
    made = wacz("create", "-o", out, *options, warc, cwd=tmp_path)
    assert made.returncode == 0, made.stdout + made.stderr
    return out.read_bytes()


def without_member(data: bytes, name: str) -> bytes:
    """The same zip less one member; datapackage.json (and so its digest) left as made."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as copy:
        for info in source.infolist():
            if info.filename != name:
                copy.writestr(info, source.read(info))
    return out.getvalue()


def the_tool_validates(tmp_path: Path, data: bytes) -> bool:
    path = tmp_path / "to-validate.wacz"
    path.write_bytes(data)
    checked = wacz("validate", "-f", path, cwd=tmp_path)
    return checked.returncode == 0 and "Validation succeeded" in checked.stdout


@pytest.mark.parametrize("gzip_records", [True, False], ids=["warc.gz", "warc"])
def test_a_wacz_made_by_the_wacz_tool_is_received_with_pages_records_and_hashes(
    intake, tmp_path, gzip_records
):
    data = made_by_the_tool(tmp_path, gzip_records)
    item = stored_intact(intake, intake.send("web", "made.wacz", data), data, WACZ)
    check = only_check(item)
    result = json.loads(check.result)
    assert check.verdict == "passed", result.get("failure")
    assert [page["url"] for page in result["pages"]] == [url for url, _, _ in PAGES]
    assert [page["title"] for page in result["pages"]] == [title for _, _, title in PAGES]
    assert result["record_types"] == {"warcinfo": 1, "response": len(PAGES)}
    assert {r["target_uri"] for r in result["records"] if r["type"] == "response"} == {
        url for url, _, _ in PAGES
    }
    assert all(record["digests_checked"] for record in result["records"])
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        declared = json.loads(archive.read("datapackage.json"))["resources"]
        actual = {n: hashlib.sha256(archive.read(n)).hexdigest() for n in archive.namelist()}
    assert result["datapackage"]["software"].startswith("py-wacz")
    assert {r["path"]: r["sha256"] for r in result["resources"]} == {
        r["path"]: actual[r["path"]] for r in declared
    }
    assert {r["path"]: "sha256:" + r["sha256"] for r in result["resources"]} == {
        r["path"]: r["hash"] for r in declared
    }
    # The reference tool agrees about the very bytes Custos stored.
    assert the_tool_validates(tmp_path, intake.download(item.id).data)


@pytest.mark.parametrize(
    "how,the_tool_accepts",
    [("made-without-pages", True), ("pages-removed", False)],
)
def test_a_wacz_without_its_page_list_fails_custos_even_where_wacz_validate_passes_it(
    intake, tmp_path, how, the_tool_accepts
):
    """`wacz create` with no page option makes a package without pages/pages.jsonl that
    `wacz validate` passes (the issue's gap); one whose declared page list was taken out
    fails both (the tool misses the declared file)."""
    if how == "made-without-pages":
        data = made_by_the_tool(tmp_path, pages=False)
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            assert "pages/pages.jsonl" not in archive.namelist()
    else:
        data = without_member(made_by_the_tool(tmp_path), "pages/pages.jsonl")
    assert the_tool_validates(tmp_path, data) is the_tool_accepts
    item = stored_intact(intake, intake.send("api", "no-pages.wacz", data), data, WACZ)
    check = only_check(item)
    result = json.loads(check.result)
    assert check.verdict == "failed"
    assert result["failure"] == {"where": "pages/pages.jsonl", "reason": "required file missing"}


def test_a_changed_byte_in_a_tool_made_wacz_fails_custos_and_the_tool(intake, tmp_path):
    data = made_by_the_tool(tmp_path)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        warc = archive.read("archive/capture.warc.gz")  # stored, as WACZ 1.1.1 asks
    middle = len(warc) // 2
    changed = data.replace(warc, warc[:middle] + bytes([warc[middle] ^ 1]) + warc[middle + 1 :])
    assert changed != data
    assert not the_tool_validates(tmp_path, changed)
    item = stored_intact(intake, intake.send("tus", "changed.wacz", changed), changed, WACZ)
    result = json.loads(only_check(item).result)
    assert result["verdict"] == "failed"
    assert result["failure"]["where"] == "archive/capture.warc.gz"
