"""Credentials that end (issue 15, deliverable 5): making an API token and making new recovery
codes ask for the password (and a TOTP code where one is enrolled) again; tokens expire by
default; a password change, signing out everywhere, deactivation and a second-factor reset
revoke the account's tokens for good (a reactivated account does not get them back)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.api.tokens.models import ApiToken
from app.audit.models import AuditEvent
from app.auth.services import accounts
from app.auth.services.enrollment import reset_second_factor
from app.auth.services.login import replace_recovery_codes
from app.extensions import db
from app.timeutil import utcnow
from tests.api.helpers import ApiClient, issue_token
from tests.api.test_tokens import SECRET_RE
from tests.helpers.factories import DEFAULT_PASSWORD, UserFactory
from tests.helpers.web import next_totp_code, page_messages, post_form, sign_in

NEW_TOKEN = "/auth/settings/tokens/new"


def token_count() -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken))


def make_token(client, user, password=DEFAULT_PASSWORD, code: str | None = None, **extra):
    data = {"name": "Phone", "scope": "read", "current": password, **extra}
    if code is None and user.has_2fa:
        db.session.refresh(user)
        code = next_totp_code(user)
    if code is not None:
        data["code"] = code
    return post_form(client, NEW_TOKEN, data, page=NEW_TOKEN)


# --- Asking again ------------------------------------------------------------------------------


def test_a_token_needs_the_password_typed_again(world, signed_in):
    """A session left open on a shared phone must not be enough to mint a lasting credential."""
    client = signed_in(world.field_a)
    for password in ("", "not the password at all"):
        refused = make_token(client, world.field_a, password=password)
        assert refused.status_code == 400
        assert not SECRET_RE.search(refused.get_data(as_text=True))
    assert token_count() == 0
    wrong_tries = sa.select(sa.func.count()).where(AuditEvent.event == "reauth.failure")
    assert db.session.scalar(wrong_tries) == 1  # the empty one never reached the check
    made = make_token(client, world.field_a)
    assert made.status_code == 200 and SECRET_RE.search(made.get_data(as_text=True))


def test_a_token_needs_a_fresh_totp_code_where_one_is_enrolled(world, signed_in):
    lawyer = world.lawyer
    client = signed_in(lawyer)
    for code in ("", "000000"):
        refused = make_token(client, lawyer, code=code)
        assert refused.status_code == 400
        assert any("code" in message for message in page_messages(refused))
    assert token_count() == 0
    assert make_token(client, lawyer).status_code == 200
    assert token_count() == 1


def test_new_recovery_codes_need_the_password_and_a_totp_code(app, make_user, client):
    lawyer = make_user(role="lawyer")
    old = replace_recovery_codes(lawyer)
    db.session.commit()
    sign_in(client, lawyer)
    without = post_form(client, "/auth/2fa/recovery-codes", page="/auth/settings")
    wrong = post_form(
        client,
        "/auth/2fa/recovery-codes",
        {"current": "not the password at all", "code": "000000"},
        page="/auth/settings",
    )
    for refused in (without, wrong):
        assert refused.status_code in (303, 400)
        assert old[0] not in refused.get_data(as_text=True)
    db.session.expire_all()
    assert len(lawyer.recovery_codes) == len(old)  # the old codes still stand
    db.session.refresh(lawyer)
    made = post_form(
        client,
        "/auth/2fa/recovery-codes",
        {"current": DEFAULT_PASSWORD, "code": next_totp_code(lawyer)},
        page="/auth/settings",
    )
    assert made.status_code == 200
    assert "recovery" in made.get_data(as_text=True).lower()
    assert not any(code in made.get_data(as_text=True) for code in old)


# --- Expiry --------------------------------------------------------------------------------------


def test_a_token_made_without_a_date_expires_after_the_configured_days(world, signed_in, app):
    assert app.config["CUSTOS_API_TOKEN_MAX_DAYS"] == 90
    made = make_token(signed_in(world.field_a), world.field_a)
    assert made.status_code == 200
    db.session.expire_all()
    token = db.session.scalar(sa.select(ApiToken))
    assert token.expires_at is not None
    assert timedelta(days=89) < token.expires_at - utcnow() <= timedelta(days=90)


def test_a_token_cannot_be_made_to_outlive_the_maximum(world, signed_in, app):
    later = (utcnow() + timedelta(days=91)).date().isoformat()
    refused = make_token(signed_in(world.field_a), world.field_a, expires_on=later)
    assert refused.status_code == 400
    assert any("90 days" in message for message in page_messages(refused))
    assert token_count() == 0


def test_an_administrator_sets_the_lifetime(world, signed_in, app):
    app.config["CUSTOS_API_TOKEN_MAX_DAYS"] = 7
    try:
        assert make_token(signed_in(world.field_a), world.field_a).status_code == 200
    finally:
        app.config["CUSTOS_API_TOKEN_MAX_DAYS"] = 90
    db.session.expire_all()
    token = db.session.scalar(sa.select(ApiToken))
    assert token.expires_at - utcnow() <= timedelta(days=7)


# --- Ending ------------------------------------------------------------------------------------


def assert_revoked_for_good(secret: str, app) -> None:
    assert ApiClient(app.test_client(), secret).get("/me").status_code == 401
    db.session.expire_all()
    token = db.session.scalar(sa.select(ApiToken))
    assert token.revoked_at is not None


def test_a_password_change_revokes_the_tokens(world, signed_in):
    secret = issue_token(world.field_a)
    client = signed_in(world.field_a)
    new = "a brand new passphrase here"
    changed = post_form(
        client,
        "/auth/settings/password",
        {"current": DEFAULT_PASSWORD, "password": new, "confirm": new},
        page="/auth/settings",
    )
    assert changed.status_code == 302
    assert_revoked_for_good(secret, world.app)


def test_signing_out_every_other_session_revokes_the_tokens(world, signed_in):
    secret = issue_token(world.field_a)
    client = signed_in(world.field_a)
    ended = post_form(
        client,
        "/auth/settings/sessions/end",
        {"current": DEFAULT_PASSWORD, "session": "others"},
        page="/auth/settings",
    )
    assert ended.status_code == 303
    assert_revoked_for_good(secret, world.app)


def test_an_administrator_signing_a_user_out_everywhere_revokes_the_tokens(world, signed_in):
    secret = issue_token(world.field_a)
    admin = UserFactory(role="admin")
    done = post_form(
        signed_in(admin), f"/admin/users/{world.field_a.id}/sign-out", page="/admin/users"
    )
    assert done.status_code == 302
    assert_revoked_for_good(secret, world.app)


def test_a_deactivated_then_reactivated_account_does_not_get_its_tokens_back(world):
    secret = issue_token(world.field_a)
    admin = UserFactory(role="admin")
    accounts.deactivate(world.field_a, actor=admin)
    db.session.commit()
    accounts.reactivate(world.field_a, actor=admin)
    db.session.commit()
    assert_revoked_for_good(secret, world.app)


def test_a_second_factor_reset_revokes_the_tokens_even_after_enrolling_again(world):
    lawyer = world.lawyer
    secret = issue_token(lawyer)
    admin = UserFactory(role="admin")
    reset_second_factor(lawyer, actor=admin)
    db.session.commit()
    lawyer.totp_secret = "JBSWY3DPEHPK3PXP"  # enrolled again
    lawyer.totp_enabled_at = utcnow()
    db.session.commit()
    assert_revoked_for_good(secret, world.app)


@pytest.mark.parametrize("how", ["password", "deactivation"])
def test_ending_tokens_is_audited_with_its_reason(world, how):
    issue_token(world.field_a)
    admin = UserFactory(role="admin")
    if how == "password":
        accounts.set_password(world.field_a, "a brand new passphrase here", actor=world.field_a)
    else:
        accounts.deactivate(world.field_a, actor=admin)
    db.session.commit()
    events = list(
        db.session.scalars(sa.select(AuditEvent).where(AuditEvent.event == "api_token.revoked"))
    )
    assert len(events) == 1
    assert events[0].details["reason"] == how
