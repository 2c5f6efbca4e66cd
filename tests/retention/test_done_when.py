"""Issue 23's "Done when", walked in its order as one test, on S3 (moto, with Object Lock) and
on whichever database the run uses (SQLite, PostgreSQL): the clock moves with time-machine.

An item under "destroy 30 days after the case file is closed" survives day 31 while a hold is
on it (the ledger says disposition was blocked, `blobs gc` leaves it, its S3 version reports
the hold); after the hold is released by two people and destruction approved by two people,
its blob, derivatives and identity are gone, the tombstone and ledger show why, and
`custody verify` passes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from app.extensions import db
from app.retention import decisions, disposition, holds, object_lock
from app.retention.errors import HeldByLegalHold, SecondPersonRequired
from app.retention.models import EvidenceTombstone
from app.vault.blobstore.base import BlobNotFound, BlobStoreError
from app.vault.delete_guard import unguarded
from app.vault.models import Derivative, EvidenceItem
from app.vault.storage import blob_store
from tests.retention.conftest import stored_item
from tests.retention.support import casefile_with, close_casefile
from tests.retention.test_disposition import ledger
from tests.retention.test_rules import rule, run

pytestmark = pytest.mark.parametrize("store_backend", ["s3"], indirect=True)

DAY_0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def approve_by_two(world, request) -> decisions.Decision:
    """The asker may not approve their own request; the second reviewer does, then the store."""
    with pytest.raises(SecondPersonRequired):
        decisions.approve(world.viewer(world.asker), request.id)
    db.session.rollback()
    decision = decisions.approve(world.viewer(world.approver), request.id)
    db.session.commit()
    decisions.finish(decision)
    return decision


def test_done_when_a_held_item_survives_day_31_then_two_plus_two_people_destroy_it(
    app, world, locked_bucket
):
    cli = app.test_cli_runner()
    with time_machine.travel(DAY_0, tick=False) as clock:
        # An item (with a thumbnail) gathered into a case file, under the rule.
        item = stored_item(world)
        item_id, sha256, size = item.id, item.sha256, item.size
        keys = [item.blob_key, item.derivatives[0].blob_key]
        casefile = casefile_with(world, "CF-T-DONE", item)
        destroy_rule = rule(world, days=30, event="casefile_closed", action="destroy_item")
        hold = holds.place_hold(
            world.viewer(world.asker),
            holds.HoldInput(
                "casefile", "CF-T-DONE", "ICC Pre-Trial Chamber II", "ICC-01/22-7", "Trial"
            ),
        )
        db.session.commit()
        object_lock.mirror_hold(hold)  # what the holds page does after its commit
        close_casefile(world, casefile)

        # Day 31: due, but the hold keeps it.
        clock.shift(timedelta(days=31))
        assert f"evidence {item_id}: destroy_item" in run(app)
        assert "HELD by ICC Pre-Trial Chamber II (ICC-01/22-7)" in run(app)
        [blocked] = ledger("disposition_blocked")
        assert blocked["object"] == {"type": "evidence", "id": item_id}
        assert blocked["details"] == {"rule": destroy_rule.id, "holds": [hold.id]}
        with pytest.raises(HeldByLegalHold, match="ICC-01/22-7"):
            disposition.request_destruction(world.viewer(world.asker), item_id, "Rule came due")
        db.session.rollback()

        gc = cli.invoke(args=["blobs", "gc", "--older-than", "0"])
        assert gc.exit_code == 0, gc.output
        store = unguarded(blob_store())
        assert all(store.exists(key) for key in keys)
        assert all(store.legal_hold(key) for key in keys)  # the S3 versions report the hold
        with pytest.raises(BlobStoreError):
            store.delete(item.blob_key)  # past Custos's own guard: S3 itself refuses

        # The hold released by two people: the Object Lock holds go with it.
        release = holds.request_release(world.viewer(world.asker), hold.id, "Judgment final")
        db.session.commit()
        approve_by_two(world, release)
        assert not any(store.legal_hold(key) for key in keys)

        # Destruction approved by two people.
        clock.shift(timedelta(days=1))
        request = disposition.request_destruction(
            world.viewer(world.asker), item_id, "The rule came due; the hold is released"
        )
        db.session.commit()
        approve_by_two(world, request)

    # Blob, derivatives and identity gone: no row, no object version, no delete marker.
    assert db.session.get(EvidenceItem, item_id) is None  # with its sealed file name and facts
    assert db.session.scalar(select(func.count()).select_from(Derivative)) == 0
    for key in keys:
        with pytest.raises(BlobNotFound):
            blob_store().open(key)
        versions = store.client.list_object_versions(
            Bucket=locked_bucket, Prefix=store.object_name(key)
        )
        assert versions.get("Versions", []) == [] and versions.get("DeleteMarkers", []) == []

    # The tombstone and the ledger show why: the rule, the request, both people, the hash.
    tombstone = db.session.scalar(select(EvidenceTombstone))
    assert (tombstone.evidence_id, tombstone.sha256, tombstone.size) == (item_id, sha256, size)
    assert (tombstone.rule_id, tombstone.request_id) == (destroy_rule.id, request.id)
    assert (tombstone.requested_by_id, tombstone.approved_by_id) == (
        world.asker.id,
        world.approver.id,
    )
    assert "under rule destroy_item 30 days after casefile_closed" in tombstone.describe()
    [destroyed] = ledger("destroyed")
    assert destroyed["object"] == {"type": "evidence", "id": item_id}
    assert destroyed["details"]["sha256"] == sha256
    assert destroyed["details"]["rule"] == destroy_rule.id
    assert destroyed["details"]["request"] == request.id
    assert destroyed["details"]["casefiles"] == ["CF-T-DONE"]
    assert (destroyed["details"]["requested_by"], destroyed["details"]["approved_by"]) == (
        world.asker.id,
        world.approver.id,
    )
    assert [entry["details"]["hold"] for entry in ledger("legal_hold_released")] == [hold.id]

    verify = cli.invoke(args=["custody", "verify"])
    assert verify.exit_code == 0, verify.output
