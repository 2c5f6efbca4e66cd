"""Sign-in's `next` is followed only to a path of this site, whatever its spelling.

A browser resolves a Location header leniently (WHATWG URL): it drops tabs and newlines, reads
a backslash as a slash and takes `//host` as another site. So the check here is what a browser
would do with the answer, not only what the server meant: after signing in, with a password
alone or with the second factor too, the redirect must land on this site.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import pytest

from tests.helpers.factories import DEFAULT_PASSWORD
from tests.helpers.web import next_totp_code, post_form

SITE = "https://custos.example"

HOSTILE_TARGETS = [
    "https://evil.example/",
    "http://evil.example",
    "HTTPS://evil.example",
    "https:evil.example",
    "http:/evil.example",
    "//evil.example",
    "//evil.example/%2e%2e",
    "///evil.example",
    "////evil.example",
    "/\\evil.example",
    "\\/evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    " //evil.example",
    "\x00//evil.example",
    "%2F%2Fevil.example",
    "%2f%2fevil.example",
    "https%3A%2F%2Fevil.example",
    "%5C%5Cevil.example",
    "evil.example",
    "@evil.example",
    "https://custos.example@evil.example/",
    "javascript:alert(document.cookie)",
    "JaVaScRiPt:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "/\r\nSet-Cookie: custos_session=fixed",
    "/%0d%0aSet-Cookie:%20custos_session=fixed",
    "\r\nLocation: https://evil.example",
    "/\uff0f\uff0fevil.example",
    "\u2215\u2215evil.example",
]
LOCAL_TARGETS = ["/auth/settings", "/investigations/?page=2", "/%2F%2Fevil.example"]


def browser_destination(location: str) -> tuple[str, str]:
    """(scheme, host) a browser would go to from this Location, as WHATWG URL parsing does."""
    assert not any(ch in location for ch in "\r\n"), "a header must never carry CR or LF"
    lenient = location.strip(" \x00").replace("\t", "").replace("\\", "/")
    parts = urlsplit(urljoin(SITE + "/auth/login", lenient))
    return parts.scheme.lower(), parts.netloc.lower()


def assert_stays_on_site(response, target: str) -> None:
    assert response.status_code == 302, (response.status_code, target)
    location = response.headers["Location"]
    assert browser_destination(location) == ("https", "custos.example"), (target, location)
    assert location.startswith("/") and location[1:2] not in ("/", "\\"), (target, location)
    if not plainly_local(target):
        assert location == "/", (target, location)


def plainly_local(target: str) -> bool:
    """A path a browser keeps on this site as it is (it is followed, harmlessly)."""
    return target.startswith("/") and target[1:2] not in ("/", "\\", "\t", "\n", "\r")


def sign_in_with_next(app, user, target: str):
    client = app.test_client()
    response = post_form(
        client, "/auth/login", {"email": user.email, "password": DEFAULT_PASSWORD, "next": target}
    )
    return client, response


@pytest.mark.parametrize("target", HOSTILE_TARGETS)
def test_password_sign_in_never_leaves_the_site(app, make_user, target):
    user = make_user(role="field")
    _, response = sign_in_with_next(app, user, target)
    assert_stays_on_site(response, target)


def test_second_factor_sign_in_never_leaves_the_site(app, make_user):
    """The `next` travels through the second-factor page, where it is checked again."""
    from app.extensions import db

    for target in HOSTILE_TARGETS:
        user = make_user(role="lawyer")  # a fresh TOTP step for each sign-in
        client, first = sign_in_with_next(app, user, target)
        assert first.status_code == 302 and first.headers["Location"].startswith("/auth/2fa")
        # Both the address the server chose and the hostile value posted straight to the form.
        db.session.refresh(user)
        second = post_form(
            client, "/auth/2fa", {"code": next_totp_code(user), "next": target}, page="/auth/2fa"
        )
        assert_stays_on_site(second, target)


def test_the_password_step_sends_to_the_second_factor_page_of_this_site(app, make_user):
    user = make_user(role="lawyer")
    for target in HOSTILE_TARGETS:
        _, first = sign_in_with_next(app, user, target)
        assert first.status_code == 302
        location = first.headers["Location"]
        assert browser_destination(location) == ("https", "custos.example"), (target, location)
        assert location.startswith("/auth/2fa"), (target, location)


@pytest.mark.parametrize("target", LOCAL_TARGETS)
def test_a_path_of_this_site_is_followed(app, make_user, target):
    user = make_user(role="field")
    _, response = sign_in_with_next(app, user, target)
    assert response.status_code == 302
    assert response.headers["Location"] == target


def test_the_sign_in_page_sent_by_the_gate_keeps_the_local_path(app, make_user):
    """The gate's own `next` (the page asked for before signing in) round-trips."""
    user = make_user(role="field")
    client = app.test_client()
    gate = client.get("/auth/settings")
    assert gate.status_code == 302
    login_page = gate.headers["Location"]
    assert login_page.startswith("/auth/login?next=")
    page = client.get(login_page)
    assert 'name="next" type="hidden" value="/auth/settings"' in page.get_data(as_text=True)
    response = post_form(
        client,
        "/auth/login",
        {"email": user.email, "password": DEFAULT_PASSWORD, "next": "/auth/settings"},
    )
    assert response.headers["Location"] == "/auth/settings"
