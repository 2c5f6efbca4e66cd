"""Destroying evidence takes two people, removes every stored copy, leaves a tombstone and a
ledger that still verifies; a legal hold refuses it and the ledger says it was blocked."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from app.custody.models import LedgerEntry
from app.extensions import db
from app.retention import decisions, disposition, holds
from app.retention.errors import HeldByLegalHold, RetentionError, SecondPersonRequired
from app.retention.models import EvidenceTombstone, LegalHold, RetentionRequest
from app.vault.blobstore.base import BlobNotFound
from app.vault.models import Derivative, EvidenceItem
from app.vault.storage import blob_store
from tests.retention.conftest import stored_item
from tests.retention.support import casefile_with


def ledger(action: str) -> list[dict]:
    rows = db.session.scalars(
        select(LedgerEntry).where(LedgerEntry.action == action).order_by(LedgerEntry.id)
    )
    return [json.loads(row.body) for row in rows]


def hold_on(world, item) -> LegalHold:
    hold = holds.place_hold(
        world.viewer(world.asker),
        holds.HoldInput("evidence", item.id, "ICC Pre-Trial Chamber II", "ICC-01/22-7", "Trial"),
    )
    db.session.commit()
    return hold


def destroy(world, item) -> decisions.Decision:
    request = disposition.request_destruction(world.viewer(world.asker), item.id, "Expired")
    db.session.commit()
    decision = decisions.approve(world.viewer(world.approver), request.id)
    db.session.commit()
    disposition.remove_blobs(decision.blob_keys)
    return decision


def blob_keys_of(item) -> list[str]:
    return [item.blob_key] + [d.blob_key for d in item.derivatives]


def test_two_people_destroy_the_item_its_derivatives_and_their_blobs(app, world):
    item = stored_item(world)
    keys, item_id, sha256, size = blob_keys_of(item), item.id, item.sha256, item.size
    destroy(world, item)

    assert db.session.get(EvidenceItem, item_id) is None
    assert db.session.scalar(select(func.count()).select_from(Derivative)) == 0
    for key in keys:
        with pytest.raises(BlobNotFound):
            blob_store().open(key)
    tombstone = db.session.scalar(select(EvidenceTombstone))
    assert (tombstone.evidence_id, tombstone.sha256, tombstone.size) == (item_id, sha256, size)
    assert (tombstone.requested_by_id, tombstone.approved_by_id) == (
        world.asker.id,
        world.approver.id,
    )
    assert tombstone.derivatives_destroyed == 1
    [entry] = ledger("destroyed")
    assert entry["object"]["id"] == item_id and entry["details"]["sha256"] == sha256


def test_custody_verify_passes_after_a_destruction(app, world):
    destroy(world, stored_item(world))
    result = app.test_cli_runner().invoke(args=["custody", "verify"])
    assert result.exit_code == 0, result.output


def test_the_requester_cannot_approve_their_own_destruction(app, world):
    item = stored_item(world)
    request = disposition.request_destruction(world.viewer(world.asker), item.id, "Expired")
    db.session.commit()
    with pytest.raises(SecondPersonRequired, match="second person"):
        decisions.approve(world.viewer(world.asker), request.id)
    db.session.rollback()
    assert db.session.get(EvidenceItem, item.id) is not None
    assert db.session.get(RetentionRequest, request.id).pending
    assert blob_store().exists(item.blob_key)


def test_a_hold_refuses_the_request_names_the_hold_and_the_ledger_says_blocked(app, world):
    item = stored_item(world)
    hold = hold_on(world, item)
    with pytest.raises(HeldByLegalHold, match="ICC-01/22-7"):
        disposition.request_destruction(world.viewer(world.asker), item.id, "Expired")
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(RetentionRequest)) == 0
    assert blob_store().exists(item.blob_key)
    [entry] = ledger("disposition_blocked")
    assert entry["object"]["id"] == item.id and entry["details"]["holds"] == [hold.id]


def test_a_hold_placed_after_the_request_refuses_the_approval(app, world):
    item = stored_item(world)
    request = disposition.request_destruction(world.viewer(world.asker), item.id, "Expired")
    db.session.commit()
    hold_on(world, item)
    with pytest.raises(HeldByLegalHold):
        decisions.approve(world.viewer(world.approver), request.id)
    db.session.rollback()
    assert db.session.get(EvidenceItem, item.id) is not None
    assert all(blob_store().exists(key) for key in blob_keys_of(item))
    assert db.session.scalar(select(func.count()).select_from(EvidenceTombstone)) == 0


def test_an_investigation_hold_covers_every_item(app, world):
    item = stored_item(world)
    holds.place_hold(
        world.viewer(world.asker), holds.HoldInput("investigation", "", "Court", "R-1", "Case")
    )
    db.session.commit()
    with pytest.raises(HeldByLegalHold):
        disposition.request_destruction(world.viewer(world.approver), item.id, "Expired")


def test_after_two_people_release_the_hold_the_item_can_be_destroyed(app, world):
    item = stored_item(world)
    hold = hold_on(world, item)
    release = holds.request_release(world.viewer(world.asker), hold.id, "Judgment final")
    db.session.commit()
    with pytest.raises(SecondPersonRequired):
        decisions.approve(world.viewer(world.asker), release.id)
    db.session.rollback()
    decisions.approve(world.viewer(world.approver), release.id)
    db.session.commit()
    assert db.session.get(LegalHold, hold.id).released_at is not None
    assert [e["details"]["hold"] for e in ledger("legal_hold_released")] == [hold.id]

    destroy(world, item)
    assert db.session.get(EvidenceItem, item.id) is None
    assert app.test_cli_runner().invoke(args=["custody", "verify"]).exit_code == 0


@pytest.mark.parametrize(
    "missing",
    [
        {"authority": ""},
        {"authority_reference": "  "},
        {"reason": ""},
    ],
)
def test_a_hold_without_authority_reference_or_reason_is_refused(app, world, missing):
    item = stored_item(world)
    values = dict(
        target_type="evidence",
        target=item.id,
        authority="Court",
        authority_reference="R-1",
        reason="Trial",
    )
    values.update(missing)
    with pytest.raises(RetentionError) as refusal:
        holds.place_hold(world.viewer(world.asker), holds.HoldInput(**values))
    db.session.rollback()
    assert refusal.value.field == next(iter(missing))
    assert db.session.scalar(select(func.count()).select_from(LegalHold)) == 0
    assert ledger("legal_hold_placed") == []


def test_a_hold_on_something_outside_the_investigation_is_refused(app, world):
    with pytest.raises(RetentionError, match="Nothing in this investigation"):
        holds.place_hold(
            world.viewer(world.asker), holds.HoldInput("witness", "W-9999", "Court", "R", "Why")
        )


def test_an_item_in_a_case_file_is_not_destroyed_behind_the_case_file(app, world):
    item = stored_item(world)
    casefile_with(world, "CF-T-001", item)
    with pytest.raises(RetentionError, match="case file"):
        disposition.request_destruction(world.viewer(world.asker), item.id, "Expired")
