"""The demo loaded once per test module, by the real command, into a database of its own.

A module-scoped database (a SQLite file, or a private PostgreSQL schema) keeps the session's
database clean (its tables are emptied after every test) and loads the demo once per module
instead of once per test.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.helpers.instance import fresh_database, migrated_app
from tests.helpers.media import require_tool
from tests.helpers.web import page_messages, post_form


@dataclass(frozen=True)
class PrintedAccount:
    email: str
    role: str
    password: str
    totp_secret: str


@dataclass(frozen=True)
class LoadedDemo:
    app: Flask
    output: str
    accounts: tuple[PrintedAccount, ...]
    seconds: float

    def account(self, role: str, index: int = 0) -> PrintedAccount:
        return [a for a in self.accounts if a.role == role][index]


def printed_accounts(output: str) -> tuple[PrintedAccount, ...]:
    """The EMAIL<TAB>ROLE<TAB>PASSWORD<TAB>TOTP_SECRET lines of the command's output."""
    return tuple(PrintedAccount(*line.split("\t")) for line in output.splitlines() if "\t" in line)


def sign_in_printed(client: FlaskClient, account: PrintedAccount):
    """Sign in with the printed password and, where there is one, a code from the printed
    TOTP secret, as a person with an authenticator app would."""
    response = post_form(
        client, "/auth/login", {"email": account.email, "password": account.password}
    )
    if account.totp_secret != "-":
        assert response.status_code == 302, page_messages(response)
        assert "/auth/2fa" in response.headers["Location"]
        code = pyotp.TOTP(account.totp_secret).now()
        response = post_form(client, "/auth/2fa", {"code": code}, page="/auth/2fa")
    assert response.status_code == 302, (account.email, page_messages(response))
    assert "/auth/" not in response.headers["Location"], response.headers["Location"]
    return response


@pytest.fixture(scope="module")
def demo_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with fresh_database(tmp_path_factory.mktemp("demo-db") / "demo.db", "custos_demo") as url:
        yield url


@pytest.fixture(scope="module")
def demo_app(demo_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """An app on the module's database, migrated and with keys, like a fresh `make run`."""
    from app.security.master_key import generate_master_key_file
    from app.security.org_keys import init_keys

    instance = tmp_path_factory.mktemp("demo-instance")
    generate_master_key_file(instance / "master.key")
    with migrated_app(demo_database, instance) as application:
        init_keys(instance / "keys", application.extensions["custos.master_key"])
        yield application


@pytest.fixture(scope="module")
def loaded(demo_app: Flask) -> LoadedDemo:
    """`flask demo load --if-empty` on the empty database, as `make run` does."""
    require_tool("ffmpeg")
    require_tool("ffprobe")
    started = time.monotonic()
    result = demo_app.test_cli_runner().invoke(args=["demo", "load", "--if-empty"])
    seconds = time.monotonic() - started
    assert result.exit_code == 0, (result.output, result.exception)
    return LoadedDemo(demo_app, result.stdout, printed_accounts(result.stdout), seconds)


@pytest.fixture
def demo_ctx(loaded: LoadedDemo) -> Iterator[Flask]:
    """The demo app's context, for reading its database in a test."""
    from app.extensions import db

    with loaded.app.app_context():
        yield loaded.app
        db.session.remove()


@pytest.fixture(scope="module")
def clients(loaded: LoadedDemo) -> dict[str, FlaskClient]:
    """One client per printed account, signed in once for the module (a TOTP code can be used
    only once, so signing the same account in again within 30 s would be refused)."""
    out = {}
    for account in loaded.accounts:
        client = loaded.app.test_client()
        sign_in_printed(client, account)
        out[account.email] = client
    return out
