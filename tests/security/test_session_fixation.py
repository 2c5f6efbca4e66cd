"""Session fixation and replay: a session cookie known before sign-in is worth nothing after it.

An attacker who plants their own cookie in a victim's browser (or reads the one the sign-in
page set) must not share the victim's signed-in session; each step of signing in (password,
then second factor) hands out a new cookie; and a cookie copied while signed in stops working
once its owner signs out, even when replayed from another browser.
"""

from __future__ import annotations

from flask.testing import FlaskClient

from app.extensions import db
from tests.helpers.factories import DEFAULT_PASSWORD
from tests.helpers.web import next_totp_code, post_form, sign_in

COOKIE = "custos_session"


def cookie_of(client: FlaskClient) -> str | None:
    cookie = client.get_cookie(COOKIE)
    return cookie.value if cookie else None


def browser_with(app, value: str) -> FlaskClient:
    """A fresh browser holding only this session cookie (a copied or planted one)."""
    client = app.test_client()
    client.set_cookie(COOKIE, value)
    return client


def is_signed_in(client: FlaskClient) -> bool:
    response = client.get("/auth/settings")
    if response.status_code == 302:
        assert response.headers["Location"].startswith("/auth/login")
        return False
    assert response.status_code == 200, response.status_code
    return True


def test_a_planted_cookie_is_replaced_at_sign_in(app, make_user):
    user = make_user(role="field")
    attacker = app.test_client()
    attacker.get("/auth/login")
    planted = cookie_of(attacker)
    assert planted

    victim = browser_with(app, planted)
    sign_in(victim, user)
    signed_in = cookie_of(victim)
    assert signed_in and signed_in != planted
    assert is_signed_in(victim)
    assert not is_signed_in(attacker)
    assert not is_signed_in(browser_with(app, planted))


def test_each_step_of_two_factor_sign_in_issues_a_new_cookie(app, make_user):
    user = make_user(role="lawyer")
    victim = app.test_client()
    victim.get("/auth/login")
    before = cookie_of(victim)

    step_one = post_form(victim, "/auth/login", {"email": user.email, "password": DEFAULT_PASSWORD})
    assert step_one.status_code == 302 and step_one.headers["Location"].startswith("/auth/2fa")
    between = cookie_of(victim)
    assert between and between != before
    # Half-way (password only) is not signed in, from this browser or a copy of its cookie.
    assert not is_signed_in(browser_with(app, between))

    db.session.refresh(user)
    step_two = post_form(victim, "/auth/2fa", {"code": next_totp_code(user)}, page="/auth/2fa")
    assert step_two.status_code == 302
    after = cookie_of(victim)
    assert after not in (before, between)
    assert is_signed_in(victim)
    for stale in (before, between):
        assert not is_signed_in(browser_with(app, stale))


def test_signing_out_ends_the_session_on_the_server(app, make_user):
    user = make_user(role="field")
    browser = app.test_client()
    sign_in(browser, user)
    copied = cookie_of(browser)
    assert is_signed_in(browser_with(app, copied))  # a copy works while its owner is signed in

    assert post_form(browser, "/auth/logout", page="/auth/settings").status_code == 302
    assert not is_signed_in(browser)
    replay = browser_with(app, copied)
    assert not is_signed_in(replay)
    # Not for a state-changing request either (a form token read from the old page).
    replay = browser_with(app, copied)
    response = replay.post("/auth/settings/language", data={"language": "ar"})
    assert response.status_code in (302, 400)
    db.session.refresh(user)
    assert user.language != "ar"


def test_signing_out_after_two_factor_ends_the_session_on_the_server(app, make_user):
    user = make_user(role="lawyer")
    browser = app.test_client()
    sign_in(browser, user)
    copied = cookie_of(browser)
    assert is_signed_in(browser_with(app, copied))
    assert post_form(browser, "/auth/logout", page="/auth/settings").status_code == 302
    assert not is_signed_in(browser_with(app, copied))


def test_signing_out_one_browser_leaves_no_way_back_in_with_the_old_cookie(app, make_user):
    """Signing in again afterwards does not revive the copied cookie."""
    user = make_user(role="field")
    browser = app.test_client()
    sign_in(browser, user)
    copied = cookie_of(browser)
    post_form(browser, "/auth/logout", page="/auth/settings")
    sign_in(browser, user)
    assert is_signed_in(browser)
    assert cookie_of(browser) != copied
    assert not is_signed_in(browser_with(app, copied))


def test_visiting_the_second_factor_page_while_signed_in_signs_nobody_out(app, make_user):
    """A GET is never a sign-out: another site's <img src="/auth/2fa"> must do nothing."""
    user = make_user(role="lawyer")
    browser = app.test_client()
    sign_in(browser, user)
    for method in ("GET", "POST"):
        response = browser.open("/auth/2fa", method=method, data={"code": "000000"})
        assert response.status_code in (302, 400)
        assert is_signed_in(browser), method
