"""Retention rules bring items due as the clock moves (time-machine, never sleep); a hold keeps
a due item, the ledger says disposition was blocked (once), and a bad rule stores nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from app.extensions import db
from app.retention import decisions, holds, rules
from app.retention.due import due_items
from app.retention.errors import RetentionError
from app.retention.models import RetentionRule
from tests.helpers.web import post_form
from tests.retention.conftest import stored_item
from tests.retention.test_disposition import destroy, hold_on, ledger

DAY_0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def rule(world, days: int = 30, action: str = "destroy_item", **kw) -> RetentionRule:
    made = rules.add_rule(
        world.viewer(world.asker),
        rules.RuleInput(
            kw.pop("item_kind", "any"), kw.pop("event", "received"), days, action, **kw
        ),
    )
    db.session.commit()
    return made


def run(app):
    result = app.test_cli_runner().invoke(args=["retention", "run"])
    assert result.exit_code == 0, result.output
    return result.output


def test_an_item_comes_due_when_its_period_ends_and_not_before(app, world):
    with time_machine.travel(DAY_0, tick=False) as clock:
        item = stored_item(world)
        rule(world, days=30)
        clock.shift(timedelta(days=29, hours=23))
        assert due_items() == []
        clock.shift(timedelta(hours=2))
        [due] = due_items()
        assert due.evidence_id == item.id and due.action == "destroy_item"
        assert f"evidence {item.id}: destroy_item" in run(app)


def test_a_held_item_survives_day_31_and_the_ledger_says_blocked_once(app, world):
    with time_machine.travel(DAY_0, tick=False) as clock:
        item = stored_item(world)
        hold = hold_on(world, item)
        rule(world, days=30)
        clock.shift(timedelta(days=31))
        output = run(app)
        assert "HELD by ICC Pre-Trial Chamber II (ICC-01/22-7)" in output
        run(app)
        [blocked] = ledger("disposition_blocked")
        assert blocked["object"]["id"] == item.id
        assert blocked["details"]["holds"] == [hold.id]
        assert blocked["actor"]["id"] == "system:retention"

        gc = app.test_cli_runner().invoke(args=["blobs", "gc", "--older-than", "0"])
        assert gc.exit_code == 0 and item.blob_key not in gc.output

        release = holds.request_release(world.viewer(world.asker), hold.id, "Judgment final")
        db.session.commit()
        decisions.approve(world.viewer(world.approver), release.id)
        db.session.commit()
        assert "HELD" not in run(app)
        destroy(world, item)
        assert "total: 0 item(s) due" in run(app)
        assert app.test_cli_runner().invoke(args=["custody", "verify"]).exit_code == 0


def test_a_review_rule_lists_the_item_for_review_and_records_no_block(app, world):
    with time_machine.travel(DAY_0, tick=False) as clock:
        item = stored_item(world)
        hold_on(world, item)
        rule(world, days=1, action="review")
        clock.shift(timedelta(days=2))
        [due] = due_items()
        assert due.action == "review" and due.held_by
        assert ledger("disposition_blocked") == []


def test_a_date_rule_brings_every_matching_item_due_after_its_date(app, world):
    with time_machine.travel(DAY_0, tick=False) as clock:
        item = stored_item(world)
        rule(world, days=10, event="date", event_date=date(2026, 4, 1), item_kind="document")
        clock.move_to(datetime(2026, 4, 10, tzinfo=UTC))
        assert due_items() == []
        clock.move_to(datetime(2026, 4, 11, 0, 1, tzinfo=UTC))
        assert [due.evidence_id for due in due_items()] == [item.id]


def test_a_rule_for_another_kind_brings_nothing_due(app, world):
    with time_machine.travel(DAY_0, tick=False) as clock:
        stored_item(world)  # a text document
        rule(world, days=0, item_kind="video")
        clock.shift(timedelta(days=400))
        assert due_items() == []


@pytest.mark.parametrize(
    ("values", "field"),
    [
        (dict(period_days=-1), "period_days"),
        (dict(period_days=None), "period_days"),
        (dict(item_kind="spreadsheet"), "item_kind"),
        (dict(action="shred"), "action"),
        (dict(event="date", event_date=None), "event_date"),
    ],
)
def test_a_bad_rule_is_refused_and_nothing_is_stored(app, world, values, field):
    data = dict(item_kind="any", event="received", period_days=30, action="review")
    data.update(values)
    with pytest.raises(RetentionError) as refusal:
        rules.add_rule(world.viewer(world.asker), rules.RuleInput(**data))
    db.session.rollback()
    assert refusal.value.field == field
    assert db.session.scalar(select(func.count()).select_from(RetentionRule)) == 0


def test_a_negative_period_on_the_form_is_refused_with_a_message(app, world, signed_in):
    client = signed_in(world.asker)
    form = {"item_kind": "any", "event": "received", "period_days": "-5", "action": "review"}
    response = post_form(client, world.url("/rules"), form)
    assert response.status_code == 400
    assert "zero or more" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(RetentionRule)) == 0
    form["period_days"] = "30"
    assert post_form(client, world.url("/rules"), form).status_code == 302
    assert db.session.scalar(select(RetentionRule.period_days)) == 30


def test_the_worker_maintenance_round_records_a_blocked_disposition(app, world):
    from app.jobs.registry import job_registry
    from app.retention.jobs import run_retention

    assert run_retention in job_registry(app).maintenance
    with time_machine.travel(DAY_0, tick=False) as clock:
        item = stored_item(world)
        hold_on(world, item)
        rule(world, days=30)
        clock.shift(timedelta(days=31))
        assert run_retention() == 1
        assert [e["object"]["id"] for e in ledger("disposition_blocked")] == [item.id]


def test_a_preview_says_how_many_items_come_due_and_saves_nothing(app, world, signed_in):
    with time_machine.travel(DAY_0, tick=False) as clock:
        stored_item(world)
        stored_item(world)
        clock.shift(timedelta(days=10))
        client = signed_in(world.asker)
        form = {"item_kind": "any", "event": "received", "period_days": "7", "action": "review"}
        response = post_form(client, world.url("/rules"), {**form, "preview": "1"})
        page = response.get_data(as_text=True)
        assert response.status_code == 200
        assert "would bring 2 items due now" in page and "Existing due dates do not move" in page
        assert db.session.scalar(select(func.count()).select_from(RetentionRule)) == 0
        bad = post_form(client, world.url("/rules"), {**form, "period_days": "-1", "preview": "1"})
        assert bad.status_code == 400 and "zero or more" in bad.get_data(as_text=True)
