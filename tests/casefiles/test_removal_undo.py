"""Removing a case-file item asks first and can be undone for a while (issue 18): its element
links, grades, notes and corroborations come back, each step is in the ledger, and the kept
snapshot is deleted when the undo window ends."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from app.casefiles.models import (
    Annotation,
    Assessment,
    CaseItem,
    Corroboration,
    ElementLink,
    RemovedCaseItem,
)
from app.casefiles.services.removals import purge_expired_removals
from app.custody.models import LedgerEntry
from app.extensions import db
from app.timeutil import utcnow
from tests.helpers.web import post_form


def case_url(w) -> str:
    return f"/investigations/{w.investigation.reference}/cases/{w.casefile.reference}"


def in_file(case_item_id: str) -> bool:
    db.session.expire_all()
    return db.session.scalar(select(CaseItem.id).where(CaseItem.id == case_item_id)) is not None


def rows_of(case_item_id: str) -> tuple[int, int, int, int]:
    db.session.expire_all()
    return (
        db.session.query(ElementLink).filter_by(case_item_id=case_item_id).count(),
        db.session.query(Assessment).filter_by(case_item_id=case_item_id).count(),
        db.session.query(Annotation).filter_by(case_item_id=case_item_id).count(),
        db.session.query(Corroboration)
        .filter(
            (Corroboration.from_item_id == case_item_id)
            | (Corroboration.to_item_id == case_item_id)
        )
        .count(),
    )


def ledger_ops(object_id: str) -> list[str]:
    entries = db.session.scalars(
        select(LedgerEntry).where(LedgerEntry.object_id == object_id).order_by(LedgerEntry.seq)
    )
    bodies = [json.loads(entry.body) for entry in entries]
    return [b["details"].get("op") for b in bodies if b["action"] == "linked_to_case"]


def remove(client, w, name: str):
    url = f"{case_url(w)}/items/{w.items[name].id}/remove"
    return post_form(client, url, {}, page=url)


def test_remove_asks_first_and_says_what_goes_with_the_item(built_case, signed_in):
    w = built_case
    client = signed_in(w.author)
    overview = client.get(case_url(w)).get_data(as_text=True)
    # The list offers a link to a confirmation page, not a button that deletes at once.
    assert f'href="{case_url(w)}/items/{w.items["interview"].id}/remove"' in overview
    page = client.get(f"{case_url(w)}/items/{w.items['interview'].id}/remove")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Remove this item from the case file?" in text
    assert "element links</li>" not in text and "element links: 1" in text
    assert "grades: 1" in text and "corroborations: 1" in text and "24 hours" in text
    assert in_file(w.items["interview"].id)  # nothing removed yet


def test_undo_puts_the_item_back_with_its_links_grades_notes_and_corroborations(
    built_case, signed_in
):
    w = built_case
    interview_id, photo_id = w.items["interview"].id, w.items["photo"].id
    before_interview, before_photo = rows_of(interview_id), rows_of(photo_id)
    assert before_interview == (1, 1, 0, 1) and before_photo == (1, 0, 1, 1)
    client = signed_in(w.author)

    assert remove(client, w, "interview").status_code == 302
    assert not in_file(interview_id)
    assert rows_of(interview_id) == (0, 0, 0, 0)
    overview = client.get(case_url(w)).get_data(as_text=True)
    assert 'id="recently-removed"' in overview and "Undo: put it back" in overview
    removal = db.session.scalar(select(RemovedCaseItem))
    # The kept snapshot holds the rationale encrypted, like the grade it came from.
    raw = db.session.execute(select(RemovedCaseItem.__table__.c.snapshot)).scalar_one()
    assert b"Consistent account" not in raw

    restore = f"{case_url(w)}/removed/{removal.id}/restore"
    assert post_form(client, restore, {}, page=case_url(w)).status_code == 302
    assert in_file(interview_id)
    assert rows_of(interview_id) == before_interview and rows_of(photo_id) == before_photo
    assessment = db.session.scalar(select(Assessment).filter_by(case_item_id=interview_id))
    assert assessment.rationale == "Consistent account." and assessment.grade == "B2"
    assert db.session.query(RemovedCaseItem).count() == 0
    assert ledger_ops(w.interview.id)[-2:] == ["item_removed", "item_restored"]
    # Undo is one-shot: the removal is gone, as an unknown one is.
    assert post_form(client, restore, {}, page=case_url(w)).status_code == 404


def test_a_removal_cannot_be_undone_after_its_window_and_its_snapshot_is_purged(
    built_case, signed_in
):
    w = built_case
    client = signed_in(w.author)
    assert remove(client, w, "photo").status_code == 302
    removal = db.session.scalar(select(RemovedCaseItem))
    removal.restorable_until = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert "Undo: put it back" not in client.get(case_url(w)).get_data(as_text=True)
    restore = f"{case_url(w)}/removed/{removal.id}/restore"
    response = post_form(client, restore, {}, page=case_url(w))
    assert response.status_code == 409
    assert "can no longer be undone" in response.get_data(as_text=True)
    assert purge_expired_removals() == 1
    assert db.session.query(RemovedCaseItem).count() == 0


def test_an_item_added_again_must_be_removed_before_the_old_removal_is_undone(
    built_case, signed_in
):
    from app.casefiles.services import casefiles

    w = built_case
    client = signed_in(w.author)
    assert remove(client, w, "photo").status_code == 302
    removal = db.session.scalar(select(RemovedCaseItem))
    casefiles.add_item(w.casefile, w.investigation, w.author, "evidence", w.photo.id)
    db.session.commit()
    restore = f"{case_url(w)}/removed/{removal.id}/restore"
    response = post_form(client, restore, {}, page=case_url(w))
    assert response.status_code == 400
    assert "in the case file again" in response.get_data(as_text=True)
    assert db.session.query(RemovedCaseItem).count() == 1
