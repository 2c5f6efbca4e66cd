"""Draft -> in review -> approved, by a second lawyer only, every step with a comment."""

from __future__ import annotations

import pytest

from app.casefiles.models import CaseStatus, Transition
from app.extensions import db
from tests.helpers.factories import MembershipFactory, UserFactory
from tests.helpers.web import post_form


def url(w, suffix=""):
    return f"/investigations/{w.investigation.reference}/cases/{w.casefile.reference}{suffix}"


def move(client, w, to_status: str, comment: str = "Reviewed the matrix.", gaps_seen=True):
    """Post a status change; an approval ticks the gaps confirmation unless `gaps_seen` is False
    (the built case file has elements that nothing supports)."""
    data = {"to_status": to_status, "comment": comment}
    if to_status == "approved" and gaps_seen:
        data["confirm_unsupported"] = "y"
    return post_form(client, url(w, "/transition"), data, page=url(w))


def status_of(w) -> str:
    db.session.expire_all()
    db.session.refresh(w.casefile)
    return w.casefile.status


def test_the_author_cannot_approve_their_own_case_file_even_with_a_crafted_post(
    built_case, signed_in
):
    w = built_case
    author = signed_in(w.author)
    assert move(author, w, "in_review").status_code == 302
    response = move(author, w, "approved")
    assert response.status_code == 403
    assert "author" in response.get_data(as_text=True)
    assert status_of(w) == CaseStatus.IN_REVIEW.value
    # Extra fields naming someone else as the actor change nothing.
    token_page = url(w)
    response = post_form(
        author,
        url(w, "/transition"),
        {
            "to_status": "approved",
            "comment": "ok",
            "actor_id": w.reviewer.id,
            "user_id": w.reviewer.id,
        },
        page=token_page,
    )
    assert response.status_code == 403
    assert status_of(w) == CaseStatus.IN_REVIEW.value
    # Skipping review (draft -> approved) is not a transition either.
    assert move(author, w, "draft", "More work").status_code == 302
    assert move(author, w, "approved").status_code in (403, 409)
    assert status_of(w) == CaseStatus.DRAFT.value


def test_the_lawyer_who_sent_it_for_review_cannot_approve_it(built_case, signed_in):
    w = built_case
    reviewer = signed_in(w.reviewer)
    assert move(reviewer, w, "in_review").status_code == 302
    assert move(reviewer, w, "approved").status_code == 403
    assert status_of(w) == CaseStatus.IN_REVIEW.value


def test_a_second_lawyer_approves_and_every_step_is_recorded_with_its_comment(
    built_case, signed_in
):
    w = built_case
    assert move(signed_in(w.author), w, "in_review", "Ready for review").status_code == 302
    assert move(signed_in(w.reviewer), w, "approved", "Elements 1-3 hold").status_code == 302
    assert status_of(w) == CaseStatus.APPROVED.value
    assert w.casefile.approved_by_id == w.reviewer.id
    steps = db.session.query(Transition).order_by(Transition.at).all()
    assert [(s.from_status, s.to_status, s.actor_id, s.comment) for s in steps] == [
        ("draft", "in_review", w.author.id, "Ready for review"),
        ("in_review", "approved", w.reviewer.id, "Elements 1-3 hold"),
    ]


def test_a_transition_without_a_comment_is_refused(built_case, signed_in):
    w = built_case
    response = move(signed_in(w.author), w, "in_review", "")
    assert response.status_code == 400
    assert status_of(w) == CaseStatus.DRAFT.value


def test_content_is_frozen_outside_draft(built_case, signed_in):
    w = built_case
    author = signed_in(w.author)
    move(author, w, "in_review")
    item = w.items["photo"]
    response = post_form(
        author,
        url(w, f"/items/{item.id}/assessments"),
        {"reliability": "A", "credibility": "1", "rationale": "late change"},
        page=url(w),
    )
    assert response.status_code == 409


@pytest.mark.parametrize("role", ["field", "admin"])
def test_non_lawyers_cannot_move_a_case_file(built_case, signed_in, role):
    w = built_case
    user = UserFactory(role=role)
    MembershipFactory(user=user, investigation=w.investigation)
    response = post_form(
        signed_in(user), url(w, "/transition"), {"to_status": "in_review", "comment": "x"}
    )
    assert response.status_code == 403
    assert status_of(w) == CaseStatus.DRAFT.value


def test_a_lawyer_outside_the_investigation_gets_404(built_case, signed_in):
    w = built_case
    outsider = UserFactory(role="lawyer")
    response = post_form(
        signed_in(outsider), url(w, "/transition"), {"to_status": "in_review", "comment": "x"}
    )
    assert response.status_code == 404
    assert status_of(w) == CaseStatus.DRAFT.value


def test_the_service_refuses_self_approval_whatever_the_caller(built_case):
    from app.casefiles.services.errors import CaseFileForbidden
    from app.casefiles.services.workflow import transition

    w = built_case
    transition(w.investigation, w.casefile, w.reviewer, "in_review", "go")
    db.session.commit()
    with pytest.raises(CaseFileForbidden):
        transition(w.investigation, w.casefile, w.author, "approved", "mine")
    db.session.rollback()
    assert status_of(w) == CaseStatus.IN_REVIEW.value


def test_approving_a_file_with_unsupported_elements_lists_them_and_needs_a_second_confirmation(
    built_case, signed_in
):
    w = built_case
    assert move(signed_in(w.author), w, "in_review").status_code == 302
    reviewer = signed_in(w.reviewer)
    page = reviewer.get(url(w)).get_data(as_text=True)
    assert 'id="unsupported-elements"' in page and "have no supporting evidence" in page
    response = move(reviewer, w, "approved", "Looks fine", gaps_seen=False)
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "elements have no supporting evidence" in body and "Tick the confirmation" in body
    assert status_of(w) == CaseStatus.IN_REVIEW.value
    assert move(reviewer, w, "approved", "Gaps known, approved").status_code == 302
    assert status_of(w) == CaseStatus.APPROVED.value
