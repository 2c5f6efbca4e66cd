"""Sign-in without oracles (issue 15, deliverable 7): an unknown address, a wrong password and a
throttled account get the same answer after the same work (one argon2 verification each), so
the sign-in page tells nobody which accounts exist; repeated failures slow an account down
with growing delays instead of locking it, so nobody can keep a colleague out; and the owner
is told of the failed attempts at their next sign-in."""

from __future__ import annotations

import re
import time

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.auth.models import User
from app.auth.services.login import throttle_delay
from app.extensions import db, limiter
from tests.helpers.factories import DEFAULT_PASSWORD
from tests.helpers.web import page_messages, post_form, sign_in

WRONG = "not the password at all"
CSRF_VALUE = re.compile(r'value="[^"]*"')


@pytest.fixture(autouse=True)
def _no_address_limit(app):
    """These tests count per-account behaviour; the per-address limit is tested elsewhere."""
    limiter.reset()
    saved = app.config["LOGIN_RATE_LIMIT"]
    app.config["LOGIN_RATE_LIMIT"] = "1000 per minute"
    yield
    app.config["LOGIN_RATE_LIMIT"] = saved
    limiter.reset()


def attempt(client, email: str, password: str):
    return post_form(client, "/auth/login", {"email": email, "password": password})


def throttle(client, user: User, app) -> None:
    for _ in range(app.config["LOCKOUT_THRESHOLD"]):
        attempt(client, user.email, WRONG)
    db.session.refresh(user)
    assert user.is_locked(), "the account should be waiting after the threshold"


def answer(response) -> tuple[int, str]:
    """What a person or script can read off the answer (the form's own values aside)."""
    return response.status_code, CSRF_VALUE.sub('value=""', response.get_data(as_text=True))


class Argon2Counter:
    def __init__(self, monkeypatch) -> None:
        self.verify = 0
        self.hash = 0
        real_verify, real_hash = PasswordHasher.verify, PasswordHasher.hash

        def verify(hasher, *args, **kw):
            self.verify += 1
            return real_verify(hasher, *args, **kw)

        def hash_(hasher, *args, **kw):
            self.hash += 1
            return real_hash(hasher, *args, **kw)

        monkeypatch.setattr(PasswordHasher, "verify", verify)
        monkeypatch.setattr(PasswordHasher, "hash", hash_)

    def reset(self) -> None:
        self.verify = self.hash = 0


def test_unknown_wrong_and_throttled_get_the_same_answer(app, make_user):
    known = make_user()
    waiting = make_user()
    throttle(app.test_client(), waiting, app)
    unknown = answer(attempt(app.test_client(), "nobody@example.org", DEFAULT_PASSWORD))
    wrong = answer(attempt(app.test_client(), known.email, WRONG))
    # The right password of a waiting account: refused too, and told apart from nothing.
    throttled = answer(attempt(app.test_client(), waiting.email, DEFAULT_PASSWORD))
    assert unknown[0] == wrong[0] == throttled[0] == 401
    assert unknown[1].replace("nobody@example.org", "") == wrong[1].replace(known.email, "")
    assert wrong[1].replace(known.email, "") == throttled[1].replace(waiting.email, "")


def test_each_case_does_one_argon2_verification_and_no_more(app, make_user, monkeypatch):
    known = make_user()
    waiting = make_user()
    invited = make_user(password_hash=None)  # invited, no password set yet
    throttle(app.test_client(), waiting, app)
    counter = Argon2Counter(monkeypatch)
    cases = {
        "unknown": ("nobody@example.org", DEFAULT_PASSWORD),
        "no password yet": (invited.email, DEFAULT_PASSWORD),
        "wrong": (known.email, WRONG),
        "throttled": (waiting.email, DEFAULT_PASSWORD),
    }
    work = {}
    for name, (email, password) in cases.items():
        attempt(app.test_client(), "warm@example.org", "x" * 12)  # the dummy hash exists
        counter.reset()
        attempt(app.test_client(), email, password)
        work[name] = (counter.verify, counter.hash)
    assert work == {name: (1, 0) for name in cases}, work


def test_repeated_attempts_while_waiting_do_not_lengthen_the_wait(app, make_user):
    """Otherwise anyone who knows a colleague's address could keep them out for good."""
    owner = make_user()
    stranger = app.test_client()
    app.config["LOGIN_DELAY_BASE_SECONDS"] = 60  # the wait outlasts the 30 tries below
    try:
        throttle(stranger, owner, app)
    finally:
        app.config["LOGIN_DELAY_BASE_SECONDS"] = 1
    until = owner.locked_until
    for _ in range(30):
        assert attempt(stranger, owner.email, WRONG).status_code == 401
    db.session.refresh(owner)
    assert owner.locked_until == until
    assert owner.failed_logins == app.config["LOCKOUT_THRESHOLD"]


def test_the_owner_gets_in_once_the_short_wait_is_over(app, make_user):
    owner = make_user()
    throttle(app.test_client(), owner, app)
    first_wait = throttle_delay(app.config["LOCKOUT_THRESHOLD"]).total_seconds()
    assert first_wait <= 2
    time.sleep(first_wait + 0.2)
    client = app.test_client()
    sign_in(client, owner)
    assert client.get("/").status_code == 200


def test_waits_grow_with_each_failure_up_to_a_ceiling(app, app_ctx):
    threshold = app.config["LOCKOUT_THRESHOLD"]
    assert throttle_delay(threshold - 1) is None
    waits = [throttle_delay(threshold + n).total_seconds() for n in range(30)]
    assert waits == sorted(waits) and waits[1] > waits[0]
    assert waits[-1] == app.config["LOGIN_DELAY_MAX_MINUTES"] * 60


def test_the_owner_is_told_of_failed_attempts_at_the_next_sign_in(app, make_user):
    owner = make_user()
    for _ in range(3):
        attempt(app.test_client(), owner.email, WRONG)
    client = app.test_client()
    sign_in(client, owner)
    messages = page_messages(client.get("/"))
    assert any("3 failed sign-in attempts" in message for message in messages), messages
    # Told once: the next sign-in has nothing to report.
    again = app.test_client()
    sign_in(again, owner)
    assert not any("failed sign-in" in m for m in page_messages(again.get("/")))


def test_throttled_attempts_are_audited_for_administrators(app, make_user):
    owner = make_user()
    throttle(app.test_client(), owner, app)
    attempt(app.test_client(), owner.email, DEFAULT_PASSWORD)
    reasons = [
        event.details.get("reason")
        for event in db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.event == "login.failure", AuditEvent.target_id == owner.id
            )
        )
    ]
    assert reasons.count("throttled") == 1
