"""TOTP second factor: mandatory enrollment, replay refusal, single-use recovery codes, reset."""

from __future__ import annotations

import re

import pyotp
from sqlalchemy import select

from app.admin.approvals.models import ApprovalRequest
from app.extensions import db
from tests.helpers.factories import DEFAULT_PASSWORD
from tests.helpers.web import csrf_token, next_totp_code, post_form, sign_in


def enroll(client, user) -> list[str]:
    page = client.get("/auth/2fa/enroll").get_data(as_text=True)
    secret = re.search(r"<code[^>]*>([A-Z2-7]{32})</code>", page).group(1)
    response = post_form(
        client, "/auth/2fa/enroll", {"code": pyotp.TOTP(secret).now()}, page="/auth/2fa/enroll"
    )
    assert response.status_code == 200
    return re.findall(
        r"<code>([0-9a-f]{5}(?:-[0-9a-f]{5}){3})</code>", response.get_data(as_text=True)
    )


def test_lawyer_without_2fa_reaches_nothing_but_enrollment(make_user, client):
    lawyer = make_user(role="lawyer", with_2fa=False)
    sign_in(client, lawyer)
    for path in ["/", "/investigations/", "/auth/settings"]:
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].endswith("/auth/2fa/enroll")
    assert client.get("/auth/2fa/enroll").status_code == 200
    assert client.get("/auth/2fa/qr.svg").mimetype == "image/svg+xml"


def test_the_enrollment_qr_code_is_a_standalone_svg_with_its_size(make_user, client):
    """Served as an <img>, an SVG without the SVG namespace renders as nothing at all."""
    from xml.etree import ElementTree

    lawyer = make_user(role="lawyer", with_2fa=False)
    sign_in(client, lawyer)
    client.get("/auth/2fa/enroll")
    root = ElementTree.fromstring(client.get("/auth/2fa/qr.svg").get_data())  # noqa: S314 (ours)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert int(root.get("width")) >= 100 and int(root.get("height")) >= 100


def test_enrollment_unlocks_the_app_and_shows_ten_recovery_codes(make_user, client):
    admin = make_user(role="admin", with_2fa=False)
    sign_in(client, admin)
    codes = enroll(client, admin)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get("/").status_code == 200
    db.session.refresh(admin)
    assert admin.has_2fa


def test_wrong_enrollment_code_is_refused(make_user, client):
    lawyer = make_user(role="lawyer", with_2fa=False)
    sign_in(client, lawyer)
    response = post_form(client, "/auth/2fa/enroll", {"code": "000000"}, page="/auth/2fa/enroll")
    assert response.status_code == 400
    assert "not correct" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_sign_in_with_2fa_needs_the_code(make_user, client):
    lawyer = make_user(role="lawyer")
    response = post_form(
        client, "/auth/login", {"email": lawyer.email, "password": DEFAULT_PASSWORD}
    )
    assert response.headers["Location"].startswith("/auth/2fa")
    assert client.get("/").status_code == 302  # not signed in yet
    wrong = post_form(client, "/auth/2fa", {"code": "123456"}, page="/auth/2fa")
    assert wrong.status_code == 401
    ok = post_form(client, "/auth/2fa", {"code": next_totp_code(lawyer)}, page="/auth/2fa")
    assert ok.status_code == 302
    assert client.get("/").status_code == 200


def test_a_used_totp_code_cannot_be_replayed(app, make_user):
    lawyer = make_user(role="lawyer")
    first = app.test_client()
    post_form(first, "/auth/login", {"email": lawyer.email, "password": DEFAULT_PASSWORD})
    code = next_totp_code(lawyer)
    assert post_form(first, "/auth/2fa", {"code": code}, page="/auth/2fa").status_code == 302
    second = app.test_client()
    post_form(second, "/auth/login", {"email": lawyer.email, "password": DEFAULT_PASSWORD})
    assert post_form(second, "/auth/2fa", {"code": code}, page="/auth/2fa").status_code == 401


def test_recovery_codes_are_single_use(app, make_user, client):
    admin = make_user(role="admin", with_2fa=False)
    sign_in(client, admin)
    codes = enroll(client, admin)
    post_form(client, "/auth/logout")

    def sign_in_with(code):
        c = app.test_client()
        post_form(c, "/auth/login", {"email": admin.email, "password": DEFAULT_PASSWORD})
        return post_form(c, "/auth/2fa", {"code": code}, page="/auth/2fa").status_code

    assert sign_in_with(codes[0]) == 302
    assert sign_in_with(codes[0]) == 401
    assert sign_in_with(codes[1].upper().replace("-", " ")) == 302


def test_admin_reset_forces_re_enrollment_and_ends_sessions(app, make_user):
    lawyer = make_user(role="lawyer")
    lawyer_client = app.test_client()
    sign_in(lawyer_client, lawyer)
    admin = make_user(role="admin")
    admin_client = app.test_client()
    sign_in(admin_client, admin)
    response = post_form(admin_client, f"/admin/users/{lawyer.id}/reset-2fa", page="/admin/users")
    assert response.status_code == 302
    assert lawyer_client.get("/").status_code == 200  # a lawyer's reset waits for four eyes
    second = make_user(role="admin")
    second_client = app.test_client()
    sign_in(second_client, second)
    (request,) = db.session.scalars(select(ApprovalRequest))
    approved = post_form(
        second_client, f"/admin/approvals/{request.id}/approve", page="/admin/approvals"
    )
    assert approved.status_code == 302
    assert lawyer_client.get("/").status_code == 302  # signed out
    db.session.refresh(lawyer)
    assert not lawyer.has_2fa and lawyer.recovery_codes == []
    fresh = app.test_client()
    sign_in(fresh, lawyer)  # password only now
    assert fresh.get("/").headers["Location"].endswith("/auth/2fa/enroll")


def test_second_factor_failures_lock_the_account(app, make_user, client):
    lawyer = make_user(role="lawyer")
    post_form(client, "/auth/login", {"email": lawyer.email, "password": DEFAULT_PASSWORD})
    token = csrf_token(client, "/auth/2fa")
    statuses = [
        client.post("/auth/2fa", data={"code": "000000", "csrf_token": token}).status_code
        for _ in range(app.config["LOCKOUT_THRESHOLD"])
    ]
    assert statuses[-1] == 423
    db.session.refresh(lawyer)
    assert lawyer.is_locked()
