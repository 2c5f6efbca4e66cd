"""An Object Lock hold the object store could not take after the commit is not lost: the holds
page shows it to reviewers, and the worker's maintenance round tries again, as the holds stand
then, until the store (S3 on moto) agrees."""

from __future__ import annotations

import boto3
import pytest
from botocore.config import Config as BotoConfig
from markupsafe import escape
from sqlalchemy import func, select

from app.extensions import db
from app.jobs.worker import run_maintenance
from app.retention import decisions, holds
from app.retention.lock_pending import retry_object_locks
from app.retention.models import ObjectLockPending
from app.vault.delete_guard import unguarded
from app.vault.models import EvidenceItem
from app.vault.storage import blob_store
from tests.helpers.web import post_form
from tests.retention.conftest import stored_item
from tests.retention.test_disposition import destroy

pytestmark = pytest.mark.parametrize("store_backend", ["s3"], indirect=True)

WAITING = "The object store has not taken every hold yet"


class StoreDown:
    """The object store unreachable (nothing listens on the port) until `back()`."""

    def __init__(self):
        self.store = unguarded(blob_store())
        self.client = self.store.client
        self.store.client = boto3.client(
            "s3",
            endpoint_url="http://127.0.0.1:9",
            region_name="us-east-1",
            config=BotoConfig(retries={"max_attempts": 1}, connect_timeout=1, read_timeout=1),
        )

    def back(self) -> None:
        self.store.client = self.client


def pending() -> int:
    return db.session.scalar(select(func.count()).select_from(ObjectLockPending))


def place_on_page(client, world, item):
    form = {
        "target_type": "evidence",
        "target": item.id,
        "authority": "Court",
        "authority_reference": "R-7",
        "reason": "Trial",
    }
    return post_form(client, world.url("/holds"), form)


def test_a_lock_the_store_refused_is_shown_and_set_by_the_maintenance_round(
    app, world, locked_bucket, signed_in
):
    item = stored_item(world)
    keys = [item.blob_key, item.derivatives[0].blob_key]
    client = signed_in(world.asker)
    outage = StoreDown()
    assert place_on_page(client, world, item).status_code == 302  # the hold stands in Custos
    outage.back()
    store = unguarded(blob_store())
    assert not any(store.legal_hold(key) for key in keys)
    assert pending() == 2
    page = client.get(world.url("/holds")).get_data(as_text=True)
    assert WAITING in page and item.blob_key in page and "2 stored file(s)" in page
    [error] = set(db.session.scalars(select(ObjectLockPending.last_error)))
    assert "Error" in error and escape(error) in page  # the store's own words, and since when
    assert "1 attempt(s) since" in page

    run_maintenance(app)

    assert all(store.legal_hold(key) for key in keys)
    assert pending() == 0
    assert WAITING not in client.get(world.url("/holds")).get_data(as_text=True)


def test_a_round_that_fails_again_counts_the_attempt_and_keeps_showing_it(
    app, world, locked_bucket, signed_in
):
    item = stored_item(world)
    client = signed_in(world.asker)
    outage = StoreDown()
    place_on_page(client, world, item)
    assert retry_object_locks() == 0  # the round's retry, while the store is still down
    outage.back()
    attempts = db.session.scalars(select(ObjectLockPending.attempts)).all()
    assert attempts == [2, 2]
    assert "2 attempt(s) since" in client.get(world.url("/holds")).get_data(as_text=True)


def released_while_the_store_is_down(world, item) -> list[str]:
    """A locked item whose hold two people release while S3 is unreachable: the release stands
    and its blobs stay locked on S3, waiting. Returns the blob keys."""
    keys = [item.blob_key, item.derivatives[0].blob_key]
    hold = holds.place_hold(
        world.viewer(world.asker), holds.HoldInput("evidence", item.id, "Court", "R-8", "Trial")
    )
    db.session.commit()
    for key in keys:
        unguarded(blob_store()).set_legal_hold(key, True)
    release = holds.request_release(world.viewer(world.asker), hold.id, "Judgment final")
    db.session.commit()
    decision = decisions.approve(world.viewer(world.approver), release.id)
    db.session.commit()
    outage = StoreDown()
    decisions.finish(decision)  # the clearing fails
    outage.back()
    return keys


def test_the_round_follows_the_holds_as_they_stand_a_released_hold_is_cleared(
    app, world, locked_bucket
):
    keys = released_while_the_store_is_down(world, stored_item(world))
    store = unguarded(blob_store())
    assert pending() == 2 and all(store.legal_hold(key) for key in keys)

    run_maintenance(app)

    assert pending() == 0 and not any(store.legal_hold(key) for key in keys)


def test_a_destroyed_items_blobs_the_store_kept_are_unlocked_then_removed_by_gc(
    app, world, locked_bucket, caplog
):
    """A release whose clearing failed, then a destruction: the approval stands, the log names
    the blobs left, the round clears their lock and `blobs gc` removes them."""
    item = stored_item(world)
    keys = released_while_the_store_is_down(world, item)
    store = unguarded(blob_store())
    item_id = item.id
    destroy(world, item)  # S3 refuses the delete of the still-locked versions
    assert db.session.get(EvidenceItem, item_id) is None
    assert all(store.exists(key) for key in keys)
    assert keys[0] in caplog.text and "blobs gc" in caplog.text

    run_maintenance(app)
    assert pending() == 0 and not any(store.legal_hold(key) for key in keys)
    gc = app.test_cli_runner().invoke(args=["blobs", "gc", "--older-than", "0"])
    assert gc.exit_code == 0, gc.output
    assert not any(store.exists(key) for key in keys)
