"""Drafts of long writing: kept as one types, the author's alone, encrypted, restored, expired."""

from __future__ import annotations

import json
import logging
import re
from datetime import timedelta

import sqlalchemy as sa

from app.drafts.models import Draft
from app.drafts.services import purge_expired_drafts
from app.extensions import db
from app.intake.models import Interview
from app.timeutil import utcnow
from tests.helpers.web import csrf_token
from tests.intake.builders import make_interview, make_witness
from tests.intake.helpers import interview_form

TRANSCRIPT = "The second strike hit the entrance at dawn; my brother was carrying the injured."
KEPT_RE = re.compile(r'<script type="application/json" class="kept-draft">(.*?)</script>', re.S)


def keep(client, action: str, fields: dict, page: str | None = None):
    token = csrf_token(client, page or action)
    return client.post(
        "/drafts", json={"action": action, "fields": fields}, headers={"X-CSRFToken": token}
    )


def kept_in_page(client, page: str) -> dict | None:
    """The draft a page puts back into its form, as static/js/drafts.js reads it."""
    found = KEPT_RE.search(client.get(page).get_data(as_text=True))
    return json.loads(found.group(1)) if found else None


def test_a_transcript_is_kept_and_comes_back_into_the_form(world, client_for):
    client = client_for(world.field_a)
    new = world.url("/interviews/new")
    answer = keep(client, new, {"transcript": TRANSCRIPT, "notes": "Shaking."})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.json["message"].startswith("Draft kept at ")
    assert kept_in_page(client, new) == {"transcript": TRANSCRIPT, "notes": "Shaking."}


def test_the_draft_is_encrypted_in_the_database(world, client_for):
    keep(client_for(world.field_a), world.url("/interviews/new"), {"transcript": TRANSCRIPT})
    raw = db.session.execute(sa.text("SELECT fields FROM drafts")).scalar_one()
    assert b"second strike" not in bytes(raw)


def test_another_member_never_reads_someones_draft(world, client_for):
    new = world.url("/interviews/new")
    keep(client_for(world.field_a), new, {"transcript": TRANSCRIPT})
    assert kept_in_page(client_for(world.field_b), new) is None
    assert TRANSCRIPT not in client_for(world.lawyer_identities).get(new).get_data(as_text=True)


def test_a_draft_never_writes_into_someone_elses_record(world, client_for):
    witness = make_witness(world.investigation, world.field_a)
    interview = make_interview(world.investigation, world.field_a, witness)
    edit = world.url(f"/interviews/{interview.id}/edit")
    answer = keep(client_for(world.field_b), edit, {"transcript": "Forged words."}, page="/")
    assert answer.status_code == 200  # kept, for field_b alone: it reaches no record
    db.session.expire_all()
    assert db.session.get(Interview, interview.id).transcript.startswith("I saw the second")
    assert kept_in_page(client_for(world.field_a), edit) is None


def test_only_forms_that_keep_drafts_and_their_fields_are_kept(world, client_for):
    client = client_for(world.field_a)
    refused = keep(client, "/auth/settings", {"name": "x"}, page="/")
    assert refused.status_code == 400 and refused.json["error"]["code"] == "not_draftable"
    outside = keep(client, "https://elsewhere.example/x", {"transcript": "x"}, page="/")
    assert outside.status_code == 400
    new = world.url("/interviews/new")
    keep(client, new, {"transcript": TRANSCRIPT, "password": "hunter2", "client_id": "x"})
    assert kept_in_page(client, new) == {"transcript": TRANSCRIPT}


def test_a_draft_post_without_its_csrf_token_is_refused(world, client_for):
    client = client_for(world.field_a)
    answer = client.post(
        "/drafts", json={"action": world.url("/interviews/new"), "fields": {"transcript": "x"}}
    )
    assert answer.status_code == 400 and answer.json["error"]["code"] == "csrf_failed"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Draft)) == 0


def test_a_signed_out_page_learns_it_with_401(world, app):
    answer = app.test_client().post("/drafts", json={"action": "/", "fields": {}})
    assert answer.status_code == 401 and answer.json["error"]["code"] == "unauthorized"


def test_saving_the_form_discards_the_draft(world, client_for):
    client = client_for(world.field_a)
    witness = make_witness(world.investigation, world.field_a)
    new = world.url("/interviews/new")
    keep(client, new, {"transcript": TRANSCRIPT})
    data = interview_form(witness.id, transcript=TRANSCRIPT, csrf_token=csrf_token(client, new))
    assert client.post(new, data=data).status_code == 302
    assert kept_in_page(client, new) is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Draft)) == 0


def test_a_refused_form_keeps_the_draft(world, client_for):
    client = client_for(world.field_a)
    new = world.url("/interviews/new")
    keep(client, new, {"transcript": TRANSCRIPT})
    data = interview_form("", transcript=TRANSCRIPT, csrf_token=csrf_token(client, new))
    assert client.post(new, data=data).status_code == 400
    assert kept_in_page(client, new) == {"transcript": TRANSCRIPT}


def test_expired_drafts_are_never_shown_and_are_deleted(world, client_for, app):
    client = client_for(world.field_a)
    new = world.url("/interviews/new")
    keep(client, new, {"transcript": TRANSCRIPT})
    hours = app.config["CUSTOS_DRAFT_RETENTION_HOURS"]
    db.session.execute(sa.update(Draft).values(kept_at=utcnow() - timedelta(hours=hours + 1)))
    db.session.commit()
    assert kept_in_page(client, new) is None
    keep(client, new, {"transcript": "new"})
    db.session.execute(sa.update(Draft).values(kept_at=utcnow() - timedelta(hours=hours + 1)))
    db.session.commit()
    assert purge_expired_drafts() == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Draft)) == 0


def test_a_form_refused_for_an_expired_token_comes_back_with_its_text(world, client_for):
    client = client_for(world.field_a)
    witness = make_witness(world.investigation, world.field_a)
    new = world.url("/interviews/new")
    data = interview_form(witness.id, transcript=TRANSCRIPT, csrf_token="expired")
    answer = client.post(new, data=data, headers={"Origin": "http://localhost"})
    assert answer.status_code == 303 and answer.headers["Location"].endswith(new)
    page = client.get(new).get_data(as_text=True)
    assert "The form had expired, so nothing was saved." in page
    assert json.loads(KEPT_RE.search(page).group(1))["transcript"] == TRANSCRIPT
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Interview)) == 0


def test_a_forged_cross_site_post_cannot_overwrite_a_draft(world, client_for):
    client = client_for(world.field_a)
    new = world.url("/interviews/new")
    keep(client, new, {"transcript": TRANSCRIPT})
    forged = {"transcript": "Attacker's words.", "csrf_token": "none"}
    answer = client.post(new, data=forged, headers={"Origin": "https://evil.example"})
    assert answer.status_code == 400
    assert kept_in_page(client, new) == {"transcript": TRANSCRIPT}


def test_a_form_on_another_page_comes_back_to_that_page(world, client_for):
    client = client_for(world.field_a)
    witness = make_witness(world.investigation, world.field_a)
    interview = make_interview(world.investigation, world.field_a, witness)
    addenda = world.url(f"/interviews/{interview.id}/addenda")
    data = {"text": "A correction.", "csrf_token": "stale"}
    answer = client.post(addenda, data=data, headers={"Origin": "http://localhost"})
    assert answer.headers["Location"].endswith(world.url(f"/interviews/{interview.id}"))


def test_the_text_of_a_draft_never_reaches_the_logs(world, client_for, caplog):
    with caplog.at_level(logging.DEBUG):
        keep(client_for(world.field_a), world.url("/interviews/new"), {"transcript": TRANSCRIPT})
    assert "second strike" not in caplog.text


def test_any_keep_deletes_expired_drafts_of_everyone(world, client_for, app):
    keep(client_for(world.field_a), world.url("/interviews/new"), {"transcript": TRANSCRIPT})
    hours = app.config["CUSTOS_DRAFT_RETENTION_HOURS"]
    db.session.execute(sa.update(Draft).values(kept_at=utcnow() - timedelta(hours=hours + 1)))
    db.session.commit()
    keep(client_for(world.field_b), world.url("/incidents/new"), {"description": "x"})
    owners = db.session.scalars(sa.select(Draft.user_id)).all()
    assert owners == [world.field_b.id]


def test_one_person_holds_a_bounded_number_of_drafts(world, client_for, app, monkeypatch):
    monkeypatch.setitem(app.config, "CUSTOS_MAX_DRAFTS_PER_USER", 1)
    client = client_for(world.field_a)
    assert keep(client, world.url("/interviews/new"), {"notes": "a"}).status_code == 200
    refused = keep(client, world.url("/incidents/new"), {"description": "b"})
    assert refused.status_code == 400 and refused.json["error"]["code"] == "draft_refused"
    # The draft already held is still kept, and replaced in place.
    assert keep(client, world.url("/interviews/new"), {"notes": "c"}).status_code == 200


def test_a_draft_cannot_break_out_of_its_page(world, client_for):
    client = client_for(world.field_a)
    new = world.url("/interviews/new")
    hostile = "</script><script>alert(1)</script><!--"
    keep(client, new, {"transcript": hostile})
    page = client.get(new).get_data(as_text=True)
    assert "<script>alert(1)" not in page
    assert kept_in_page(client, new) == {"transcript": hostile}
