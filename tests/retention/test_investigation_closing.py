"""Closing and reopening an investigation on the admin's members page (or `flask investigations
close|reopen`): audited, in the investigation's custody ledger, and the ledger still verifies."""

from __future__ import annotations

from sqlalchemy import select

from app.audit.models import AuditEvent
from app.extensions import db
from app.investigations.models import Investigation
from tests.helpers.factories import UserFactory
from tests.helpers.web import page_messages, post_form
from tests.retention.test_disposition import ledger


def test_an_admin_closes_and_reopens_it_audited_and_in_its_ledger(app, world, signed_in):
    reference = world.investigation.reference
    admin = UserFactory(role="admin")
    client = signed_in(admin)
    base = f"/admin/investigations/{reference}"
    assert "Close the investigation" in client.get(f"{base}/members").get_data(as_text=True)

    closed = post_form(client, f"{base}/close", follow_redirects=True)
    assert "Investigation closed." in page_messages(closed)
    assert "Reopen the investigation" in closed.get_data(as_text=True)
    investigation = db.session.get(Investigation, world.investigation.id)
    db.session.refresh(investigation)
    assert investigation.status == "closed" and investigation.closed_at is not None
    [entry] = ledger("investigation_closed")
    assert entry["object"] == {"type": "investigation", "id": investigation.id}
    assert entry["actor"]["id"] == admin.id

    again = post_form(client, f"{base}/close", follow_redirects=True)
    assert any("not open" in message for message in page_messages(again))
    assert len(ledger("investigation_closed")) == 1

    reopened = post_form(client, f"{base}/reopen", follow_redirects=True)
    assert any(m.startswith("Investigation reopened") for m in page_messages(reopened))
    [entry] = ledger("investigation_reopened")
    assert entry["actor"]["id"] == admin.id
    events = db.session.scalars(
        select(AuditEvent.event).where(
            AuditEvent.event.in_(["investigation.closed", "investigation.reopened"])
        )
    )
    assert sorted(events) == ["investigation.closed", "investigation.reopened"]
    verify = app.test_cli_runner().invoke(args=["custody", "verify"])
    assert verify.exit_code == 0, verify.output


def test_closing_at_the_command_line_is_in_the_ledger_as_the_operator(app, world):
    reference = world.investigation.reference
    result = app.test_cli_runner().invoke(args=["investigations", "close", reference])
    assert result.exit_code == 0, result.output
    [entry] = ledger("investigation_closed")
    assert entry["actor"]["id"] == "system:cli"


def test_a_lawyer_member_cannot_close_it(app, world, signed_in):
    client = signed_in(world.asker)
    response = post_form(client, f"/admin/investigations/{world.investigation.reference}/close")
    assert response.status_code == 403
    assert ledger("investigation_closed") == []
