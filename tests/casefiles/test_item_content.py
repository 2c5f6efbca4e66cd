"""Lawyers see what they judge (issue 18, item 2): items named by what they are, a thumbnail or
the testimony on the item page, a link to the source, and every read recorded; file names and
capture facts only for a member holding the identity grant."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.accesslog.models import AccessRecord, ReadKind
from app.casefiles.services.item_content import EXCERPT_CHARS, ItemContent
from app.casefiles.services.items import candidates, summaries_for
from app.extensions import db
from app.vault.models import DerivativeKind
from tests.casefiles.conftest import HIDDEN_NAME
from tests.helpers.factories import MembershipFactory, UserFactory

CAPTURED = "2024-05-01 10:15"  # the EXIF capture time of the world's photo


def _base(world) -> str:
    return f"/investigations/{world.investigation.reference}/cases/{world.casefile.reference}"


def _item_url(world, name: str) -> str:
    return f"{_base(world)}/items/{world.items[name].id}"


def _reads(user, kind: ReadKind, object_id: str) -> list[AccessRecord]:
    return list(
        db.session.scalars(
            select(AccessRecord).where(
                AccessRecord.user_id == user.id,
                AccessRecord.kind == kind,
                AccessRecord.object_id == object_id,
            )
        )
    )


def test_with_the_identity_grant_evidence_is_named_by_file_name_and_capture_time(built_case):
    world = built_case
    summaries = summaries_for(world.investigation, world.author, world.casefile.items)
    label = summaries[world.items["photo"].id].label
    assert f"{HIDDEN_NAME} entrance.jpg" in label
    assert CAPTURED in label
    assert world.photo.sha256[:12] not in label


def test_without_the_grant_evidence_is_named_by_kind_date_and_neutral_handle(built_case):
    world = built_case
    summaries = summaries_for(world.investigation, world.reviewer, world.casefile.items)
    label = summaries[world.items["photo"].id].label
    received = f"{world.photo.received_at:%Y-%m-%d}"
    assert label == f"Photo received {received}, evidence-{world.photo.id[:8]}"
    listed = [s.label for s in candidates(world.investigation, world.reviewer)]
    assert not [text for text in listed if "entrance" in text or CAPTURED in text]


def test_testimony_and_incidents_are_named_by_witness_code_place_and_date(built_case):
    world = built_case
    summaries = summaries_for(world.investigation, world.reviewer, world.casefile.items)
    testimony = summaries[world.items["interview"].id].label
    assert world.witness.code in testimony
    assert world.interview.conducted_on.isoformat() in testimony
    assert world.incident.place_name in summaries[world.items["incident"].id].label


def test_the_evidence_item_page_shows_its_thumbnail_and_links_to_its_source(built_case, signed_in):
    world = built_case
    client = signed_in(world.author)
    page = client.get(_item_url(world, "photo")).get_data(as_text=True)
    thumb = next(d for d in world.photo.derivatives if d.kind == DerivativeKind.THUMBNAIL)
    src = (
        f"/investigations/{world.investigation.reference}/evidence/{world.photo.id}"
        f"/derivatives/{thumb.id}"
    )
    assert f'src="{src}"' in page
    assert f'href="/investigations/{world.investigation.reference}/evidence/{world.photo.id}"' in (
        page
    )
    assert f"{HIDDEN_NAME} entrance.jpg" in page and CAPTURED in page
    # A file name is identity information: it stays out of the title, which browsers keep in
    # their history and tab lists, as the vault's own item page does.
    title = re.search(r"<title>(.*?)</title>", page, re.S).group(1)
    assert "entrance" not in title and HIDDEN_NAME not in title
    redact = client.get(f"{_item_url(world, 'photo')}/redact").get_data(as_text=True)
    assert "entrance" not in re.search(r"<title>(.*?)</title>", redact, re.S).group(1)
    image = client.get(src)
    assert image.status_code == 200 and image.mimetype.startswith("image/")
    assert len(_reads(world.author, ReadKind.EVIDENCE, world.photo.id)) == 1


def test_a_member_without_the_grant_sees_no_file_name_or_capture_time_on_any_case_page(
    built_case, signed_in
):
    world = built_case
    client = signed_in(world.reviewer)
    pages = [
        _base(world),
        f"{_base(world)}/matrix",
        *(_item_url(world, name) for name in world.items),
        f"/investigations/{world.investigation.reference}/cases/new",
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        text = response.get_data(as_text=True)
        assert "entrance.jpg" not in text, url
        assert CAPTURED not in text, url
    photo_page = client.get(_item_url(world, "photo")).get_data(as_text=True)
    assert f"evidence-{world.photo.id[:8]}" in photo_page


def test_a_reviewer_reads_testimony_in_the_case_file_and_the_read_is_recorded(
    built_case, signed_in
):
    world = built_case
    client = signed_in(world.reviewer)
    assert _reads(world.reviewer, ReadKind.TESTIMONY, world.interview.id) == []
    page = client.get(_item_url(world, "interview")).get_data(as_text=True)
    assert "I saw the second strike hit the entrance of the hospital." in page
    assert (
        f'href="/investigations/{world.investigation.reference}/interviews/{world.interview.id}"'
        in page
    )
    records = _reads(world.reviewer, ReadKind.TESTIMONY, world.interview.id)
    assert len(records) == 1 and records[0].label == world.witness.code


def test_a_member_who_may_not_see_the_testimony_gets_no_page_and_no_words(built_case, signed_in):
    """A lawyer account with field membership sees only its own submissions: not this one."""
    world = built_case
    outsider = UserFactory(role="lawyer")
    MembershipFactory(user=outsider, investigation=world.investigation, role="field")
    db.session.commit()
    response = signed_in(outsider).get(_item_url(world, "interview"))
    assert response.status_code == 404
    assert "second strike" not in response.get_data(as_text=True)
    assert _reads(outsider, ReadKind.TESTIMONY, world.interview.id) == []


def test_the_case_file_list_shows_thumbnails_of_what_the_viewer_may_see(built_case, signed_in):
    world = built_case
    page = signed_in(world.reviewer).get(_base(world)).get_data(as_text=True)
    assert re.search(rf'<img src="[^"]*/evidence/{world.photo.id}/derivatives/', page)


@pytest.mark.parametrize(
    ("text", "cut"),
    [("short", False), ("word " * EXCERPT_CHARS, True)],
)
def test_an_excerpt_is_the_text_or_its_start_cut_at_a_word(text, cut):
    content = ItemContent("intake.interview", {}, transcript=text)
    assert content.excerpt.endswith(" …") is cut
    assert len(content.excerpt) <= EXCERPT_CHARS + 2
