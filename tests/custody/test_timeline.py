"""The custody timeline of an item and the ledger page: who, what, when, from where, for members."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import render_template
from sqlalchemy import select
from werkzeug.exceptions import NotFound

from app.custody.ledger import append_custody_event
from app.custody.models import LedgerEntry
from app.custody.timeline import timeline_for
from app.extensions import db
from app.investigations.viewer import viewer_of
from app.timeutil import utcnow
from app.vault.models import Derivative, EvidenceItem
from tests.helpers.factories import InvestigationFactory, UserFactory
from tests.helpers.web import post_form


def make_item(investigation, user) -> EvidenceItem:
    item = EvidenceItem(
        investigation_id=investigation.id,
        kind="photo",
        media_type="image/jpeg",
        size=3,
        sha256="ab" * 32,
        blob_key=f"k{investigation.id[:8]}{user.id[:8]}",
        original_filename="x.jpg",
        uploaded_by_id=user.id,
    )
    db.session.add(item)
    db.session.commit()
    return item


def test_timeline_lists_an_items_entries_in_order_with_its_derivatives(
    app_ctx, investigation, member
):
    lawyer = UserFactory(role="lawyer")
    member(lawyer, investigation)
    item = make_item(investigation, lawyer)
    thumb = Derivative(
        evidence_id=item.id,
        investigation_id=investigation.id,
        kind="thumbnail",
        media_type="image/jpeg",
        size=1,
        sha256="cd" * 32,
        blob_key="thumbkey",
    )
    db.session.add(thumb)
    db.session.commit()
    append_custody_event(investigation.id, lawyer, "received", "evidence", item.id, {"size": 3})
    append_custody_event(investigation.id, None, "viewed", "evidence", "another-item", {})
    append_custody_event(investigation.id, None, "derivative_created", "derivative", thumb.id, {})
    append_custody_event(investigation.id, lawyer, "downloaded", "evidence", item.id, {})
    db.session.commit()

    timeline = timeline_for("evidence", item.id, viewer_of(investigation, lawyer))
    assert [(e.seq, e.action) for e in timeline] == [
        (1, "received"),
        (3, "derivative_created"),
        (4, "downloaded"),
    ]
    first = timeline[0]
    assert (first.actor, first.actor_role, first.details) == (lawyer.email, "lawyer", {"size": 3})
    assert first.intact and len(first.entry_hash) == 64
    assert timeline[1].actor == "system"


def test_timeline_is_empty_for_someone_outside_the_investigation(app_ctx, investigation):
    outsider = UserFactory(role="lawyer")
    append_custody_event(investigation.id, None, "viewed", "evidence", "item-1", {})
    db.session.commit()
    # An outsider has no viewer of the investigation at all: 404 before any timeline.
    with pytest.raises(NotFound):
        viewer_of(investigation, outsider)


def test_timeline_partial_shows_who_what_when_and_the_hash_but_never_the_address(
    app, app_ctx, investigation, member
):
    lawyer = UserFactory(role="lawyer", email="lina@example.org")
    member(lawyer, investigation)
    with app.test_request_context(environ_base={"REMOTE_ADDR": "203.0.113.7"}):
        entry = append_custody_event(investigation.id, lawyer, "viewed", "evidence", "e-1", {})
        db.session.commit()
    with app.test_request_context():
        html = render_template(
            "custody/_timeline.html",
            custody_timeline=timeline_for("evidence", "e-1", viewer_of(investigation, lawyer)),
        )
    assert "lina@example.org" in html and "(lawyer)" in html
    assert "203.0.113.7" not in html and b"203.0.113.7" not in entry.body
    assert entry.entry_hash in html
    assert entry.time.strftime("%Y-%m-%d %H:%M:%S") in html


def test_a_tampered_entry_is_flagged_on_the_page(app, app_ctx, investigation, member, run_sql):
    lawyer = UserFactory(role="lawyer")
    member(lawyer, investigation)
    append_custody_event(investigation.id, lawyer, "viewed", "evidence", "e-1", {})
    db.session.commit()
    (entry,) = timeline_for("evidence", "e-1", viewer_of(investigation, lawyer))
    assert entry.intact
    # The denormalised columns only pick rows; what is shown is checked against the hash.
    from tests.conftest import backend

    if backend() == "postgresql":
        run_sql("ALTER TABLE custody_entries DISABLE TRIGGER custody_entries_append_only")
    try:
        run_sql("UPDATE custody_entries SET body_sha256 = :d", d="00" * 32)
    finally:
        if backend() == "postgresql":
            run_sql("ALTER TABLE custody_entries ENABLE TRIGGER custody_entries_append_only")
    db.session.expire_all()
    (entry,) = timeline_for("evidence", "e-1", viewer_of(investigation, lawyer))
    assert not entry.intact
    with app.test_request_context():
        html = render_template("custody/_timeline.html", custody_timeline=[entry])
    assert "does not match its hash" in html


# --- The ledger page ---------------------------------------------------------------------------


def ledger_url(investigation, **query) -> str:
    args = "&".join(f"{k}={v}" for k, v in query.items())
    return f"/investigations/{investigation.reference}/custody" + (f"?{args}" if args else "")


def test_members_see_the_ledger_with_hashes_and_no_client_address(
    app_ctx, investigation, member, signed_in, make_user
):
    admin = make_user(role="admin", email="root@example.org")
    lawyer = make_user(role="lawyer", email="lina@example.org")
    admin_client = signed_in(admin)
    # A real grant through the admin page: the ledger records it, not the admin's address.
    response = post_form(
        admin_client,
        f"/admin/investigations/{investigation.reference}/members",
        {"email": lawyer.email, "role": "lawyer"},
        page=f"/admin/investigations/{investigation.reference}/members",
    )
    assert response.status_code in (200, 302), response.status_code
    page = signed_in(lawyer).get(ledger_url(investigation))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<td>Access granted</td>" in html  # the action's label (app/taxonomy)
    assert "root@example.org" in html and "127.0.0.1" not in html
    entry = db.session.scalar(select(LedgerEntry).where(LedgerEntry.action == "access_granted"))
    assert entry.entry_hash in html


def test_non_members_get_404_and_anonymous_visitors_are_sent_to_sign_in(
    app, app_ctx, investigation, signed_in, make_user
):
    append_custody_event(investigation.id, None, "viewed", "evidence", "e-1", {})
    db.session.commit()
    outsider = make_user(role="lawyer")
    assert signed_in(outsider).get(ledger_url(investigation)).status_code == 404
    admin = make_user(role="admin")
    assert signed_in(admin).get(ledger_url(investigation)).status_code == 404
    anonymous = app.test_client().get(ledger_url(investigation))
    assert anonymous.status_code == 302 and "/auth/login" in anonymous.headers["Location"]


def test_filters_by_action_object_actor_and_date(
    app_ctx, investigation, member, signed_in, make_user
):
    lawyer = make_user(role="lawyer", email="lina@example.org")
    other = make_user(role="field", email="omar@example.org")
    member(lawyer, investigation)
    append_custody_event(investigation.id, lawyer, "viewed", "evidence", "item-one", {})
    append_custody_event(investigation.id, other, "downloaded", "evidence", "item-two", {})
    append_custody_event(investigation.id, "system:fixity", "fixity_verified", "evidence", "x", {})
    db.session.commit()
    client = signed_in(lawyer)

    def objects(**query) -> set[str]:
        html = client.get(ledger_url(investigation, **query)).get_data(as_text=True)
        return {name for name in ("item-one", "item-two", ">x<") if name in html}

    assert objects() == {"item-one", "item-two", ">x<"}
    assert objects(action="downloaded") == {"item-two"}
    assert objects(object_id="item-one") == {"item-one"}
    assert objects(actor="omar@example.org") == {"item-two"}
    assert objects(actor="system:fixity") == {">x<"}
    assert objects(actor="nobody@example.org") == set()
    today = utcnow().date()
    assert objects(since=today.isoformat(), until=today.isoformat()) == {
        "item-one",
        "item-two",
        ">x<",
    }
    assert objects(until=(today - timedelta(days=1)).isoformat()) == set()


def test_bad_filter_input_is_a_400_page_not_an_error(
    app_ctx, investigation, member, signed_in, make_user
):
    lawyer = make_user(role="lawyer")
    member(lawyer, investigation)
    response = signed_in(lawyer).get(ledger_url(investigation, since="yesterday", action="boom"))
    assert response.status_code == 400
    assert "Custody ledger" in response.get_data(as_text=True)


def test_the_ledger_is_paginated(app_ctx, investigation, member, signed_in, make_user):
    lawyer = make_user(role="lawyer")
    member(lawyer, investigation)
    for n in range(51):
        append_custody_event(investigation.id, None, "viewed", "evidence", f"obj-{n:03d}", {})
    db.session.commit()
    client = signed_in(lawyer)
    first = client.get(ledger_url(investigation)).get_data(as_text=True)
    second = client.get(ledger_url(investigation, page=2)).get_data(as_text=True)
    assert "obj-000" in first and "obj-049" in first and "obj-050" not in first
    assert "obj-050" in second and "obj-000" not in second
    assert "Page 2 of 2" in second


def test_each_ledger_page_shows_only_its_own_investigation(app_ctx, member, signed_in, make_user):
    lawyer = make_user(role="lawyer")
    mine, theirs = InvestigationFactory(), InvestigationFactory()
    member(lawyer, mine)
    append_custody_event(theirs.id, None, "viewed", "evidence", "secret-item", {})
    append_custody_event(mine.id, None, "viewed", "evidence", "my-item", {})
    db.session.commit()
    html = signed_in(lawyer).get(ledger_url(mine)).get_data(as_text=True)
    assert "my-item" in html and "secret-item" not in html
