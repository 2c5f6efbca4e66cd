"""The reviewers' notice (issue 18, item 9): a lawyer's home page says which case files wait for
their approval; never one they wrote or sent for review, nor one of an investigation they are
not a member of, and nothing for anyone who cannot approve."""

from __future__ import annotations

from app.casefiles.services.workflow import awaiting_approval_by, transition
from app.extensions import db
from tests.helpers.factories import InvestigationFactory, MembershipFactory, UserFactory


def _send_for_review(world):
    transition(world.investigation, world.casefile, world.author, "in_review", "Ready.")
    db.session.commit()


def test_the_second_lawyer_sees_the_case_file_waiting_on_the_home_page(built_case, signed_in):
    world = built_case
    _send_for_review(world)
    page = signed_in(world.reviewer).get("/").get_data(as_text=True)
    assert 'id="awaiting-approval"' in page
    url = f"/investigations/{world.investigation.reference}/cases/{world.casefile.reference}"
    assert f'href="{url}"' in page and world.casefile.title in page


def test_the_author_and_others_who_cannot_approve_get_no_notice(built_case, signed_in):
    world = built_case
    _send_for_review(world)
    outsider = UserFactory(role="lawyer")
    MembershipFactory(user=outsider, investigation=InvestigationFactory())
    db.session.commit()
    for user in (world.author, world.field, outsider):
        assert awaiting_approval_by(user) == []
        page = signed_in(user).get("/").get_data(as_text=True)
        assert 'id="awaiting-approval"' not in page
        assert world.casefile.reference not in page


def test_a_draft_or_an_approved_file_waits_for_no_one(built_case):
    world = built_case
    assert awaiting_approval_by(world.reviewer) == []  # still a draft
    _send_for_review(world)
    assert [w.casefile.id for w in awaiting_approval_by(world.reviewer)] == [world.casefile.id]
    transition(
        world.investigation,
        world.casefile,
        world.reviewer,
        "approved",
        "Checked.",
        gaps_confirmed=True,
    )
    db.session.commit()
    assert awaiting_approval_by(world.reviewer) == []
