"""On an intake-only node a draft stays in the browser form alone: the server keeps none,
shows none, and the form still saves (drafts.service.DraftsStayInBrowser)."""

from __future__ import annotations

import sqlalchemy as sa

from app.drafts.models import Draft
from app.extensions import db
from tests.drafts.test_drafts import TRANSCRIPT, keep, kept_in_page


def drafts_stored() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Draft))


def test_the_intake_node_keeps_no_draft_and_says_so(world, nodes, client_for):
    nodes.intake()
    answer = keep(
        client_for(world.field_a), world.url("/interviews/new"), {"transcript": TRANSCRIPT}
    )
    assert answer.status_code == 409
    assert answer.json["error"]["code"] == "drafts_in_browser_only"
    assert drafts_stored() == 0


def test_the_intake_node_form_carries_no_draft_keeping(world, nodes, client_for):
    nodes.intake()
    page = client_for(world.field_a).get(world.url("/interviews/new")).get_data(as_text=True)
    assert "data-draft-url" not in page


def test_a_draft_kept_on_the_reading_node_is_not_shown_by_an_intake_node(world, nodes, client_for):
    client = client_for(world.field_a)
    new = world.url("/interviews/new")
    assert keep(client, new, {"transcript": TRANSCRIPT}).status_code == 200
    nodes.intake()
    assert kept_in_page(client, new) is None
    assert TRANSCRIPT not in client.get(new).get_data(as_text=True)
