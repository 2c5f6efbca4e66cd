"""Admin pages: invite a user end to end, change roles, memberships, and the audit log."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.audit.models import AuditEvent
from app.auth.models import User
from app.extensions import db
from app.investigations.models import Membership
from tests.helpers.web import page_messages, post_form, sign_in


def admin_client(app, make_user):
    admin = make_user(role="admin")
    client = app.test_client()
    sign_in(client, admin)
    return admin, client


def test_admin_invites_a_user_who_sets_a_password_and_signs_in(app, make_user):
    _, client = admin_client(app, make_user)
    response = post_form(
        client,
        "/admin/users/new",
        {"email": "Newcomer@Example.org", "name": "Nour", "role": "field"},
        page="/admin/users/new",
    )
    assert response.status_code == 200
    link = re.search(
        r"(http://[^<\s]+/auth/set-password#[A-Za-z0-9_\-]+)", response.get_data(as_text=True)
    )
    assert link, "the page shows the one-time link"
    token = link.group(1).split("#", 1)[1]
    user = db.session.scalar(select(User).where(User.email == "newcomer@example.org"))
    assert user is not None and user.password_hash is None

    newcomer = app.test_client()
    password = "a long and private passphrase"
    data = {"token": token, "password": password, "confirm": password}
    assert (
        post_form(newcomer, "/auth/set-password", data, page="/auth/set-password").status_code
        == 302
    )
    sign_in(newcomer, user, password=password)
    assert newcomer.get("/").status_code == 200


def test_duplicate_email_is_refused_with_a_message(app, make_user):
    admin, client = admin_client(app, make_user)
    response = post_form(
        client,
        "/admin/users/new",
        {"email": admin.email, "name": "Again", "role": "field"},
        page="/admin/users/new",
    )
    assert response.status_code == 400
    assert any("already exists" in m for m in page_messages(response))


def test_role_change_is_audited_and_ends_the_users_sessions(app, make_user):
    admin, client = admin_client(app, make_user)
    field = make_user(role="field")
    field_client = app.test_client()
    sign_in(field_client, field)
    response = post_form(
        client, f"/admin/users/{field.id}/role", {"role": "lawyer"}, page="/admin/users"
    )
    assert response.status_code == 302
    db.session.refresh(field)
    assert field.role == "lawyer"
    assert field_client.get("/").status_code == 302
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.event == "user.role_changed"))
    assert event.details == {"from": "field", "to": "lawyer"} and event.actor_id == admin.id


def test_admin_cannot_demote_or_deactivate_themselves(app, make_user):
    admin, client = admin_client(app, make_user)
    post_form(client, f"/admin/users/{admin.id}/role", {"role": "field"}, page="/admin/users")
    post_form(client, f"/admin/users/{admin.id}/deactivate", page="/admin/users")
    db.session.refresh(admin)
    assert admin.role == "admin" and admin.active


def test_admin_sees_no_content_until_granting_themselves_membership(app, make_user, investigation):
    admin, client = admin_client(app, make_user)
    overview = f"/investigations/{investigation.reference}"
    assert client.get(overview).status_code == 404
    response = post_form(
        client,
        f"/admin/investigations/{investigation.reference}/members",
        {"email": admin.email, "role": "lead"},
        page="/admin/users",
    )
    assert response.status_code == 302
    assert client.get(overview).status_code == 200
    grant = db.session.scalar(select(AuditEvent).where(AuditEvent.event == "membership.granted"))
    assert grant.actor_id == admin.id and grant.details["self_grant"] is True


def test_membership_change_and_revoke_are_audited(app, make_user, investigation, member):
    _, client = admin_client(app, make_user)
    field = make_user(role="field")
    membership = member(field, investigation)
    membership_id = membership.id
    base = f"/admin/investigations/{investigation.reference}/members/{membership_id}"
    post_form(client, base, {"role": "field", "may_see_identities": "y"}, page="/admin/users")
    db.session.refresh(membership)
    assert membership.may_see_identities is True
    post_form(client, base + "/revoke", page="/admin/users")
    db.session.expire_all()
    assert db.session.scalar(select(Membership).where(Membership.id == membership_id)) is None
    names = [e.event for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert "membership.changed" in names and "membership.revoked" in names


def test_audit_log_page_filters_by_event(app, make_user):
    _, client = admin_client(app, make_user)
    victim = make_user()
    post_form(
        app.test_client(), "/auth/login", {"email": victim.email, "password": "wrong-password-1"}
    )
    page = client.get("/admin/audit?event=login.failure").get_data(as_text=True)
    assert "<td>Sign-in refused</td>" in page and victim.email in page
    assert "<td>Signed in</td>" not in page
    everything = client.get("/admin/audit").get_data(as_text=True)
    assert "<td>Signed in</td>" in everything


def test_audit_filter_with_a_bad_date_is_a_clear_400(app, make_user):
    _, client = admin_client(app, make_user)
    response = client.get("/admin/audit?since=yesterday")
    assert response.status_code == 400
    assert page_messages(response)


def test_a_role_not_offered_gives_the_accounts_page_back_and_changes_nothing(app, make_user):
    """Issue 18, item 1: not a bare error page; the account's page, its role form in error."""
    _, client = admin_client(app, make_user)
    field = make_user(role="field")
    response = post_form(
        client, f"/admin/users/{field.id}/role", {"role": "owner"}, page="/admin/users"
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert f'action="/admin/users/{field.id}/role"' in page
    assert 'aria-invalid="true"' in page and 'id="role-error"' in page
    db.session.refresh(field)
    assert field.role == "field"
    changed = select(AuditEvent).where(AuditEvent.event == "user.role_changed")
    assert db.session.scalar(changed) is None


def test_a_membership_role_not_offered_is_said_on_the_members_page(
    app, make_user, investigation, member
):
    _, client = admin_client(app, make_user)
    field = make_user(role="field")
    membership = member(field, investigation)
    members = f"/admin/investigations/{investigation.reference}/members"
    response = post_form(
        client, f"{members}/{membership.id}", {"role": "owner"}, page="/admin/users"
    )
    assert response.status_code == 303 and response.headers["Location"].endswith(members)
    assert any(field.email in m for m in page_messages(client.get(members)))
    db.session.refresh(membership)
    assert membership.role == "field" and membership.may_see_identities is False
