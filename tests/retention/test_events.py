"""Periods counted from events: a case file's closing, a consent's withdrawal, the investigation's
closing. Due dates follow the event when it happens and when it is undone (the clock moves with
time-machine, never sleep), and the preview counts them before a rule is saved."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import time_machine
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.extensions import db
from app.intake.services.consent import record_consent, withdrawal
from app.intake.services.consent_regrants import approve_regrant, request_regrant
from app.retention import rules
from app.retention.due import due_items
from app.retention.models import RetentionRule
from tests.helpers.web import post_form
from tests.intake.builders import consent_input
from tests.retention.conftest import stored_item
from tests.retention.support import (
    casefile_with,
    close_casefile,
    reopen_casefile,
    witness_with_attachment,
)
from tests.retention.test_rules import rule, run

DAY_0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def due_ids() -> list[str]:
    return [due.subject_id for due in due_items()]


def test_an_item_falls_due_30_days_after_its_case_file_is_closed_and_not_while_open(app, world):
    with time_machine.travel(DAY_0, tick=False) as clock:
        item = stored_item(world)
        casefile = casefile_with(world, "CF-T-EV1", item)
        rule(world, days=30, event="casefile_closed")
        clock.shift(timedelta(days=200))
        assert due_ids() == []  # received long ago, but the case file is still open
        close_casefile(world, casefile)
        clock.shift(timedelta(days=29, hours=23))
        assert due_ids() == []
        clock.shift(timedelta(hours=2))
        [due] = due_items()
        assert due.subject_id == item.id
        assert due.due_at == datetime(2026, 10, 17, 9, 0)  # closed on day 200, + 30 days
        assert f"evidence {item.id}: destroy_item (due 2026-10-17)" in run(app)


def test_reopening_the_case_file_takes_the_due_date_away_until_it_closes_again(app, world):
    with time_machine.travel(DAY_0, tick=False) as clock:
        item = stored_item(world)
        casefile = casefile_with(world, "CF-T-EV2", item)
        rule(world, days=30, event="casefile_closed")
        close_casefile(world, casefile)
        clock.shift(timedelta(days=31))
        assert due_ids() == [item.id]
        reopen_casefile(world, casefile)
        assert due_ids() == []
        assert "total: 0 item(s) due" in run(app)
        close_casefile(world, casefile)  # closed again on day 31: due on day 61
        clock.shift(timedelta(days=29))
        assert due_ids() == []
        clock.shift(timedelta(days=2))
        assert due_ids() == [item.id]


def test_an_item_in_two_case_files_waits_for_both_and_counts_from_the_last(app, world):
    with time_machine.travel(DAY_0, tick=False) as clock:
        item = stored_item(world)
        first = casefile_with(world, "CF-T-EV3", item)
        second = casefile_with(world, "CF-T-EV4", item)
        rule(world, days=10, event="casefile_closed")
        close_casefile(world, first)
        clock.shift(timedelta(days=20))
        assert due_ids() == []  # the second case file still needs it
        close_casefile(world, second)
        clock.shift(timedelta(days=9))
        assert due_ids() == []
        clock.shift(timedelta(days=2))
        [due] = due_items()
        assert due.due_at == datetime(2026, 3, 31, 9, 0)


def test_an_item_attached_to_an_interview_in_a_closed_case_file_falls_due(app, world):
    with time_machine.travel(DAY_0, tick=False) as clock:
        _, interview, item = witness_with_attachment(world)
        casefile = casefile_with(world, "CF-T-EV5", interview, item_type="interview")
        rule(world, days=5, event="casefile_closed", action="review")
        close_casefile(world, casefile)
        clock.shift(timedelta(days=6))
        assert due_ids() == [item.id]


def test_consent_withdrawn_counts_from_the_withdrawal_and_a_regrant_undoes_it(app, world):
    with time_machine.travel(DAY_0, tick=False) as clock:
        witness, _, item = witness_with_attachment(world)
        document = stored_item(world)  # the signed form of the later re-grant
        rule(world, days=10, event="consent_withdrawn", action="review")
        clock.shift(timedelta(days=100))
        assert due_ids() == []
        record_consent(witness, world.field, withdrawal("Arabic", date(2026, 6, 5)))
        db.session.commit()
        assert due_ids() == []  # 4 days after the withdrawal
        clock.shift(timedelta(days=6))
        [due] = due_items()
        assert due.subject_id == item.id and due.due_at == datetime(2026, 6, 15)
        regrant = request_regrant(
            witness, world.field, consent_input(obtained_on=date(2026, 6, 15)), document.id
        )
        db.session.commit()
        approve_regrant(regrant.id, world.asker)
        db.session.commit()
        assert due_ids() == []


def test_a_partial_withdrawal_is_not_consent_withdrawn(app, world):
    with time_machine.travel(DAY_0, tick=False) as clock:
        witness, _, _ = witness_with_attachment(world)
        rule(world, days=0, event="consent_withdrawn", action="review")
        record_consent(witness, world.field, consent_input(publication=False))
        db.session.commit()
        clock.shift(timedelta(days=30))
        assert due_ids() == []


def test_investigation_closed_follows_the_close_and_reopen_commands(app, world):
    reference = world.investigation.reference
    cli = app.test_cli_runner()
    with time_machine.travel(DAY_0, tick=False) as clock:
        item = stored_item(world)
        rule(world, days=30, event="investigation_closed")
        clock.shift(timedelta(days=90))
        assert due_ids() == []
        closed = cli.invoke(args=["investigations", "close", reference])
        assert closed.exit_code == 0 and f"{reference} closed" in closed.output
        again = cli.invoke(args=["investigations", "close", reference])
        assert again.exit_code != 0 and "not open" in again.output
        clock.shift(timedelta(days=31))
        assert due_ids() == [item.id]
        assert cli.invoke(args=["investigations", "reopen", reference]).exit_code == 0
        assert due_ids() == []
    events = db.session.scalars(
        select(AuditEvent.event)
        .where(AuditEvent.event.like("investigation.%"))
        .order_by(AuditEvent.id)
    )
    assert [event for event in events if event != "investigation.created"] == [
        "investigation.closed",
        "investigation.reopened",
    ]


def test_the_preview_counts_items_due_from_a_case_files_closing(app, world, signed_in):
    with time_machine.travel(DAY_0, tick=False) as clock:
        closed = casefile_with(world, "CF-T-EV6", stored_item(world), stored_item(world))
        casefile_with(world, "CF-T-EV7", stored_item(world))  # still open
        close_casefile(world, closed)
        clock.shift(timedelta(days=8))
        viewer = world.viewer(world.asker)
        data = rules.RuleInput("any", "casefile_closed", 7, "destroy_item")
        assert rules.preview_rule(viewer, data) == 2
        form = {"item_kind": "any", "event": "casefile_closed", "period_days": "7"}
        form.update(action="destroy_item", preview="1")
        page = post_form(signed_in(world.asker), world.url("/rules"), form)
        assert page.status_code == 200
        assert "would bring 2 items due now" in page.get_data(as_text=True)
        assert db.session.scalar(select(func.count()).select_from(RetentionRule)) == 0
        reopen_casefile(world, closed)
        assert rules.preview_rule(viewer, data) == 0
