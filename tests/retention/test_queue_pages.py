"""The disposition queue through HTTP: a witness forgotten by two people, what was kept shown,
and every step in the audit log."""

from __future__ import annotations

from sqlalchemy import select, text

from app.audit.models import AuditEvent
from app.extensions import db
from app.intake.services.taxonomy import sync_taxonomies
from app.retention.models import RetentionRequest
from tests.helpers.web import post_form
from tests.intake.builders import consent_input, make_interview, make_witness


def test_two_reviewers_forget_a_witness_and_the_page_says_what_was_kept(app, world, signed_in):
    sync_taxonomies()
    db.session.commit()
    witness = make_witness(
        world.investigation,
        world.field,
        consent_input(legal_proceedings=True),
        full_name="Amal Haddad",
    )
    make_interview(world.investigation, world.field, witness)
    asker, approver = signed_in(world.asker), signed_in(world.approver)

    asked = post_form(
        asker, world.url("/requests/forget"), {"witness_code": witness.code, "reason": "By phone"}
    )
    assert asked.status_code == 302
    request = db.session.scalar(select(RetentionRequest))
    done = post_form(approver, world.url(f"/requests/{request.id}/approve"), follow_redirects=True)
    page = done.get_data(as_text=True)
    assert "identity is destroyed" in page and "legal proceedings" in page
    assert "Amal" not in page
    name = db.session.execute(
        text("SELECT full_name FROM witnesses WHERE id = :id"), {"id": witness.id}
    ).scalar_one()
    assert name is None
    queue = approver.get(world.url("/requests")).get_data(as_text=True)
    assert witness.code in queue and "legal proceedings" in queue
    events = list(db.session.scalars(select(AuditEvent.event).order_by(AuditEvent.id)))
    assert "retention.requested" in events and "retention.approved" in events


def test_a_request_for_an_unknown_witness_is_refused_on_the_form(app, world, signed_in):
    response = post_form(
        signed_in(world.asker),
        world.url("/requests/forget"),
        {"witness_code": "W-9999", "reason": "By phone"},
    )
    assert response.status_code == 400
    assert "No witness of this investigation has that code." in response.get_data(as_text=True)
    assert db.session.scalar(select(RetentionRequest)) is None
