"""Fixtures built from the factories: clients signed in as each role."""

from __future__ import annotations

import pytest

from tests.helpers.factories import InvestigationFactory, MembershipFactory, UserFactory
from tests.helpers.redis_server import RedisUnavailable, private_redis
from tests.helpers.web import sign_in


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make_user(app_ctx):
    return UserFactory


@pytest.fixture
def investigation(app_ctx):
    return InvestigationFactory()


@pytest.fixture
def signed_in(app, app_ctx):
    """signed_in(user) -> a test client with that user signed in (password + TOTP)."""

    def _signed_in(user):
        client = app.test_client()
        sign_in(client, user)
        return client

    return _signed_in


@pytest.fixture
def member(app_ctx):
    """member(user, investigation, **kw) -> Membership."""

    def _member(user, investigation, **kw):
        return MembershipFactory(user=user, investigation=investigation, **kw)

    return _member


@pytest.fixture(scope="session")
def redis_url():
    """The URL of a Redis of this test session's own (see tests/helpers/redis_server.py)."""
    try:
        with private_redis() as url:
            yield url
    except RedisUnavailable as exc:
        pytest.fail(f"Redis for the tests: {exc}")
