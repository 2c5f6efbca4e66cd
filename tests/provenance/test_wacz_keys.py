"""Anonymous WACZ signing keys pinned per investigation by a lawyer: a capture signed by
another key says so; pin and unpin are ledger entries; field staff decide neither."""

from __future__ import annotations

import hashlib
import json

import pytest
from sqlalchemy import select

from app.custody.models import LedgerEntry
from app.extensions import db
from app.provenance.models import WaczKey
from tests.duplicates.support import Team, add_item
from tests.helpers.web import csrf_token, sign_in
from tests.webcapture.captures import wacz_bytes
from tests.webcapture.test_signature import KEY, OTHER_KEY, signer, spki

FINGERPRINT = hashlib.sha256(spki(KEY)).hexdigest()
OTHER_FINGERPRINT = hashlib.sha256(spki(OTHER_KEY)).hexdigest()


@pytest.fixture
def team(app_ctx):
    return Team()


def capture(team, user, key=KEY, **signing):
    return add_item(team.investigation, user, wacz_bytes(sign=signer(key=key, **signing)), "c.wacz")


def post(client, team, item, suffix: str):
    token = csrf_token(client, team.item_url(item))
    return client.post(team.item_url(item, suffix), data={"csrf_token": token})


def page(client, team, item) -> str:
    return client.get(team.item_url(item)).get_data(as_text=True)


def entries(action: str) -> list[dict]:
    stmt = select(LedgerEntry).where(LedgerEntry.action == action).order_by(LedgerEntry.seq)
    return [json.loads(entry.body)["details"] for entry in db.session.scalars(stmt)]


def test_a_lawyer_pins_the_key_and_a_capture_from_another_key_says_so(client, team):
    first = capture(team, team.field_a)
    sign_in(client, team.lawyer)
    assert "No WACZ signing key is pinned for this investigation yet." in page(client, team, first)
    assert post(client, team, first, "/wacz-key").status_code == 302
    (pinned,) = entries("wacz_key_pinned")
    assert pinned["fingerprint"] == FINGERPRINT
    assert "Pinned for this investigation on" in page(client, team, first)
    other = capture(team, team.field_a, key=OTHER_KEY)
    shown = page(client, team, other)
    assert "Signed by a key that is not pinned for this investigation" in shown
    assert OTHER_FINGERPRINT in shown and FINGERPRINT in shown


def test_a_pin_holds_for_every_capture_of_the_investigation(client, team):
    first = capture(team, team.field_a)
    sign_in(client, team.lawyer)
    post(client, team, first, "/wacz-key")
    from_b = capture(team, team.field_b)
    assert "Pinned for this investigation on" in page(client, team, from_b)


def test_pins_belong_to_one_investigation(app, client, team):
    first = capture(team, team.field_a)
    sign_in(client, team.lawyer)
    post(client, team, first, "/wacz-key")
    elsewhere = Team()
    item = capture(elsewhere, elsewhere.field_a)
    other_client = app.test_client()
    sign_in(other_client, elsewhere.lawyer)
    assert "No WACZ signing key is pinned" in page(other_client, elsewhere, item)


def test_unpinning_is_a_ledger_entry_and_the_key_is_no_longer_pinned(client, team):
    item = capture(team, team.field_a)
    sign_in(client, team.lawyer)
    post(client, team, item, "/wacz-key")
    assert post(client, team, item, "/wacz-key/unpin").status_code == 302
    (unpinned,) = entries("wacz_key_unpinned")
    assert unpinned["fingerprint"] == FINGERPRINT
    assert db.session.scalars(select(WaczKey)).all() == []
    assert "No WACZ signing key is pinned" in page(client, team, item)
    assert post(client, team, item, "/wacz-key/unpin").status_code == 409


def test_a_key_is_pinned_once(client, team):
    item = capture(team, team.field_a)
    sign_in(client, team.lawyer)
    assert post(client, team, item, "/wacz-key").status_code == 302
    assert post(client, team, item, "/wacz-key").status_code == 409
    assert len(entries("wacz_key_pinned")) == 1


def test_field_staff_neither_pin_nor_unpin(client, team):
    item = capture(team, team.field_a)
    sign_in(client, team.field_a)
    assert "Pin this key" not in page(client, team, item)
    assert post(client, team, item, "/wacz-key").status_code == 403
    assert post(client, team, item, "/wacz-key/unpin").status_code == 403
    assert entries("wacz_key_pinned") == []


def test_a_signature_that_does_not_hold_or_none_gives_no_key_to_pin(client, team):
    forged = capture(team, team.field_a, key=OTHER_KEY, public=KEY)
    unsigned = add_item(team.investigation, team.field_a, wacz_bytes(), "u.wacz")
    sign_in(client, team.lawyer)
    for item in (forged, unsigned):
        assert "WACZ signing key" not in page(client, team, item)
        assert post(client, team, item, "/wacz-key").status_code == 409
    assert db.session.scalars(select(WaczKey)).all() == []
