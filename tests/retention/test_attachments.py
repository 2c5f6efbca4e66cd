"""Recordings and attachments of testimony: a "consent withdrawn" rule brings them due, and two
people can destroy them once every witness of them has withdrawn all consent (or been
forgotten); the document of a consent is kept with the consent record, and no rule lists it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from app.extensions import db
from app.intake.models.interviews import Interview, InterviewEvidence
from app.intake.services.consent import record_consent, withdrawal
from app.intake.services.consent_regrants import request_regrant
from app.retention import decisions, disposition, forgetting
from app.retention.due import due_items
from app.retention.errors import RetentionError
from app.retention.models import EvidenceTombstone
from app.timeutil import utcnow
from app.vault.models import EvidenceItem
from tests.intake.builders import consent_input
from tests.retention.conftest import stored_item
from tests.retention.support import casefile_with, close_casefile, witness_with_attachment
from tests.retention.test_disposition import destroy, ledger
from tests.retention.test_rules import rule

DAY_0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def withdraw_all(world, witness) -> None:
    """The witness withdraws every consent today (the clock's today)."""
    record_consent(witness, world.field, withdrawal("Arabic", utcnow().date()))
    db.session.commit()


def test_a_withdrawn_witness_attachment_falls_due_and_two_people_destroy_it(app, world):
    with time_machine.travel(DAY_0, tick=False) as clock:
        witness, interview, item = witness_with_attachment(world)
        destroy_rule = rule(world, days=10, event="consent_withdrawn", action="destroy_item")
        clock.shift(timedelta(days=1))
        withdraw_all(world, witness)
        clock.shift(timedelta(days=11))
        assert [due.subject_id for due in due_items()] == [item.id]
        destroy(world, item)

    assert db.session.get(EvidenceItem, item.id) is None
    assert db.session.get(Interview, interview.id) is not None  # the testimony is not the item
    assert db.session.scalar(select(func.count()).select_from(InterviewEvidence)) == 0
    [entry] = ledger("destroyed")
    assert entry["details"]["interviews"] == [interview.id]
    assert entry["details"]["rule"] == destroy_rule.id
    assert db.session.scalar(select(EvidenceTombstone.rule_id)) == destroy_rule.id
    assert app.test_cli_runner().invoke(args=["custody", "verify"]).exit_code == 0


def test_while_the_witness_still_consents_the_attachment_is_refused_naming_them(app, world):
    witness, _, item = witness_with_attachment(world)
    with pytest.raises(RetentionError, match=f"belongs to an interview of {witness.code}"):
        disposition.request_destruction(world.viewer(world.asker), item.id, "Old")


def test_an_attachment_of_a_forgotten_witness_can_be_destroyed(app, world):
    witness, _, item = witness_with_attachment(world)
    request = forgetting.request_forgetting(world.viewer(world.asker), witness.code, "Asked")
    db.session.commit()
    decisions.approve(world.viewer(world.approver), request.id)
    db.session.commit()
    destroy(world, item)
    assert db.session.get(EvidenceItem, item.id) is None


def test_an_interview_in_an_open_case_file_keeps_its_attachment(app, world):
    witness, interview, item = witness_with_attachment(world)
    casefile = casefile_with(world, "CF-T-ATT", interview, item_type="interview")
    withdraw_all(world, witness)
    with pytest.raises(RetentionError, match="case file that is not closed: CF-T-ATT"):
        disposition.request_destruction(world.viewer(world.asker), item.id, "Old")
    db.session.rollback()
    close_casefile(world, casefile)
    destroy(world, item)
    assert db.session.get(EvidenceItem, item.id) is None


def test_the_document_of_a_consent_is_kept_and_no_withdrawal_rule_lists_it(app, world):
    with time_machine.travel(DAY_0, tick=False) as clock:
        witness, _, attachment = witness_with_attachment(world)
        rule(world, days=0, event="consent_withdrawn", action="destroy_item")
        clock.shift(timedelta(days=1))
        withdraw_all(world, witness)
        document = stored_item(world)  # the signed form of a re-grant, still waiting
        request_regrant(
            witness, world.field, consent_input(obtained_on=date(2026, 3, 2)), document.id
        )
        db.session.commit()
        clock.shift(timedelta(days=1))
        assert [due.subject_id for due in due_items()] == [attachment.id]
    with pytest.raises(RetentionError, match="documents a witness's consent"):
        disposition.request_destruction(world.viewer(world.asker), document.id, "Withdrawn")
