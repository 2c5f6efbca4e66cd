"""The destination is a choice that decides the consent testimony needs; only an approved case
file leaves the organisation; a draft goes to internal review, marked on every report page."""

from __future__ import annotations

import io
import json
from datetime import date

from pypdf import PdfReader

from app.extensions import db
from app.jobs.models import Job
from tests.casefiles.test_export_bag import cli_export
from tests.casefiles.test_export_protection import _web_export
from tests.intake.builders import consent_input

UN_REFUSED = "withdrew consent to sharing with UN mechanisms"


def _refuse_un_sharing(world) -> None:
    from app.intake.services.consent import record_consent

    data = consent_input(named=False, un_sharing=False, obtained_on=date(2016, 7, 1))
    record_consent(world.witness, world.field, data)
    db.session.commit()


def export_form(client, world) -> str:
    base = f"/investigations/{world.investigation.reference}/cases/{world.casefile.reference}"
    return client.get(f"{base}/export").get_data(as_text=True)


def plan_section(page: str, destination_label: str) -> str:
    """The form's "what each destination leaves out" entry for one destination."""
    return page.split(destination_label, 1)[1].split("<dt>", 1)[0]


def _transcripts(bag) -> str:
    return "".join(p.read_text() for p in bag.glob("data/items/*/transcript.txt"))


def test_withdrawn_un_sharing_keeps_testimony_out_of_a_un_export_but_not_a_court_export(
    app, approved_case, tmp_path
):
    world = approved_case
    _refuse_un_sharing(world)
    un_bag, court_bag = tmp_path / "un", tmp_path / "court"
    cli_export(app, world.casefile.reference, un_bag, "--destination", "un_mechanism")
    cli_export(app, world.casefile.reference, court_bag, "--destination", "court")

    un_left_out = json.loads((un_bag / "data" / "exclusions.json").read_text())
    reasons = {e["item_id"]: e["reason"] for e in un_left_out}
    assert UN_REFUSED in reasons[world.interview.id]
    assert "second strike hit the entrance" not in _transcripts(un_bag)
    un_report = (un_bag / "data/report/casefile-report.html").read_text()
    assert UN_REFUSED in un_report and "UN investigative mechanism" in un_report

    court_left_out = json.loads((court_bag / "data" / "exclusions.json").read_text())
    assert world.interview.id not in {e["item_id"] for e in court_left_out}
    assert "second strike hit the entrance" in _transcripts(court_bag)


def test_a_draft_case_file_cannot_be_exported_externally(
    app, built_case, signed_in, export_dir, tmp_path
):
    world = built_case
    author = signed_in(world.author)
    for destination in ("court", "un_mechanism", "partner", "publication"):
        response, _ = _web_export(
            author, world, {"destination": destination, "files": "originals", "for_whom": "X"}
        )
        assert response.status_code == 403, destination
        assert "internal review only" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.query(Job).count() == 0
    refused = app.test_cli_runner().invoke(
        args=[
            *("case", "export", world.casefile.reference, "--out", str(tmp_path / "bag")),
            *("--destination", "court", "--unencrypted-reason", "on site"),
        ]
    )
    assert refused.exit_code != 0 and "internal review only" in refused.output
    assert not (tmp_path / "bag").exists()


def test_a_draft_exports_to_internal_review_marked_on_every_report_page(app, built_case, tmp_path):
    bag = tmp_path / "bag"
    cli_export(app, built_case.casefile.reference, bag, "--destination", "internal_review")
    pdf = PdfReader(io.BytesIO((bag / "data/report/casefile-report.pdf").read_bytes()))
    assert len(pdf.pages) > 1
    for number, page in enumerate(pdf.pages, start=1):
        assert "Draft, not approved" in (page.extract_text() or ""), f"page {number}"
    info = (bag / "bag-info.txt").read_text()
    assert "Destination: Internal review" in info


def test_an_approved_report_carries_no_draft_mark(app, approved_case, tmp_path):
    bag = tmp_path / "bag"
    cli_export(app, approved_case.casefile.reference, bag, "--destination", "court")
    pdf = PdfReader(io.BytesIO((bag / "data/report/casefile-report.pdf").read_bytes()))
    assert all("Draft, not approved" not in (p.extract_text() or "") for p in pdf.pages)


def test_the_form_shows_what_each_destination_leaves_out_before_the_export_starts(
    approved_case, signed_in
):
    world = approved_case
    _refuse_un_sharing(world)
    page = export_form(signed_in(world.author), world).split('id="plan-heading"', 1)[1]
    un_section = plan_section(page, "UN investigative mechanism")
    assert UN_REFUSED in un_section
    court_section = plan_section(page, "A court or prosecutor")
    assert UN_REFUSED not in court_section
    assert world.withdrawn_witness.code in court_section  # withdrew everything
    db.session.expire_all()
    assert db.session.query(Job).count() == 0


def test_the_form_of_a_draft_says_external_destinations_need_approval(built_case, signed_in):
    world = built_case
    page = export_form(signed_in(world.author), world).split('id="plan-heading"', 1)[1]
    court_section = plan_section(page, "A court or prosecutor")
    assert "internal review only" in court_section


def test_an_unencrypted_export_needs_a_reason_and_says_so(
    app, approved_case, signed_in, export_dir, tmp_path
):
    world = approved_case
    author = signed_in(world.author)
    refused, _ = _web_export(
        author,
        world,
        {"destination": "court", "files": "originals", "for_whom": "OTP", "unencrypted_reason": ""},
    )
    assert refused.status_code == 400
    assert "delivered unencrypted" in refused.get_data(as_text=True)
    bag = tmp_path / "bag"
    cli_export(
        app,
        world.casefile.reference,
        bag,
        *("--destination", "court", "--unencrypted-reason", "Technician imports it on site"),
    )
    info = (bag / "bag-info.txt").read_text()
    assert "Encryption: none: Technician imports it on site" in info
    report = (bag / "data/report/casefile-report.html").read_text()
    assert "Delivered unencrypted." in report
