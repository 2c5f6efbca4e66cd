"""Driving the app like a browser: real CSRF tokens, real sign-in including the second factor."""

from __future__ import annotations

import re
import time

import pyotp
from flask.testing import FlaskClient

from app.auth.models import User
from app.extensions import db
from tests.helpers.factories import DEFAULT_PASSWORD

CSRF_RE = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"'
)


def csrf_token(client: FlaskClient, page: str = "/auth/login") -> str:
    """A valid token for this client's session, read from a page's form as a browser would."""
    response = client.get(page)
    if response.status_code in (301, 302, 303):
        # Signed-in clients are sent away from the sign-in page; the settings page has forms.
        response = client.get("/auth/settings")
    match = CSRF_RE.search(response.get_data(as_text=True))
    assert match, f"no CSRF token in {page}"
    return match.group(1) or match.group(2)


def post_form(
    client: FlaskClient, url: str, data: dict | None = None, page: str | None = None, **kw
):
    """POST with the CSRF token taken from `page` (default: the URL itself, else the home page)."""
    token = csrf_token(client, page or "/auth/login")
    payload = dict(data or {})
    payload["csrf_token"] = token
    return client.post(url, data=payload, **kw)


def error_summary_in(page: str, start: str) -> str:
    """The announced error summary first met after `start` in the page's HTML (its inner HTML):
    a refused form's errors, at the top of what changed."""
    after = page[page.index(start) :]
    summary = after.split('class="flashes error-summary" role="alert" tabindex="-1">', 1)[1]
    return summary.split("</div>", 1)[0]


MESSAGE_RE = re.compile(r'class="(?:flash[^"]*|error)"[^>]*>([^<]*)')


def page_messages(response) -> list[str]:
    """The flash and field-error messages a person would read on the page."""
    return MESSAGE_RE.findall(response.get_data(as_text=True))


def next_totp_code(user: User) -> str:
    """A code the server will accept now: the earliest step after the last one used."""
    totp = pyotp.TOTP(user.totp_secret)
    now_step = int(time.time()) // totp.interval
    step = now_step  # now-1 would fail whenever the server's clock crosses a step boundary
    if user.totp_last_step is not None:
        step = max(step, user.totp_last_step + 1)
    assert step <= now_step + 1, "no unused TOTP step left in the accepted window"
    return totp.generate_otp(step)


def sign_in(client: FlaskClient, user: User, password: str = DEFAULT_PASSWORD):
    response = post_form(client, "/auth/login", {"email": user.email, "password": password})
    if response.status_code == 302 and "/auth/2fa" in response.headers["Location"]:
        db.session.refresh(user)
        response = post_form(client, "/auth/2fa", {"code": next_totp_code(user)}, page="/auth/2fa")
    assert response.status_code == 302, (response.status_code, page_messages(response))
    return response
