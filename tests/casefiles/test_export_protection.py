"""Exports never carry a witness's identity unless the naming rule allows it; testimony without
consent to legal use is left out with its reason."""

from __future__ import annotations

import io
import json
import re
import tarfile
from pathlib import Path

import pytest
from pypdf import PdfReader

from app.crypto.age import AgeReader, FileSource, Identity
from app.extensions import db
from tests.casefiles.conftest import (
    HIDDEN_CONTACT,
    HIDDEN_LOCATION,
    HIDDEN_NAME,
    NAMED_NAME,
    WITHDRAWN_NAME,
    wait_for_job,
)
from tests.casefiles.test_export_bag import cli_export
from tests.helpers.web import post_form

IDENTITY_STRINGS = [
    HIDDEN_NAME,
    "Yasmin",
    "Haddad-Qasimi",
    HIDDEN_CONTACT,
    HIDDEN_CONTACT.replace(" ", ""),
    HIDDEN_LOCATION,
    "Zahraa street",
    WITHDRAWN_NAME,
]


def bag_texts(bag: Path) -> dict[str, str]:
    """Every file of the bag as text; PDFs by their extracted text, binaries as latin-1."""
    texts = {}
    for path in sorted(p for p in bag.rglob("*") if p.is_file()):
        data = path.read_bytes()
        if path.suffix == ".pdf":
            text = "\n".join(
                page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages
            )
            texts[str(path.relative_to(bag))] = text + data.decode("latin-1")
        else:
            texts[str(path.relative_to(bag))] = data.decode("utf-8", "replace") + data.decode(
                "latin-1"
            )
        texts["<name> " + str(path.relative_to(bag))] = str(path.relative_to(bag))
    return texts


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text).lower()


def find_identities(texts: dict[str, str], strings: list[str]) -> list[tuple[str, str]]:
    found = []
    for name, text in texts.items():
        flat = squash(text)
        for needle in strings:
            if needle.lower() in text.lower() or squash(needle) in flat:
                found.append((name, needle))
    return found


def test_cli_export_holds_no_identity_string_in_any_file(app, built_case, tmp_path):
    out = tmp_path / "bag"
    cli_export(app, built_case.casefile.reference, out, "--files", "both")
    texts = bag_texts(out)
    assert any("transcript.pdf" in name for name in texts)
    assert find_identities(texts, [*IDENTITY_STRINGS, NAMED_NAME, "omar.kd@example.net"]) == []
    # The pseudonyms are there instead, and the testimony text itself survived.
    report = texts["data/report/casefile-report.html"]
    assert built_case.witness.code in report
    assert any(
        "second strike hit the entrance" in t for n, t in texts.items() if "transcript.txt" in n
    )


def test_testimony_whose_consent_was_withdrawn_is_left_out_with_its_reason(
    app, approved_case, tmp_path
):
    built_case = approved_case
    out = tmp_path / "bag"
    cli_export(app, built_case.casefile.reference, out, "--destination", "court")
    exclusions = json.loads((out / "data" / "exclusions.json").read_text())
    assert [e["item_id"] for e in exclusions] == [built_case.withdrawn_interview.id]
    assert "withdrew consent to use in legal proceedings" in exclusions[0]["reason"]
    assert built_case.withdrawn_witness.code in exclusions[0]["reason"]
    texts = bag_texts(out)
    assert find_identities(texts, ["WITHDRAWN-TESTIMONY-MARKER"]) == []
    assert "withdrew consent" in texts["data/report/casefile-report.html"]


def _web_export(client, world, data: dict):
    """Start an export from the form; unencrypted (with a reason) unless it names a key."""
    base = f"/investigations/{world.investigation.reference}/cases/{world.casefile.reference}"
    page = f"{base}/export"
    data = {
        "unencrypted_reason": "checked on site by the technician",
        "access_reason": "legal_proceedings",  # starting an export states why (app/accesslog)
        **data,
    }
    return post_form(client, page, data, page=page), base


def _download_bag(
    client, world, response, tmp_path: Path, identity: Identity | None = None
) -> Path:
    assert response.status_code == 302, response.status_code
    status_url = response.headers["Location"]
    body = wait_for_job(client, status_url + "/progress")
    assert body["state"] == "done", body
    download = client.get(body["download_url"])
    assert download.status_code == 200
    data = download.get_data()
    if identity is not None:
        data = b"".join(AgeReader.open(_source(tmp_path, data), [identity]).iter_all())
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(tmp_path / "unpacked", filter="data")
    return tmp_path / "unpacked" / world.casefile.reference


def _source(tmp_path: Path, data: bytes) -> FileSource:
    path = tmp_path / "download.age"
    path.write_bytes(data)
    return FileSource(path)


def test_a_witness_is_named_only_with_consent_identity_grant_and_the_explicit_tick(
    app, built_case, signed_in, tmp_path, export_dir
):
    author = signed_in(built_case.author)  # may see identities
    response, _ = _web_export(
        author,
        built_case,
        {
            "files": "originals",
            "for_whom": "ICC Office of the Prosecutor",
            "named_witnesses": [built_case.hearsay_witness.id],
        },
    )
    bag = _download_bag(author, built_case, response, tmp_path)
    texts = bag_texts(bag)
    assert find_identities(texts, [NAMED_NAME]), "the ticked, consenting witness is named"
    # ... but never their contact, and never the witnesses who were not ticked or did not consent.
    assert find_identities(texts, [*IDENTITY_STRINGS, "omar.kd@example.net"]) == []


def test_without_the_tick_the_consenting_witness_stays_a_pseudonym(
    app, built_case, signed_in, tmp_path, export_dir
):
    author = signed_in(built_case.author)
    response, _ = _web_export(
        author, built_case, {"files": "originals", "for_whom": "UN Commission of Inquiry"}
    )
    bag = _download_bag(author, built_case, response, tmp_path)
    assert find_identities(bag_texts(bag), [*IDENTITY_STRINGS, NAMED_NAME]) == []


def test_naming_is_refused_to_a_lawyer_who_may_not_see_identities(
    app, built_case, signed_in, export_dir
):
    reviewer = signed_in(built_case.reviewer)  # no identity grant
    response, _ = _web_export(
        reviewer,
        built_case,
        {
            "files": "originals",
            "for_whom": "ICC",
            "named_witnesses": [built_case.hearsay_witness.id],
        },
    )
    assert response.status_code == 403
    from app.casefiles.models import CaseExport

    db.session.expire_all()
    assert db.session.query(CaseExport).count() == 0


def test_naming_a_witness_who_did_not_consent_is_refused(app, built_case, signed_in, export_dir):
    author = signed_in(built_case.author)
    response, _ = _web_export(
        author,
        built_case,
        {"files": "originals", "for_whom": "ICC", "named_witnesses": [built_case.witness.id]},
    )
    assert response.status_code == 403
    assert HIDDEN_NAME not in response.get_data(as_text=True)


def test_web_export_to_a_recipient_is_an_age_file_for_that_key(
    app, built_case, signed_in, tmp_path, export_dir
):
    identity = Identity.generate()
    author = signed_in(built_case.author)
    response, _ = _web_export(
        author,
        built_case,
        {"files": "both", "for_whom": "ICC", "recipient": str(identity.recipient)},
    )
    bag = _download_bag(author, built_case, response, tmp_path, identity=identity)
    assert (bag / "tagmanifest-sha256.txt.minisig").is_file()
    assert list((bag / "data" / "items").glob("*-evidence-*/redacted")) == []  # none made yet
    assert list((bag / "data" / "items").glob("*-evidence-*/original/*"))


@pytest.mark.parametrize(
    "bad", [{"recipient": "age1notakey"}, {"files": "everything"}, {"for_whom": ""}]
)
def test_bad_export_options_are_refused_and_nothing_starts(
    app, built_case, signed_in, export_dir, bad
):
    author = signed_in(built_case.author)
    data = {"files": "originals", "for_whom": "ICC", **bad}
    response, _ = _web_export(author, built_case, data)
    assert response.status_code == 400
    from app.jobs.models import Job

    db.session.expire_all()
    assert db.session.query(Job).count() == 0
