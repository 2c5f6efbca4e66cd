"""The rule action "destroy the identity only": the run lists the witness, two people destroy the
identity and nothing else (the testimony stays), and any hold on the witness refuses it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from app.extensions import db
from app.intake.services.consent import record_consent, withdrawal
from app.retention import decisions, forgetting, holds, rules
from app.retention.errors import HeldByLegalHold, RetentionError, SecondPersonRequired
from app.retention.models import RetentionRequest, RetentionRule
from tests.helpers.web import post_form
from tests.retention.support import witness_with_attachment
from tests.retention.test_disposition import ledger
from tests.retention.test_forgetting import raw_transcript, raw_witness
from tests.retention.test_rules import rule, run

DAY_0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def destroy_identity(world, witness) -> RetentionRequest:
    request = forgetting.request_forgetting(
        world.viewer(world.asker), witness.code, "Rule: two years after withdrawal", True
    )
    db.session.commit()
    decisions.approve(world.viewer(world.approver), request.id)
    db.session.commit()
    return db.session.get(RetentionRequest, request.id)


def test_a_withdrawn_witness_comes_due_and_two_people_destroy_the_identity_only(app, world):
    with time_machine.travel(DAY_0, tick=False) as clock:
        witness, _, item = witness_with_attachment(world)
        rule(world, days=730, event="consent_withdrawn", action="destroy_identity")
        record_consent(witness, world.field, withdrawal("Arabic", date(2026, 3, 1)))
        db.session.commit()
        clock.shift(timedelta(days=731))
        assert f"witness {witness.code}: destroy_identity (due 2028-02-29)" in run(app)
        assert item.id not in run(app)  # the rule is about the witness, not their evidence

        request = destroy_identity(world, witness)
        assert request.kind == "destroy_identity"
        row = raw_witness(witness.id)
        assert row["full_name"] is None and row["code"] == witness.code
        assert raw_transcript(witness.id) is not None  # the testimony stays
        assert any("Only the identity" in entry["why"] for entry in request.kept)
        [entry] = ledger("identity_destroyed")
        assert entry["details"]["identity_only"] is True
        assert entry["details"]["testimony"] == "kept"
        assert "X Y" not in str(entry)
        assert app.test_cli_runner().invoke(args=["custody", "verify"]).exit_code == 0


def test_any_hold_covering_the_witness_refuses_the_identity_only_request(app, world):
    witness, _, _ = witness_with_attachment(world)
    holds.place_hold(
        world.viewer(world.asker), holds.HoldInput("investigation", "", "ICC", "ICC-5", "Trial")
    )
    db.session.commit()
    with pytest.raises(HeldByLegalHold, match="ICC-5"):
        forgetting.request_forgetting(world.viewer(world.asker), witness.code, "Rule", True)
    db.session.rollback()
    assert raw_witness(witness.id)["full_name"] is not None
    assert db.session.scalar(select(func.count()).select_from(RetentionRequest)) == 0
    # The witness's own request still goes ahead under a case-wide hold (the testimony stays).
    forgetting.request_forgetting(world.viewer(world.asker), witness.code, "Asked in person")


def test_a_hold_placed_after_the_request_refuses_the_approval(app, world):
    witness, _, _ = witness_with_attachment(world)
    request = forgetting.request_forgetting(world.viewer(world.asker), witness.code, "Rule", True)
    db.session.commit()
    holds.place_hold(
        world.viewer(world.asker), holds.HoldInput("witness", witness.code, "Court", "W-7", "Keep")
    )
    db.session.commit()
    with pytest.raises(HeldByLegalHold, match="W-7"):
        decisions.approve(world.viewer(world.approver), request.id)
    db.session.rollback()
    assert raw_witness(witness.id)["full_name"] is not None


def test_the_requester_cannot_approve_the_identity_only_request(app, world):
    witness, _, _ = witness_with_attachment(world)
    request = forgetting.request_forgetting(world.viewer(world.asker), witness.code, "Rule", True)
    db.session.commit()
    with pytest.raises(SecondPersonRequired):
        decisions.approve(world.viewer(world.asker), request.id)
    db.session.rollback()
    assert raw_witness(witness.id)["full_name"] is not None


def test_a_held_witness_is_listed_as_held_and_the_ledger_says_blocked_once(app, world):
    with time_machine.travel(DAY_0, tick=False) as clock:
        witness, _, _ = witness_with_attachment(world)
        hold = holds.place_hold(
            world.viewer(world.asker), holds.HoldInput("investigation", "", "ICC", "ICC-6", "T")
        )
        db.session.commit()
        rule(world, days=10, event="received", action="destroy_identity")
        clock.shift(timedelta(days=11))
        assert "HELD by ICC (ICC-6)" in run(app)
        run(app)
        [blocked] = ledger("disposition_blocked")
        assert blocked["object"] == {"type": "witness", "id": witness.id}
        assert blocked["details"]["holds"] == [hold.id]


def test_an_identity_rule_for_one_kind_of_item_is_refused(app, world):
    with pytest.raises(RetentionError, match="any kind") as refusal:
        rules.add_rule(
            world.viewer(world.asker),
            rules.RuleInput("photo", "consent_withdrawn", 30, "destroy_identity"),
        )
    db.session.rollback()
    assert refusal.value.field == "item_kind"
    assert db.session.scalar(select(func.count()).select_from(RetentionRule)) == 0


def test_the_queue_page_asks_for_the_identity_only(app, world, signed_in):
    witness, _, _ = witness_with_attachment(world)
    form = {"witness_code": witness.code, "reason": "Rule came due", "scope": "identity"}
    response = post_form(signed_in(world.asker), world.url("/requests/forget"), form)
    assert response.status_code == 302
    assert db.session.scalar(select(RetentionRequest.kind)) == "destroy_identity"
    page = signed_in(world.asker).get(world.url("/requests")).get_data(as_text=True)
    assert "identity only (a rule)" in page


def test_the_identity_only_withdraws_exports_naming_the_witness(app, world, tmp_path):
    from tests.retention.test_forgetting import named_export

    witness, _, _ = witness_with_attachment(world)
    export, bag = named_export(world, witness, tmp_path)
    destroy_identity(world, witness)
    assert not bag.exists()
    assert db.session.get(type(export), export.id).withdrawn_at is not None
    assert raw_transcript(witness.id) is not None
