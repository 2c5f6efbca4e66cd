"""An item in case files is destroyed only once all of them are closed (approved for referral);
then its case-file rows stay and say what happened in its place: the case-file page, its
matrix, and an export built afterwards (the report and exclusions.json) name the tombstone."""

from __future__ import annotations

import json

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from app.casefiles.models import CaseItem, ElementLink
from app.casefiles.services import casefiles as casefile_service
from app.casefiles.services.export_bagit import ExportRequest, export_casefile
from app.casefiles.services.exports import exporter_for
from app.casefiles.services.items import destroyed_summaries, summaries_for
from app.casefiles.services.matrix import build_matrix
from app.casefiles.services.workflow import transition
from app.extensions import db
from app.retention import decisions, disposition
from app.retention.errors import RetentionError
from app.vault.models import EvidenceItem
from tests.retention.conftest import stored_item
from tests.retention.support import casefile_with, close_casefile, reopen_casefile
from tests.retention.test_disposition import destroy, ledger


def ask(world, item):
    request = disposition.request_destruction(world.viewer(world.asker), item.id, "Expired")
    db.session.commit()
    return request


def test_an_item_in_a_draft_or_in_review_case_file_is_refused_naming_it(app, world):
    item = stored_item(world)
    casefile = casefile_with(world, "CF-T-OPEN", item)
    with pytest.raises(RetentionError, match="not closed.*CF-T-OPEN"):
        ask(world, item)
    db.session.rollback()
    transition(world.investigation, casefile, world.asker, "in_review", "Ready")
    db.session.commit()
    with pytest.raises(RetentionError, match="CF-T-OPEN"):
        ask(world, item)
    db.session.rollback()
    assert db.session.get(EvidenceItem, item.id) is not None


def test_an_item_waits_until_every_case_file_holding_it_is_closed(app, world):
    item = stored_item(world)
    first = casefile_with(world, "CF-T-ONE", item)
    second = casefile_with(world, "CF-T-TWO", item)
    close_casefile(world, first)
    with pytest.raises(RetentionError, match="CF-T-TWO") as refusal:
        ask(world, item)
    db.session.rollback()
    assert "CF-T-ONE" not in str(refusal.value)
    close_casefile(world, second)
    destroy(world, item)
    assert db.session.get(EvidenceItem, item.id) is None
    rows = db.session.scalars(select(CaseItem.item_id).where(CaseItem.item_type == "evidence"))
    assert list(rows) == [item.id, item.id]  # both case files still name it


def test_a_case_file_reopened_after_the_request_refuses_the_approval(app, world):
    item = stored_item(world)
    casefile = casefile_with(world, "CF-T-BACK", item)
    close_casefile(world, casefile)
    request = ask(world, item)
    reopen_casefile(world, casefile)
    with pytest.raises(RetentionError, match="CF-T-BACK"):
        decisions.approve(world.viewer(world.approver), request.id)
    db.session.rollback()
    assert db.session.get(EvidenceItem, item.id) is not None


def destroyed_in_closed_casefile(world):
    item = stored_item(world)
    casefile = casefile_with(world, "CF-T-TOMB", item)
    close_casefile(world, casefile)
    sha256 = item.sha256
    destroy(world, item)
    return casefile, item.id, sha256


def test_the_case_file_page_shows_the_tombstone_in_the_items_place(app, world, signed_in):
    casefile, item_id, sha256 = destroyed_in_closed_casefile(world)
    url = f"/investigations/{world.investigation.reference}/cases/{casefile.reference}"
    page = signed_in(world.approver).get(url)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert f"Destroyed evidence item {item_id}" in text
    assert f"SHA-256 {sha256}" in text
    assert f"asked by {world.asker.email} and approved by {world.approver.email}" in text
    matrix = signed_in(world.approver).get(f"{url}/matrix")
    assert matrix.status_code == 200 and f"SHA-256 {sha256}" in matrix.get_data(as_text=True)


def test_a_field_member_learns_nothing_from_the_tombstone(app, world):
    casefile, _, _ = destroyed_in_closed_casefile(world)
    assert destroyed_summaries(world.investigation, world.field, casefile.items) == {}
    assert destroyed_summaries(world.investigation, world.asker, casefile.items) != {}


def test_a_destroyed_item_keeps_its_matrix_column_but_no_longer_counts_as_support(app, world):
    from app.casefiles.services.frameworks import load_shipped_frameworks
    from tests.casefiles.conftest import crime, element

    load_shipped_frameworks()
    db.session.commit()
    item = stored_item(world)
    casefile = casefile_with(world, "CF-T-MTX", item)
    casefile.characterizations.append(crime("8(2)(e)(iv)"))
    [case_item] = casefile.items
    target = element("8(2)(e)(iv)", "1")
    casefile_service.link_element(casefile, world.asker, case_item, target.id, "supporting", "")
    db.session.commit()
    transition(world.investigation, casefile, world.asker, "in_review", "Ready")
    transition(world.investigation, casefile, world.approver, "approved", "Yes", True)
    db.session.commit()
    destroy(world, item)

    summaries = summaries_for(world.investigation, world.asker, casefile.items)
    summaries |= destroyed_summaries(world.investigation, world.asker, casefile.items)
    matrix = build_matrix(casefile, summaries)
    [(column, summary)] = matrix.columns
    assert summary.gone and column.id == case_item.id
    row = matrix.row_for("8(2)(e)(iv)", "1")
    assert row.stances(case_item.id) == {"supporting"}  # the link as it was made
    assert (row.supporting, row.no_support) == (0, True)  # it can no longer be produced
    assert db.session.scalar(select(ElementLink.id)) is not None


def test_an_export_built_after_the_destruction_names_the_tombstone(app, world, tmp_path):
    casefile, item_id, sha256 = destroyed_in_closed_casefile(world)
    out = tmp_path / "bag"
    result = export_casefile(
        casefile,
        exporter_for(world.investigation, world.asker),
        ExportRequest(for_whom="OTP", unencrypted_reason="Test of a plaintext bag"),
        out,
    )
    db.session.commit()
    [excluded] = result.excluded
    assert excluded.item_id == item_id
    assert excluded.label == f"Destroyed evidence item {item_id}"
    assert f"SHA-256 {sha256}" in excluded.reason and "Destroyed on " in excluded.reason
    listed = json.loads((out / "data" / "exclusions.json").read_text())
    assert listed[0]["item_id"] == item_id and sha256 in listed[0]["reason"]
    report = (out / "data" / "report" / "casefile-report.html").read_text()
    assert f"Destroyed evidence item {item_id}" in report and sha256 in report
    pdf = PdfReader(out / "data" / "report" / "casefile-report.pdf")
    text = " ".join(" ".join(page.extract_text().split()) for page in pdf.pages)
    assert "Destroyed evidence item" in text and "kept in its tombstone" in text
    verify = app.test_cli_runner().invoke(args=["custody", "verify"])
    assert verify.exit_code == 0, verify.output


def test_an_item_linked_to_an_incident_is_destroyed_with_its_link(app, world):
    from app.intake.services.evidence_links import link_to_incident
    from app.vault.incident_links import IncidentEvidence, UploadLink
    from tests.intake.builders import make_incident

    incident = make_incident(world.investigation, world.field)
    item = stored_item(world)
    link = UploadLink(incident.id, "victims", "Two children in the rubble")
    link_to_incident(world.viewer(world.field), item, link)
    db.session.commit()
    destroy(world, item)
    assert db.session.get(EvidenceItem, item.id) is None
    assert db.session.scalar(select(IncidentEvidence.id)) is None  # its sealed note with it
    [entry] = [e for e in ledger("destroyed") if e["object"]["id"] == item.id]
    assert entry["details"]["incidents"] == [incident.id]
