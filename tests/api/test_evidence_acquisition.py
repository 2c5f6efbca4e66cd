"""The acquisition record through the API: read and replaced by the item page's rules (whoever
may see the item; `acquired_from` only with the identity grant; locked once an approved case
file holds the item), each change a custody entry, each read on the access log."""

from __future__ import annotations

import json

from sqlalchemy import select

from app.acquisition.models import AcquisitionRecord
from app.custody.models import LedgerEntry
from app.extensions import db
from tests.acquisition.support import hold_in_approved_case_file
from tests.api.helpers import assert_conforms, error_of
from tests.intake.builders import evidence_row

SOURCE = "SOURCE-MARKER a channel's admin"
VALUES = {
    "online_link": "https://video.example/watch?v=LINK-MARKER",
    "online_title": "Strike on the bakery",
    "acquired_at": "2026-03-01T09:30:00Z",
    "method": "download",
    "method_note": "yt-dlp on the office laptop",
    "generation": "copy",
    "original_location": "the uploader's channel",
    "edited": "no",
    "hashes_at_acquisition": "md5:0123456789abcdef0123456789abcdef",
}
REASON = {"X-Access-Reason": "verification"}


def path(world, item) -> str:
    return world.path(f"/evidence/{item.id}/acquisition")


def ledgered(item) -> list[dict]:
    db.session.expire_all()
    stmt = (
        select(LedgerEntry)
        .where(LedgerEntry.action == "acquisition_recorded", LedgerEntry.object_id == item.id)
        .order_by(LedgerEntry.seq)
    )
    return [json.loads(entry.body)["details"] for entry in db.session.scalars(stmt)]


def test_a_record_is_read_then_recorded_and_ledgered_by_field_names(world):
    item = evidence_row(world.investigation, world.field_a)
    api = world.api(world.field_a)
    before = api.get(path(world, item), headers=REASON)
    assert before.status_code == 200, before.get_json()
    assert_conforms(before.get_json(), "AcquisitionRecord")
    assert before.get_json()["recorded"] is False
    assert before.get_json()["hashes_at_receipt"] == {"sha256": item.sha256}
    saved = api.put(path(world, item), VALUES)
    assert saved.status_code == 200, saved.get_json()
    body = saved.get_json()
    assert_conforms(body, "AcquisitionRecord")
    assert body["recorded"] is True and body["online_link"] == VALUES["online_link"]
    assert body["acquired_at"] == "2026-03-01T09:30:00Z"
    (entry,) = ledgered(item)
    assert "online_link" in entry["fields"]
    assert "LINK-MARKER" not in json.dumps(entry)
    again = api.get(path(world, item), headers=REASON).get_json()
    assert again["online_title"] == VALUES["online_title"]


def test_a_bad_value_names_its_field_and_nothing_is_stored(world):
    item = evidence_row(world.investigation, world.field_a)
    api = world.api(world.field_a)
    for field, value in (
        ("online_link", "javascript:alert(1)"),
        ("acquired_at", "2999-01-01T00:00:00Z"),
        ("acquired_at", "0001-01-01T00:00:00+05:00"),
        ("method", "stolen"),
        ("hashes_at_acquisition", "md5:123"),
    ):
        refused = api.put(path(world, item), dict(VALUES, **{field: value}))
        assert refused.status_code == 422, (field, refused.get_json())
        assert list(error_of(refused)["fields"]) == [field]
    unknown = api.put(path(world, item), dict(VALUES, colour="red"))
    assert unknown.status_code == 422
    assert db.session.scalars(select(AcquisitionRecord)).all() == []
    assert ledgered(item) == []


def test_who_it_came_from_needs_the_identity_grant(world):
    item = evidence_row(world.investigation, world.field_a)
    cleared = world.api(world.lawyer_identities)
    assert cleared.put(path(world, item), dict(VALUES, acquired_from=SOURCE)).status_code == 200
    plain = world.api(world.lawyer)
    shown = plain.get(path(world, item), headers=REASON).get_json()
    assert "acquired_from" not in shown and shown["withheld"] == ["acquired_from"]
    assert SOURCE not in json.dumps(shown)
    refused = plain.put(path(world, item), dict(VALUES, acquired_from="someone else"))
    assert refused.status_code == 403
    kept = plain.put(path(world, item), dict(VALUES, online_title="Retitled"))
    assert kept.status_code == 200
    db.session.expire_all()
    row = db.session.scalars(select(AcquisitionRecord)).one()
    assert (row.acquired_from, row.online_title) == (SOURCE, "Retitled")
    assert cleared.get(path(world, item), headers=REASON).get_json()["acquired_from"] == SOURCE


def test_others_items_and_other_investigations_are_404(world):
    mine = evidence_row(world.investigation, world.field_a)
    for api in (world.api(world.field_b), world.api(world.outsider)):
        assert api.get(path(world, mine), headers=REASON).status_code == 404
        assert api.put(path(world, mine), VALUES).status_code == 404
    assert ledgered(mine) == []


def test_once_an_approved_case_file_holds_the_item_the_record_is_locked(world):
    item = evidence_row(world.investigation, world.field_a)
    api = world.api(world.field_a)
    assert api.put(path(world, item), VALUES).status_code == 200
    hold_in_approved_case_file(world.investigation, item.id, world.lawyer)
    refused = api.put(path(world, item), dict(VALUES, online_title="Later"))
    assert refused.status_code == 409
    assert error_of(refused)["code"] == "acquisition_locked"
    assert api.get(path(world, item), headers=REASON).get_json()["locked"] is True
    assert len(ledgered(item)) == 1


def test_a_read_is_on_the_access_log(world):
    from app.accesslog.models import AccessRecord

    item = evidence_row(world.investigation, world.field_a)
    world.api(world.field_a).get(path(world, item), headers=REASON)
    db.session.expire_all()
    stmt = select(AccessRecord).where(AccessRecord.object_id == item.id)
    reads = db.session.scalars(stmt).all()
    assert [(r.channel, r.reason_code) for r in reads] == [("api", "verification")]
