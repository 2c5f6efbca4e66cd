"""What a hold covers beyond its own target, and the records an item leaves through first."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.intake.services.taxonomy import sync_taxonomies
from app.retention import decisions, disposition, forgetting, holds
from app.retention.errors import RetentionError
from app.retention.models import RetentionRequest
from app.vault import gc
from app.vault.delete_guard import DeletionRefused
from app.vault.storage import blob_store
from tests.intake.builders import consent_input, make_witness
from tests.retention.conftest import stored_item
from tests.retention.support import witness_with_attachment
from tests.retention.test_disposition import ledger


@pytest.fixture
def attached(world):
    """A witness whose interview has the item attached: (witness, item)."""
    witness, _, item = witness_with_attachment(world)
    return witness, item


def test_placing_a_hold_is_in_the_ledger(app, world):
    hold = holds.place_hold(
        world.viewer(world.asker), holds.HoldInput("investigation", "", "Court", "R-7", "Trial")
    )
    db.session.commit()
    [entry] = ledger("legal_hold_placed")
    assert entry["details"]["hold"] == hold.id and entry["details"]["authority_reference"] == "R-7"


def test_a_witness_hold_keeps_the_items_attached_to_their_interviews(app, world, attached):
    witness, item = attached
    holds.place_hold(
        world.viewer(world.asker), holds.HoldInput("witness", witness.code, "Court", "W-1", "Keep")
    )
    db.session.commit()
    with pytest.raises(DeletionRefused, match="W-1"):
        blob_store().delete(item.blob_key)


def test_an_item_attached_to_an_interview_is_refused_destruction(app, world, attached):
    _, item = attached
    with pytest.raises(RetentionError, match="belongs to an interview"):
        disposition.request_destruction(world.viewer(world.asker), item.id, "Old")


def test_forgetting_says_the_attachments_are_kept_and_why(app, world, attached):
    witness, _ = attached
    request = forgetting.request_forgetting(world.viewer(world.asker), witness.code, "Asked")
    db.session.commit()
    decisions.approve(world.viewer(world.approver), request.id)
    db.session.commit()
    kept = db.session.get(RetentionRequest, request.id).kept
    assert any("attachments" in entry["what"] and "two-person" in entry["why"] for entry in kept)


def test_blobs_left_by_a_store_failure_after_the_commit_are_removed_by_gc(app, world):
    item = stored_item(world)
    keys = [item.blob_key, item.derivatives[0].blob_key]
    request = disposition.request_destruction(world.viewer(world.asker), item.id, "Expired")
    db.session.commit()
    decisions.approve(world.viewer(world.approver), request.id)
    db.session.commit()  # ... and the store failed before remove_blobs: the bytes remain
    assert all(blob_store().exists(key) for key in keys)
    gc.collect_garbage(older_than=gc.timedelta(0))
    assert not any(blob_store().exists(key) for key in keys)
    assert db.session.scalar(select(RetentionRequest.outcome)) == "approved"


def test_an_item_documenting_a_consent_is_refused_destruction(app, world):
    from app.intake.services.consent import record_consent, withdrawal
    from app.intake.services.consent_regrants import request_regrant

    sync_taxonomies()
    db.session.commit()
    witness = make_witness(world.investigation, world.field)
    document = stored_item(world)
    record_consent(witness, world.field, withdrawal("Arabic"))
    request_regrant(witness, world.field, consent_input(), document.id)
    db.session.commit()
    with pytest.raises(RetentionError, match="consent"):
        disposition.request_destruction(world.viewer(world.asker), document.id, "Old")
