"""Near-duplicates through the real intake and processing: suggested within an investigation,
decided by a reviewer, recorded in the ledger; never across investigations."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from app.custody.models import LedgerEntry
from app.duplicates.models import EvidenceLink, MediaFingerprint
from app.extensions import db
from tests.duplicates.support import (
    Team,
    add_item,
    flat,
    jpeg,
    mirrored,
    png,
    recompressed_and_resized,
    scene,
)
from tests.helpers.factories import InvestigationFactory, MembershipFactory
from tests.helpers.media import require_tool
from tests.helpers.web import csrf_token, sign_in


@pytest.fixture
def team(app_ctx):
    return Team()


def near_links() -> list[EvidenceLink]:
    return list(db.session.scalars(select(EvidenceLink).where(EvidenceLink.kind == "near")))


def fingerprint(item) -> MediaFingerprint:
    return db.session.scalar(
        select(MediaFingerprint).where(MediaFingerprint.evidence_id == item.id)
    )


def actions(action: str) -> list[LedgerEntry]:
    return list(
        db.session.scalars(
            select(LedgerEntry).where(LedgerEntry.action == action).order_by(LedgerEntry.id)
        )
    )


def test_a_recompressed_and_resized_copy_is_suggested(team):
    first = add_item(team.investigation, team.lawyer, png(scene(21)), "a.png")
    second = add_item(team.investigation, team.lawyer, recompressed_and_resized(scene(21)))
    (link,) = near_links()
    assert (link.first_id, link.second_id, link.status) == (first.id, second.id, "suggested")
    assert link.distance <= 31 and link.implementation.startswith("pdqhash")
    (entry,) = actions("duplicate_suggested")
    assert entry.object_id == link.id


def test_a_mirror_image_is_suggested(team):
    add_item(team.investigation, team.lawyer, jpeg(scene(22)))
    add_item(team.investigation, team.lawyer, mirrored(scene(22)))
    assert len(near_links()) == 1


def test_an_unrelated_photo_is_not_suggested(team):
    add_item(team.investigation, team.lawyer, jpeg(scene(23)))
    add_item(team.investigation, team.lawyer, jpeg(scene(24)))
    assert near_links() == []


def test_an_exact_copy_is_an_exact_link_and_not_also_a_near_suggestion(team):
    data = jpeg(scene(25))
    add_item(team.investigation, team.lawyer, data)
    add_item(team.investigation, team.lawyer, data)
    assert near_links() == []


def test_a_flat_photo_says_it_is_too_featureless_to_compare(client, team):
    item = add_item(team.investigation, team.lawyer, flat())
    add_item(team.investigation, team.lawyer, flat((320, 240)))
    assert fingerprint(item).status == "featureless"
    assert near_links() == []
    sign_in(client, team.lawyer)
    page = client.get(team.item_url(item)).get_data(as_text=True)
    assert "too featureless to compare" in page


def test_each_fingerprint_is_a_ledger_entry_with_the_digest_of_its_hashes(team):
    item = add_item(team.investigation, team.lawyer, jpeg(scene(26)))
    (entry,) = actions("fingerprinted")
    assert entry.object_id == item.id
    assert b'"hashes_sha256":"' in entry.body and b'"implementation":"pdqhash' in entry.body


def test_a_copy_in_another_investigation_is_never_suggested(team):
    other = InvestigationFactory()
    MembershipFactory(user=team.lawyer, investigation=other, may_see_identities=True)
    add_item(team.investigation, team.lawyer, jpeg(scene(27)))
    add_item(other, team.lawyer, recompressed_and_resized(scene(27)))
    assert near_links() == []


def _decide(client, team, item, link, decision: str):
    token = csrf_token(client, team.item_url(item))
    url = team.item_url(item, f"/duplicates/{link.id}")
    return client.post(url, data={"csrf_token": token, "decision": decision})


def test_a_reviewer_confirms_a_suggestion_and_the_ledger_records_it(client, team):
    add_item(team.investigation, team.lawyer, jpeg(scene(28)))
    second = add_item(team.investigation, team.lawyer, recompressed_and_resized(scene(28)))
    (link,) = near_links()
    sign_in(client, team.lawyer)
    before = client.get(team.item_url(second)).get_data(as_text=True)
    assert "Confirm: the same capture" in before and "suggested, awaiting a reviewer" in before
    assert _decide(client, team, second, link, "confirm").status_code == 302
    db.session.expire_all()
    assert db.session.get(EvidenceLink, link.id).status == "confirmed"
    (entry,) = actions("duplicate_confirmed")
    assert entry.object_id == link.id and entry.actor_id == team.lawyer.id
    page = client.get(team.item_url(second)).get_data(as_text=True)
    assert "confirmed" in page


def test_a_decision_is_made_once(client, team):
    add_item(team.investigation, team.lawyer, jpeg(scene(29)))
    second = add_item(team.investigation, team.lawyer, recompressed_and_resized(scene(29)))
    (link,) = near_links()
    sign_in(client, team.lawyer)
    assert _decide(client, team, second, link, "reject").status_code == 302
    assert _decide(client, team, second, link, "confirm").status_code == 409
    db.session.expire_all()
    assert db.session.get(EvidenceLink, link.id).status == "rejected"
    assert len(actions("duplicate_rejected")) == 1 and actions("duplicate_confirmed") == []


def test_a_field_researcher_cannot_decide_even_between_their_own_items(client, team):
    add_item(team.investigation, team.field_a, jpeg(scene(30)))
    second = add_item(team.investigation, team.field_a, recompressed_and_resized(scene(30)))
    (link,) = near_links()
    sign_in(client, team.field_a)
    assert _decide(client, team, second, link, "confirm").status_code == 403
    db.session.expire_all()
    assert db.session.get(EvidenceLink, link.id).status == "suggested"


def test_a_suggestion_across_two_uploaders_is_hidden_from_each_of_them(client, team):
    add_item(team.investigation, team.field_a, jpeg(scene(31)))
    second = add_item(team.investigation, team.field_b, recompressed_and_resized(scene(31)))
    (link,) = near_links()
    sign_in(client, team.field_b)
    page = client.get(team.item_url(second)).get_data(as_text=True)
    assert "near-duplicate" not in page and link.first_id not in page
    assert _decide(client, team, second, link, "confirm").status_code == 404


def test_an_unknown_decision_is_refused(client, team):
    add_item(team.investigation, team.lawyer, jpeg(scene(32)))
    second = add_item(team.investigation, team.lawyer, recompressed_and_resized(scene(32)))
    (link,) = near_links()
    sign_in(client, team.lawyer)
    assert _decide(client, team, second, link, "maybe").status_code == 400


# --- Videos -------------------------------------------------------------------------------------


def clip(tmp_path: Path, name: str, source: str, size: str = "320x240", crf: int = 23) -> bytes:
    ffmpeg = require_tool("ffmpeg")
    out = tmp_path / f"{name}.mp4"
    argv = [ffmpeg, "-v", "error", "-y", "-f", "lavfi", "-i", f"{source}=rate=10", "-t", "6"]
    argv += ["-s", size, "-c:v", "libx264", "-crf", str(crf), "-pix_fmt", "yuv420p"]
    argv += ["-preset", "ultrafast", str(out)]
    subprocess.run(argv, check=True, capture_output=True, timeout=120)
    return out.read_bytes()


def test_a_reencoded_clip_is_suggested_and_an_unrelated_clip_is_not(team, tmp_path):
    original = add_item(team.investigation, team.lawyer, clip(tmp_path, "a", "testsrc2"))
    copy = add_item(
        team.investigation,
        team.lawyer,
        clip(tmp_path, "b", "testsrc2", size="480x360", crf=38),
    )
    add_item(team.investigation, team.lawyer, clip(tmp_path, "c", "mandelbrot"))
    assert fingerprint(original).status == "hashed" and len(fingerprint(original).frames) >= 5
    (link,) = near_links()
    assert (link.first_id, link.second_id) == (original.id, copy.id)
    assert link.first_share >= 0.8 and link.second_share >= 0.8


def test_hashes_of_another_implementation_are_never_compared(team):
    first = add_item(team.investigation, team.lawyer, jpeg(scene(33)))
    fingerprint(first).implementation = "pdqhash 0.0.1"  # as if hashed by an older release
    db.session.commit()
    add_item(team.investigation, team.lawyer, recompressed_and_resized(scene(33)))
    assert near_links() == []


def test_the_api_shows_the_suggestion_and_the_search(client, team):
    from tests.api.helpers import ApiClient, issue_token

    first = add_item(team.investigation, team.lawyer, jpeg(scene(34)))
    second = add_item(team.investigation, team.lawyer, recompressed_and_resized(scene(34)))
    api = ApiClient(client, issue_token(team.lawyer))
    body = api.get(f"/investigations/{team.ref}/evidence/{second.id}").get_json()
    (dup,) = body["duplicates"]
    assert (dup["evidence_id"], dup["kind"], dup["status"]) == (first.id, "near", "suggested")
    assert dup["distance"] <= 31
    assert body["near_duplicate_search"]["status"] == "hashed"
    assert body["near_duplicate_search"]["implementation"].startswith("pdqhash ")


def test_items_processed_before_hashing_existed_catch_up_with_the_cli(app, team, monkeypatch):
    from app.consistency.models import ConsistencyCheck
    from app.vault import hooks

    # As on a server upgraded to this release: two copies processed without the new steps.
    monkeypatch.setattr(hooks, "_processing", {})
    first = add_item(team.investigation, team.lawyer, jpeg(scene(35)))
    second = add_item(team.investigation, team.lawyer, recompressed_and_resized(scene(35)))
    assert fingerprint(first) is None and near_links() == []
    monkeypatch.undo()
    plain = app.test_cli_runner().invoke(args=["evidence", "process"])
    assert "total: 0 processed" in plain.output  # both were processed already
    result = app.test_cli_runner().invoke(args=["evidence", "process", "--all-items"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert fingerprint(first).status == fingerprint(second).status == "hashed"
    (link,) = near_links()
    assert (link.first_id, link.second_id) == (first.id, second.id)
    again = app.test_cli_runner().invoke(args=["evidence", "process", "--all-items"])
    assert again.exit_code == 0
    db.session.expire_all()
    assert len(near_links()) == 1 and len(actions("fingerprinted")) == 2
    assert db.session.scalar(select(db.func.count(ConsistencyCheck.id))) == 2
