"""The retention pages through HTTP: real sign-in, real CSRF tokens, refusals shown clearly."""

from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.retention.models import LegalHold, RetentionRequest
from app.vault.models import EvidenceItem
from app.vault.storage import blob_store
from tests.helpers.web import post_form
from tests.retention.conftest import stored_item
from tests.retention.test_disposition import hold_on


def test_a_reviewer_places_a_hold_through_the_form(app, world, signed_in):
    client = signed_in(world.asker)
    item = stored_item(world)
    response = post_form(
        client,
        world.url("/holds"),
        {
            "target_type": "evidence",
            "target": item.id,
            "authority": "ICC Pre-Trial Chamber II",
            "authority_reference": "ICC-01/22-7",
            "reason": "Trial pending",
        },
        follow_redirects=True,
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Hold placed" in page and "ICC-01/22-7" in page
    assert db.session.scalar(select(LegalHold.target_id)) == item.id


def test_a_hold_without_authority_is_refused_on_the_form(app, world, signed_in):
    client = signed_in(world.asker)
    response = post_form(
        client,
        world.url("/holds"),
        {"target_type": "investigation", "authority_reference": "R-1", "reason": "Trial"},
    )
    assert response.status_code == 400
    assert "Say who asked for the hold." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(LegalHold)) == 0


def test_destroying_a_held_item_is_refused_with_the_hold_named(app, world, signed_in):
    item = stored_item(world)
    hold_on(world, item)
    client = signed_in(world.asker)
    response = post_form(
        client, world.url("/requests/destroy"), {"evidence_id": item.id, "reason": "Expired"}
    )
    assert response.status_code == 409
    assert "ICC-01/22-7" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(RetentionRequest)) == 0
    assert blob_store().exists(item.blob_key)


def test_the_requester_approving_is_told_a_second_person_must(app, world, signed_in):
    item = stored_item(world)
    item_id, blob_key, sha256 = item.id, item.blob_key, item.sha256
    asker = signed_in(world.asker)
    post_form(asker, world.url("/requests/destroy"), {"evidence_id": item.id, "reason": "Old"})
    request = db.session.scalar(select(RetentionRequest))
    response = post_form(asker, world.url(f"/requests/{request.id}/approve"), follow_redirects=True)
    assert "a second person" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(EvidenceItem, item.id) is not None
    assert db.session.get(RetentionRequest, request.id).pending

    approver = signed_in(world.approver)
    response = post_form(
        approver, world.url(f"/requests/{request.id}/approve"), follow_redirects=True
    )
    assert "its tombstone remains" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(EvidenceItem, item_id) is None
    assert not blob_store().exists(blob_key)
    tombstones = approver.get(world.url("/tombstones")).get_data(as_text=True)
    assert sha256 in tombstones


def test_a_field_member_is_refused_every_retention_page(app, world, signed_in):
    client = signed_in(world.field)
    for path in ("/holds", "/requests", "/tombstones"):
        assert client.get(world.url(path)).status_code == 403
