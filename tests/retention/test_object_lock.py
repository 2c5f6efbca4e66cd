"""On S3 with Object Lock, a held item's object versions carry Object Lock's legal hold (moto
enforces it): the object store itself refuses the delete until two people release the hold."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.intake.models.interviews import InterviewEvidence
from app.retention import decisions, holds, object_lock
from app.vault.blobstore.base import BlobStoreError
from app.vault.delete_guard import unguarded
from app.vault.storage import blob_store
from tests.retention.conftest import stored_item
from tests.retention.support import add_to_casefile, casefile_with, witness_with_attachment
from tests.retention.test_disposition import destroy, hold_on

pytestmark = pytest.mark.parametrize("store_backend", ["s3"], indirect=True)


def keys_of(item) -> list[str]:
    return [item.blob_key, item.derivatives[0].blob_key]


def test_a_held_items_versions_report_the_hold_and_refuse_deletion(app, world, locked_bucket):
    item = stored_item(world)
    hold = hold_on(world, item)
    assert object_lock.mirror_hold(hold) == 2
    store = unguarded(blob_store())
    assert all(store.legal_hold(key) for key in keys_of(item))
    with pytest.raises(BlobStoreError):
        store.delete(item.blob_key)  # past Custos's own guard: S3 refuses
    assert store.exists(item.blob_key)


def test_after_release_by_two_people_the_lock_is_cleared_and_destruction_works(
    app, world, locked_bucket
):
    item = stored_item(world)
    keys = keys_of(item)
    hold = hold_on(world, item)
    object_lock.mirror_hold(hold)
    release = holds.request_release(world.viewer(world.asker), hold.id, "Judgment final")
    db.session.commit()
    decision = decisions.approve(world.viewer(world.approver), release.id)
    db.session.commit()
    decisions.finish(decision)
    store = unguarded(blob_store())
    assert not any(store.legal_hold(key) for key in keys)

    destroy(world, item)
    for key in keys:
        name = store.object_name(key)
        page = store.client.list_object_versions(Bucket=locked_bucket, Prefix=name)
        assert page.get("Versions", []) == [] and page.get("DeleteMarkers", []) == []


def test_a_release_leaves_the_lock_where_another_hold_still_covers(app, world, locked_bucket):
    item = stored_item(world)
    first = hold_on(world, item)
    holds.place_hold(
        world.viewer(world.asker), holds.HoldInput("investigation", "", "Court", "R-2", "Keep")
    )
    db.session.commit()
    object_lock.mirror_hold(first)
    release = holds.request_release(world.viewer(world.asker), first.id, "Done")
    db.session.commit()
    decisions.finish(decisions.approve(world.viewer(world.approver), release.id))
    db.session.commit()
    assert unguarded(blob_store()).legal_hold(item.blob_key)


def test_placing_a_hold_on_the_page_sets_the_object_lock(app, world, locked_bucket, signed_in):
    from tests.helpers.web import post_form

    item = stored_item(world)
    form = {
        "target_type": "evidence",
        "target": item.id,
        "authority": "Court",
        "authority_reference": "R-3",
        "reason": "Trial",
    }
    assert post_form(signed_in(world.asker), world.url("/holds"), form).status_code == 302
    assert unguarded(blob_store()).legal_hold(item.blob_key)


def release(world, hold) -> None:
    request = holds.request_release(world.viewer(world.asker), hold.id, "Judgment final")
    db.session.commit()
    decision = decisions.approve(world.viewer(world.approver), request.id)
    db.session.commit()
    decisions.finish(decision)


def place(world, target_type: str, target: str = ""):
    hold = holds.place_hold(
        world.viewer(world.asker), holds.HoldInput(target_type, target, "Court", "R-9", "Keep")
    )
    db.session.commit()
    object_lock.mirror_hold(hold)
    return hold


def test_an_item_uploaded_into_a_held_investigation_gets_the_lock(app, world, locked_bucket):
    place(world, "investigation")
    item = stored_item(world)  # the original, then a derivative made of it: both locked
    store = unguarded(blob_store())
    assert all(store.legal_hold(key) for key in keys_of(item))
    with pytest.raises(BlobStoreError):
        store.delete(item.derivatives[0].blob_key)


def test_an_item_added_to_a_held_case_file_gets_the_lock_and_release_clears_it(
    app, world, locked_bucket
):
    casefile = casefile_with(world, "CF-T-LOCK")
    hold = place(world, "casefile", "CF-T-LOCK")
    item = stored_item(world)
    store = unguarded(blob_store())
    assert not store.legal_hold(item.blob_key)  # not in the case file yet
    add_to_casefile(casefile, item)
    db.session.commit()
    assert all(store.legal_hold(key) for key in keys_of(item))
    release(world, hold)
    assert not any(store.legal_hold(key) for key in keys_of(item))


def test_an_item_attached_to_a_held_witness_later_gets_the_lock(app, world, locked_bucket):
    witness, interview, _ = witness_with_attachment(world)
    place(world, "witness", witness.code)
    later = stored_item(world)
    assert not unguarded(blob_store()).legal_hold(later.blob_key)
    db.session.add(
        InterviewEvidence(interview_id=interview.id, evidence_id=later.id, role="attachment")
    )
    db.session.commit()
    assert all(unguarded(blob_store()).legal_hold(key) for key in keys_of(later))


def test_a_rolled_back_addition_locks_nothing(app, world, locked_bucket):
    casefile = casefile_with(world, "CF-T-ROLL")
    place(world, "casefile", "CF-T-ROLL")
    item = stored_item(world)
    add_to_casefile(casefile, item)
    db.session.flush()
    db.session.rollback()
    db.session.commit()
    assert not unguarded(blob_store()).legal_hold(item.blob_key)


def test_releasing_the_later_hold_leaves_the_lock_the_earlier_one_needs(app, world, locked_bucket):
    item = stored_item(world)
    casefile = casefile_with(world, "CF-T-TWO")
    investigation_hold = place(world, "investigation")
    case_hold = place(world, "casefile", "CF-T-TWO")
    add_to_casefile(casefile, item)
    db.session.commit()
    release(world, case_hold)
    store = unguarded(blob_store())
    assert all(store.legal_hold(key) for key in keys_of(item))
    release(world, investigation_hold)
    assert not any(store.legal_hold(key) for key in keys_of(item))
