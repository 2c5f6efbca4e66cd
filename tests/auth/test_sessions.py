"""Server-side sessions: sign-out is real, sessions expire, and users see and end their own."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.auth.models import UserSession
from app.extensions import db
from tests.helpers.factories import DEFAULT_PASSWORD
from tests.helpers.web import page_messages, post_form, sign_in


def live_rows(user) -> list[UserSession]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(UserSession).where(
                UserSession.user_id == user.id, UserSession.ended_at.is_(None)
            )
        )
    )


def copy_cookies(source, target) -> None:
    """Give `target` the browser cookies of `source`, as an attacker replaying them would."""
    for cookie in source._cookies.values():
        target.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)


def test_a_copied_cookie_stops_working_after_sign_out(app, make_user, client):
    user = make_user()
    sign_in(client, user)
    thief = app.test_client()
    copy_cookies(client, thief)
    assert thief.get("/").status_code == 200  # the copy works while the session lives

    post_form(client, "/auth/logout", page="/auth/settings")
    replay = thief.get("/")
    assert replay.status_code == 302 and "/auth/login" in replay.headers["Location"]
    assert live_rows(user) == []


def test_sessions_end_at_the_absolute_lifetime_however_active(app, make_user, client):
    user = make_user()
    sign_in(client, user)
    (row,) = live_rows(user)
    row.created_at -= timedelta(hours=app.config["SESSION_MAX_HOURS"], minutes=1)
    db.session.commit()
    response = client.get("/")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    login_page = client.get(response.headers["Location"])
    hours = app.config["SESSION_MAX_HOURS"]
    assert f"Sessions last at most {hours} hours" in login_page.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(UserSession, row.id).end_reason == "expired"


def test_user_lists_sessions_and_ends_another_after_typing_the_password(app, make_user):
    user = make_user()
    laptop, phone = app.test_client(), app.test_client()
    sign_in(laptop, user)
    sign_in(phone, user, password=DEFAULT_PASSWORD)
    phone_row = max(live_rows(user), key=lambda r: r.id)

    page = laptop.get("/auth/settings").get_data(as_text=True)
    assert "This session" in page and phone_row.public_id in page

    wrong = post_form(
        laptop,
        "/auth/settings/sessions/end",
        {"session": phone_row.public_id, "current": "not my password at all"},
        page="/auth/settings",
    )
    assert wrong.status_code == 303
    assert phone.get("/").status_code == 200  # still signed in: the password was wrong

    ended = post_form(
        laptop,
        "/auth/settings/sessions/end",
        {"session": phone_row.public_id, "current": DEFAULT_PASSWORD},
        page="/auth/settings",
    )
    assert ended.status_code == 303
    assert "1 other session(s) signed out." in page_messages(laptop.get("/auth/settings"))
    assert phone.get("/").status_code == 302
    assert laptop.get("/").status_code == 200


def test_sign_out_everywhere_else_keeps_only_this_browser(app, make_user):
    user = make_user()
    browsers = [app.test_client() for _ in range(3)]
    for browser in browsers:
        sign_in(browser, user)
    post_form(
        browsers[0],
        "/auth/settings/sessions/end",
        {"session": "others", "current": DEFAULT_PASSWORD},
        page="/auth/settings",
    )
    assert [b.get("/").status_code for b in browsers] == [200, 302, 302]


def test_a_user_cannot_end_someone_elses_session(app, make_user):
    alice, bob = make_user(), make_user()
    alice_client, bob_client = app.test_client(), app.test_client()
    sign_in(alice_client, alice)
    sign_in(bob_client, bob)
    (bob_row,) = live_rows(bob)
    post_form(
        alice_client,
        "/auth/settings/sessions/end",
        {"session": bob_row.public_id, "current": DEFAULT_PASSWORD},
        page="/auth/settings",
    )
    assert bob_client.get("/").status_code == 200


def test_sessions_beyond_the_limit_end_the_one_idle_longest(app, make_user):
    user = make_user()
    limit = app.config["MAX_SESSIONS_PER_USER"]
    browsers = [app.test_client() for _ in range(limit + 1)]
    for browser in browsers:
        sign_in(browser, user)
    assert len(live_rows(user)) == limit
    assert browsers[0].get("/").status_code == 302  # the first, idle longest, was replaced
    assert all(b.get("/").status_code == 200 for b in browsers[1:])


def test_password_change_ends_other_sessions_and_keeps_this_one(app, make_user):
    user = make_user()
    here, elsewhere = app.test_client(), app.test_client()
    sign_in(here, user)
    sign_in(elsewhere, user)
    new = "violet tractor humming under rain"
    post_form(
        here,
        "/auth/settings/password",
        {"current": DEFAULT_PASSWORD, "password": new, "confirm": new},
        page="/auth/settings",
    )
    assert here.get("/").status_code == 200
    assert elsewhere.get("/").status_code == 302
    page = here.get("/auth/settings").get_data(as_text=True)
    assert page.count("<tr>") == 2  # the header row and this session only


def test_an_administrator_signs_a_user_out_everywhere(app, make_user):
    user, admin = make_user(), make_user(role="admin")
    browsers = [app.test_client() for _ in range(2)]
    for browser in browsers:
        sign_in(browser, user)
    admin_client = app.test_client()
    sign_in(admin_client, admin)
    response = post_form(
        admin_client, f"/admin/users/{user.id}/sign-out", page=f"/admin/users/{user.id}"
    )
    assert response.status_code == 302
    assert [b.get("/").status_code for b in browsers] == [302, 302]
    assert admin_client.get("/").status_code == 200


def test_the_cli_signs_every_account_out_after_a_suspected_breach(app, make_user):
    users = [make_user(), make_user(role="lawyer")]
    browsers = [app.test_client() for _ in users]
    for browser, user in zip(browsers, users, strict=True):
        sign_in(browser, user)
    result = app.test_cli_runner().invoke(args=["users", "sign-out", "--all"])
    assert result.exit_code == 0, result.output
    assert "signed out 2 session(s)" in result.output
    assert [b.get("/").status_code for b in browsers] == [302, 302]
    refused = app.test_cli_runner().invoke(args=["users", "sign-out"])
    assert refused.exit_code != 0 and "Give one EMAIL or --all" in refused.output


def _session_cookies(response) -> list[str]:
    return [c for c in response.headers.getlist("Set-Cookie") if c.startswith("custos_session=")]


def test_a_stylesheet_answered_after_the_sign_in_does_not_sign_the_browser_out(
    app, make_user, client
):
    """A static file asked for while the sign-in page loads, answered after the sign-in (a busy
    server): its answer must not put back the signed-out session it read (CI saw the next page
    ask to sign in again)."""
    user = make_user()
    client.get("/auth/login")  # signed out, with a session: the form's CSRF token
    signed_out = client.get_cookie("custos_session").value
    sign_in(client, user)
    late = app.test_client()
    late.set_cookie("custos_session", signed_out)
    answer = late.get("/static/css/custos.css")
    assert answer.status_code == 200
    assert _session_cookies(answer) == []
    signed_in = client.get("/static/css/custos.css")
    assert signed_in.status_code == 200 and _session_cookies(signed_in) == []
    assert client.get("/").status_code == 200  # still signed in
