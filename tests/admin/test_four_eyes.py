"""Four eyes for power (issue 15, deliverable 6): an administrator granting themselves identity
access, re-inviting an account in use, or resetting a lawyer's or administrator's second factor
makes a request that a second administrator approves. The request is shown to every
administrator, expires after a day, and its requester cannot approve it; an organisation with
one administrator does it from the command line, which records that one person acted."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.admin.approvals.models import ApprovalRequest
from app.audit.models import AuditEvent
from app.auth.models import SetPasswordToken, User
from app.extensions import db
from app.investigations.models import Membership
from tests.helpers.web import page_messages, post_form, sign_in

LINK = re.compile(r"/auth/set-password#[A-Za-z0-9_\-]+")


@pytest.fixture
def admins(app, make_user):
    """Two administrators, each signed in in their own browser."""
    first, second = make_user(role="admin"), make_user(role="admin")
    clients = []
    for admin in (first, second):
        client = app.test_client()
        sign_in(client, admin)
        clients.append(client)
    return (first, clients[0]), (second, clients[1])


def pending() -> list[ApprovalRequest]:
    db.session.expire_all()
    return list(
        db.session.scalars(select(ApprovalRequest).where(ApprovalRequest.outcome.is_(None)))
    )


def events(name: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.event == name)))


def approve(client, request: ApprovalRequest):
    return post_form(client, f"/admin/approvals/{request.id}/approve", page="/admin/approvals")


def self_grant(client, admin, investigation):
    return post_form(
        client,
        f"/admin/investigations/{investigation.reference}/members",
        {"email": admin.email, "role": "lead", "may_see_identities": "y"},
        page=f"/admin/investigations/{investigation.reference}/members",
    )


def identities_of(user, investigation) -> bool | None:
    db.session.expire_all()
    membership = db.session.scalar(
        select(Membership).where(
            Membership.user_id == user.id, Membership.investigation_id == investigation.id
        )
    )
    return None if membership is None else membership.may_see_identities


# --- Granting oneself identity access -----------------------------------------------------------


def test_granting_oneself_identity_access_waits_for_a_second_admin(admins, investigation):
    (first, first_client), (second, second_client) = admins
    response = self_grant(first_client, first, investigation)
    assert response.status_code in (200, 302, 400)
    assert identities_of(first, investigation) is None  # nothing granted yet
    (request,) = pending()
    assert request.kind == "identity_self_grant" and request.requested_by_id == first.id
    assert first.email in second_client.get("/admin/approvals").get_data(as_text=True)
    assert "Approvals (1)" in second_client.get("/admin/users").get_data(as_text=True)

    assert approve(second_client, request).status_code == 302
    assert identities_of(first, investigation) is True
    assert pending() == []
    approved = events("approval.approved")[0]
    assert approved.actor_id == second.id
    assert approved.details["requested_by"] == first.email


def test_raising_ones_own_membership_to_identities_waits_too(admins, investigation, member):
    (first, first_client), (_, second_client) = admins
    mine = member(first, investigation, may_see_identities=False)
    post_form(
        first_client,
        f"/admin/investigations/{investigation.reference}/members/{mine.id}",
        {"role": mine.role, "may_see_identities": "y"},
        page=f"/admin/investigations/{investigation.reference}/members",
    )
    assert identities_of(first, investigation) is False
    (request,) = pending()
    approve(second_client, request)
    assert identities_of(first, investigation) is True


def test_granting_someone_else_identity_access_needs_no_second_admin(
    admins, investigation, make_user
):
    (_, first_client), _ = admins
    lawyer = make_user(role="lawyer")
    post_form(
        first_client,
        f"/admin/investigations/{investigation.reference}/members",
        {"email": lawyer.email, "role": "lawyer", "may_see_identities": "y"},
        page=f"/admin/investigations/{investigation.reference}/members",
    )
    assert identities_of(lawyer, investigation) is True
    assert pending() == []


# --- The rules of a request ------------------------------------------------------------------


def test_the_requester_cannot_approve_their_own_request(admins, investigation):
    (first, first_client), _ = admins
    self_grant(first_client, first, investigation)
    (request,) = pending()
    refused = approve(first_client, request)
    assert refused.status_code in (302, 403)
    assert identities_of(first, investigation) is None
    assert len(pending()) == 1
    page = first_client.get("/admin/approvals").get_data(as_text=True)
    assert f"/admin/approvals/{request.id}/approve" not in page


def test_a_request_expires_after_a_day(admins, investigation):
    (first, first_client), (_, second_client) = admins
    self_grant(first_client, first, investigation)
    (request,) = pending()
    assert request.expires_at - request.created_at == timedelta(days=1)
    request.expires_at = request.created_at - timedelta(seconds=1)
    db.session.commit()
    assert first.email not in second_client.get("/admin/approvals").get_data(as_text=True)
    approve(second_client, request)
    assert identities_of(first, investigation) is None


def test_a_request_can_be_refused_by_another_admin(admins, investigation):
    (first, first_client), (_, second_client) = admins
    self_grant(first_client, first, investigation)
    (request,) = pending()
    post_form(second_client, f"/admin/approvals/{request.id}/refuse", page="/admin/approvals")
    assert pending() == []
    approve(second_client, request)
    assert identities_of(first, investigation) is None
    assert events("approval.refused")


# --- Taking over accounts -------------------------------------------------------------------------


def test_resetting_a_lawyers_second_factor_waits_for_a_second_admin(admins, make_user):
    (_, first_client), (_, second_client) = admins
    lawyer = make_user(role="lawyer")
    post_form(first_client, f"/admin/users/{lawyer.id}/reset-2fa", page="/admin/users")
    db.session.refresh(lawyer)
    assert lawyer.has_2fa
    (request,) = pending()
    assert request.kind == "reset_second_factor"
    approve(second_client, request)
    db.session.refresh(lawyer)
    assert not lawyer.has_2fa


def test_resetting_a_field_workers_second_factor_is_direct(admins, make_user):
    (_, first_client), _ = admins
    worker = make_user(role="field", with_2fa=True)
    post_form(first_client, f"/admin/users/{worker.id}/reset-2fa", page="/admin/users")
    db.session.refresh(worker)
    assert not worker.has_2fa
    assert pending() == []


def link_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(SetPasswordToken))


def test_reinviting_an_account_in_use_waits_and_the_link_goes_to_the_approver(admins, make_user):
    (_, first_client), (_, second_client) = admins
    lawyer = make_user(role="lawyer")
    asked = post_form(first_client, f"/admin/users/{lawyer.id}/invite", page="/admin/users")
    assert not LINK.search(asked.get_data(as_text=True))
    assert link_count() == 0
    (request,) = pending()
    approved = approve(second_client, request)
    assert approved.status_code == 200
    assert LINK.search(approved.get_data(as_text=True))
    assert link_count() == 1


def test_reinviting_an_account_that_never_set_a_password_is_direct(admins, make_user):
    (_, first_client), _ = admins
    invited = make_user(role="field", password_hash=None)
    response = post_form(first_client, f"/admin/users/{invited.id}/invite", page="/admin/users")
    assert LINK.search(response.get_data(as_text=True))
    assert pending() == []


def test_an_admin_alone_is_told_to_use_the_command_line(app, make_user, investigation):
    admin = make_user(role="admin")
    client = app.test_client()
    sign_in(client, admin)
    response = self_grant(client, admin, investigation)
    follow = client.get("/admin/approvals") if response.status_code == 302 else response
    messages = " ".join(page_messages(response) + page_messages(follow))
    assert "second administrator" in messages
    assert "flask" in client.get("/admin/approvals").get_data(as_text=True)


# --- One administrator: the command line ---------------------------------------------------


def run(app, args):
    return app.test_cli_runner().invoke(args=args)


def test_the_command_line_resets_a_second_factor_and_records_one_person_acted(app, app_ctx):
    from tests.helpers.factories import UserFactory

    lawyer = UserFactory(role="lawyer")
    result = run(app, ["users", "reset-2fa", lawyer.email])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert not db.session.get(User, lawyer.id).has_2fa
    (sole,) = events("approval.sole_actor")
    assert sole.details["action"] == "reset_second_factor"
    assert sole.details["via"] == "cli"


def test_the_command_line_reinvites_and_grants_identities_recording_one_person(
    app, app_ctx, investigation
):
    from tests.helpers.factories import UserFactory

    admin = UserFactory(role="admin")
    result = run(app, ["users", "reinvite", admin.email])
    assert result.exit_code == 0, result.output
    assert LINK.search(result.output)
    granted = run(
        app,
        [
            "investigations",
            "add-member",
            investigation.reference,
            admin.email,
            "--may-see-identities",
        ],
    )
    assert granted.exit_code == 0, granted.output
    assert identities_of(admin, investigation) is True
    actions = sorted(event.details["action"] for event in events("approval.sole_actor"))
    assert actions == ["identity_grant", "reinvite"]
