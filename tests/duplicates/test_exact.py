"""Exact duplicates: same SHA-256 in the same investigation, flagged at intake, both kept."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.custody.models import LedgerEntry
from app.duplicates.models import EvidenceLink
from app.extensions import db
from app.vault.models import EvidenceItem
from tests.duplicates.support import Team, add_item, jpeg, scene
from tests.helpers.factories import InvestigationFactory, MembershipFactory
from tests.helpers.web import sign_in

TEXT = b"the same statement, sent twice\n" * 40


@pytest.fixture
def team(app_ctx):
    return Team()


def links() -> list[EvidenceLink]:
    return list(db.session.scalars(select(EvidenceLink)))


def test_the_second_upload_of_the_same_bytes_is_linked_to_the_first_and_both_are_kept(team):
    first = add_item(team.investigation, team.field_a, TEXT, "a.txt")
    second = add_item(team.investigation, team.field_b, TEXT, "b.txt")
    assert db.session.scalar(select(db.func.count(EvidenceItem.id))) == 2
    (link,) = links()
    assert (link.first_id, link.second_id, link.kind, link.status) == (
        first.id,
        second.id,
        "exact",
        "confirmed",
    )


def test_the_link_is_a_ledger_entry_with_the_hash_and_both_ids(team):
    first = add_item(team.investigation, team.field_a, TEXT, "a.txt")
    second = add_item(team.investigation, team.field_a, TEXT, "b.txt")
    (link,) = links()
    entry = db.session.scalar(select(LedgerEntry).where(LedgerEntry.action == "duplicate_found"))
    assert (entry.object_type, entry.object_id) == ("evidence_link", link.id)
    assert b'"sha256":"%s"' % first.sha256.encode() in entry.body
    assert first.id.encode() in entry.body and second.id.encode() in entry.body


def test_different_bytes_are_not_linked(team):
    add_item(team.investigation, team.field_a, TEXT, "a.txt")
    add_item(team.investigation, team.field_a, TEXT + b"!", "b.txt")
    assert links() == []


def test_the_same_bytes_in_another_investigation_are_never_linked(team):
    other = InvestigationFactory()
    MembershipFactory(user=team.lawyer, investigation=other, may_see_identities=True)
    add_item(team.investigation, team.lawyer, TEXT, "a.txt")
    add_item(other, team.lawyer, TEXT, "a.txt")
    assert links() == []


def test_a_third_copy_is_linked_to_both_earlier_ones(team):
    a = add_item(team.investigation, team.field_a, TEXT, "a.txt")
    b = add_item(team.investigation, team.field_a, TEXT, "b.txt")
    c = add_item(team.investigation, team.field_a, TEXT, "c.txt")
    assert {(link.first_id, link.second_id) for link in links()} == {
        (a.id, b.id),
        (a.id, c.id),
        (b.id, c.id),
    }


def test_both_item_pages_show_the_link_to_a_reviewer(client, team):
    first = add_item(team.investigation, team.field_a, TEXT, "a.txt")
    second = add_item(team.investigation, team.field_b, TEXT, "b.txt")
    sign_in(client, team.lawyer)
    for item, other in ((first, second), (second, first)):
        page = client.get(team.item_url(item)).get_data(as_text=True)
        assert "exact duplicate" in page
        assert team.item_url(other) in page


def test_a_field_researcher_learns_nothing_of_a_copy_sent_by_someone_else(client, team):
    add_item(team.investigation, team.field_a, TEXT, "a.txt")
    mine = add_item(team.investigation, team.field_b, TEXT, "b.txt")
    sign_in(client, team.field_b)
    page = client.get(team.item_url(mine)).get_data(as_text=True)
    assert "exact duplicate" not in page
    assert "duplicate_found" not in page.replace(" ", "_")  # nor in the custody timeline
    assert 'id="duplicates-heading"' not in page  # as for an item with no duplicate at all


def test_a_field_researcher_sees_the_link_between_two_of_their_own_uploads(client, team):
    first = add_item(team.investigation, team.field_a, TEXT, "a.txt")
    second = add_item(team.investigation, team.field_a, TEXT, "b.txt")
    sign_in(client, team.field_a)
    page = client.get(team.item_url(second)).get_data(as_text=True)
    assert "exact duplicate" in page and team.item_url(first) in page
    assert "duplicate found" in page  # the ledger entry, in the item's chain of custody


def test_a_field_researcher_sees_a_photo_page_like_one_without_any_copy(client, team):
    data = jpeg(scene(5))
    add_item(team.investigation, team.field_a, data)
    mine = add_item(team.investigation, team.field_b, data)
    sign_in(client, team.field_b)
    page = client.get(team.item_url(mine)).get_data(as_text=True)
    assert "No duplicates among the items you can see." in page
    assert "exact duplicate" not in page


def test_the_ledger_hides_the_entry_from_a_member_who_cannot_see_both_items(client, team):
    add_item(team.investigation, team.field_a, TEXT, "a.txt")
    add_item(team.investigation, team.field_b, TEXT, "b.txt")
    sign_in(client, team.field_b)
    ledger = client.get(f"/investigations/{team.ref}/custody/ledger").get_data(as_text=True)
    assert "duplicate" not in ledger


def test_the_api_evidence_resource_lists_the_duplicate_for_those_who_see_it(client, team):
    from tests.api.helpers import ApiClient, issue_token

    first = add_item(team.investigation, team.field_a, TEXT, "a.txt")
    second = add_item(team.investigation, team.field_b, TEXT, "b.txt")
    lawyer = ApiClient(client, issue_token(team.lawyer))
    body = lawyer.get(f"/investigations/{team.ref}/evidence/{second.id}").get_json()
    (dup,) = body["duplicates"]
    assert (dup["evidence_id"], dup["kind"], dup["status"]) == (first.id, "exact", "confirmed")
    field = ApiClient(client, issue_token(team.field_b))
    body = field.get(f"/investigations/{team.ref}/evidence/{second.id}").get_json()
    assert body["duplicates"] == []
    assert first.id not in str(body)


def test_a_duplicate_photo_is_still_processed_as_its_own_item(team):
    data = jpeg(scene(3))
    add_item(team.investigation, team.field_a, data)
    second = add_item(team.investigation, team.field_a, data)
    assert second.extracted_metadata is not None and second.derivatives


def test_an_api_upload_of_the_same_bytes_is_linked_too(client, team):
    from tests.api.helpers import ApiClient, issue_token

    api = ApiClient(client, issue_token(team.lawyer))
    path = f"/investigations/{team.ref}/evidence"
    first = api.upload(path, TEXT, "a.txt").get_json()
    second = api.upload(path, TEXT, "b.txt").get_json()
    (link,) = links()
    assert (link.first_id, link.second_id) == (first["id"], second["id"])


def _duplicates_panel(page: str, *ids: str) -> str:
    start = page.index('id="duplicates-heading"')
    panel = page[start : page.index("</section>", start)]
    for item_id in ids:
        panel = panel.replace(item_id, "ITEM")
    return panel


def test_a_hidden_copy_leaves_the_page_as_it_would_be_without_it(client, team):
    data = jpeg(scene(6))
    add_item(team.investigation, team.field_a, data)
    copied = add_item(team.investigation, team.field_b, data)
    alone = add_item(team.investigation, team.field_b, jpeg(scene(7)))
    sign_in(client, team.field_b)
    with_copy = client.get(team.item_url(copied)).get_data(as_text=True)
    without = client.get(team.item_url(alone)).get_data(as_text=True)
    assert _duplicates_panel(with_copy, copied.id) == _duplicates_panel(without, alone.id)


def test_a_resumable_upload_of_the_same_bytes_is_linked_too(client, team):
    import base64

    from tests.helpers.web import csrf_token

    first = add_item(team.investigation, team.field_a, TEXT, "a.txt")
    sign_in(client, team.field_a)
    headers = {"Tus-Resumable": "1.0.0", "X-CSRFToken": csrf_token(client, "/investigations/")}
    created = client.post(
        f"/investigations/{team.ref}/uploads",
        headers={
            **headers,
            "Upload-Length": str(len(TEXT)),
            "Upload-Metadata": "filename " + base64.b64encode(b"b.txt").decode(),
        },
    )
    patched = client.patch(
        created.headers["Location"],
        data=TEXT,
        headers={
            **headers,
            "Upload-Offset": "0",
            "Content-Type": "application/offset+octet-stream",
        },
    )
    assert patched.status_code == 204
    (link,) = links()
    assert link.first_id == first.id and link.second_id != first.id


def test_two_copies_in_one_upload_form_are_linked(client, team):
    import io

    from tests.helpers.web import csrf_token

    sign_in(client, team.field_a)
    url = f"/investigations/{team.ref}/evidence/upload"
    data = {"csrf_token": csrf_token(client, url)}
    data["files"] = [(io.BytesIO(TEXT), "a.txt"), (io.BytesIO(TEXT), "b.txt")]
    assert client.post(url, data=data, content_type="multipart/form-data").status_code < 400
    (link,) = links()
    assert link.kind == "exact"
