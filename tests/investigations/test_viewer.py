"""The one investigation viewer: members get their standing, everyone else 404; reviewers see
every submission, field staff only their own; no row of another investigation ever."""

from __future__ import annotations

import pytest
from flask_login import login_user
from sqlalchemy import select
from werkzeug.exceptions import NotFound

from app.extensions import db
from app.intake.models import Incident, Witness
from app.investigations.models import InvestigationStatus, Membership
from app.investigations.viewer import viewer_for, viewer_of
from app.vault.models import EvidenceItem, visible_evidence
from tests.helpers.factories import InvestigationFactory, MembershipFactory, UserFactory
from tests.intake.builders import evidence_row, make_incident, make_witness


@pytest.fixture
def as_user(app):
    """as_user(user) -> a request context in which `user` is signed in (current_user)."""

    def _as_user(user):
        context = app.test_request_context()
        context.push()
        login_user(user)
        return context

    contexts = []
    yield lambda user: contexts.append(_as_user(user))
    for context in reversed(contexts):
        context.pop()


def test_a_member_gets_the_investigation_and_their_membership(world, as_user):
    as_user(world.field_a)
    viewer = viewer_for(world.ref)
    assert viewer.investigation.id == world.investigation.id
    assert viewer.membership.user_id == world.field_a.id
    assert viewer.user.id == world.field_a.id


def test_a_member_of_another_investigation_gets_404(world, as_user):
    as_user(world.outsider)
    with pytest.raises(NotFound):
        viewer_for(world.ref)


def test_an_unknown_reference_gets_the_same_404_as_a_foreign_one(world, as_user):
    as_user(world.field_a)
    with pytest.raises(NotFound):
        viewer_for("INV-0000-NONE-00")


def test_a_revoked_membership_gets_404(world, as_user):
    membership = db.session.scalar(select(Membership).where(Membership.user_id == world.field_a.id))
    db.session.delete(membership)
    db.session.commit()
    as_user(world.field_a)
    with pytest.raises(NotFound):
        viewer_for(world.ref)


@pytest.mark.parametrize("status", [InvestigationStatus.CLOSED, InvestigationStatus.ARCHIVED])
def test_a_closed_or_archived_investigation_stays_readable_by_its_members(world, as_user, status):
    # Closing is bookkeeping, not an access rule: the record must stay reviewable for trial.
    world.investigation.status = status.value
    db.session.commit()
    as_user(world.lawyer)
    assert viewer_for(world.ref).investigation.status == status.value


def test_viewer_of_refuses_a_non_member_with_404(world):
    with pytest.raises(NotFound):
        viewer_of(world.investigation, world.outsider)


@pytest.mark.parametrize(
    ("account_role", "member_role", "sees_all"),
    [
        ("field", "field", False),
        ("lawyer", "lawyer", True),
        ("lawyer", "lead", True),
        ("lawyer", "field", False),  # a reviewer account given the field member role
        ("field", "lawyer", False),  # a mistaken grant does not open a field account
        ("field", "lead", False),
    ],
)
def test_only_reviewer_members_on_non_field_accounts_see_everyones_submissions(
    app_ctx, account_role, member_role, sees_all
):
    investigation = InvestigationFactory()
    user = UserFactory(role=account_role)
    MembershipFactory(user=user, investigation=investigation, role=member_role)
    assert viewer_of(investigation, user).sees_all is sees_all


def test_identities_follow_the_membership_flag_only(world):
    assert viewer_of(world.investigation, world.lawyer).may_see_identities is False
    assert viewer_of(world.investigation, world.lawyer_identities).may_see_identities is True


def test_nobody_is_the_author_of_a_row_without_an_author(world):
    viewer = viewer_of(world.investigation, world.field_a)
    assert viewer.is_author(world.field_a.id)
    assert not viewer.is_author(world.field_b.id)
    assert not viewer.is_author(None)


def _codes(viewer) -> set[str]:
    stmt = viewer.scope(select(Witness), Witness, submitted_by=Witness.created_by_id)
    return {witness.code for witness in db.session.scalars(stmt)}


def test_scope_gives_field_staff_their_own_submissions_and_reviewers_all(world):
    mine = make_witness(world.investigation, world.field_a)
    theirs = make_witness(world.investigation, world.field_b)
    assert _codes(viewer_of(world.investigation, world.field_a)) == {mine.code}
    assert _codes(viewer_of(world.investigation, world.lawyer)) == {mine.code, theirs.code}


def test_scope_without_a_submitter_column_gives_every_member_every_row(world):
    make_incident(world.investigation, world.field_b)
    viewer = viewer_of(world.investigation, world.field_a)
    assert len(db.session.scalars(viewer.scope(select(Incident), Incident)).all()) == 1


def test_scope_never_reaches_another_investigation_even_for_a_member_of_both(world):
    other = InvestigationFactory()
    MembershipFactory(user=world.lawyer, investigation=other, role="lawyer")
    here = make_witness(world.investigation, world.field_a)
    MembershipFactory(user=world.field_a, investigation=other)
    make_witness(other, world.field_a)
    assert _codes(viewer_of(world.investigation, world.lawyer)) == {here.code}


def test_evidence_follows_the_same_rule_through_the_uploader(world):
    mine = evidence_row(world.investigation, world.field_a)
    theirs = evidence_row(world.investigation, world.field_b)
    evidence_row(InvestigationFactory(), world.field_a)  # another investigation's upload

    def ids(user) -> set[str]:
        stmt = visible_evidence(select(EvidenceItem), viewer_of(world.investigation, user))
        return {item.id for item in db.session.scalars(stmt)}

    assert ids(world.field_a) == {mine.id}
    assert ids(world.lawyer) == {mine.id, theirs.id}
