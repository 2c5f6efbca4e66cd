"""The command-line interface: users and investigations, with clear one-line errors."""

from __future__ import annotations

from sqlalchemy import select

from app.auth.models import User
from app.extensions import db
from tests.helpers.web import sign_in


def run(app, args, input=None):
    return app.test_cli_runner().invoke(args=args, input=input)


def test_users_create_reads_the_password_from_stdin(app, app_ctx, client):
    result = run(
        app,
        ["users", "create", "Field@Example.org", "--role", "field", "--name", "Sami"],
        input="a strong enough password\n",
    )
    assert result.exit_code == 0, result.output
    assert "created field@example.org (field)" in result.output
    user = db.session.scalar(select(User).where(User.email == "field@example.org"))
    sign_in(client, user, password="a strong enough password")


def test_users_create_without_password_prints_a_one_time_link(app, app_ctx):
    result = run(
        app, ["users", "create", "l@example.org", "--role", "lawyer", "--name", "Lina"], input=""
    )
    assert result.exit_code == 0
    assert "/auth/set-password#" in result.output
    assert "second factor" in result.output


def test_duplicate_email_and_bad_role_exit_non_zero_with_a_reason(app, app_ctx):
    run(
        app,
        ["users", "create", "a@example.org", "--role", "field", "--name", "A"],
        input="fourteen chars ok\n",
    )
    duplicate = run(
        app, ["users", "create", "a@example.org", "--role", "field", "--name", "A"], input=""
    )
    assert duplicate.exit_code != 0 and "already exists" in duplicate.output
    bad_role = run(
        app, ["users", "create", "b@example.org", "--role", "judge", "--name", "B"], input=""
    )
    assert bad_role.exit_code != 0 and "Unknown role 'judge'" in bad_role.output


def test_users_list(app, app_ctx, make_user):
    make_user(email="x@example.org", role="lawyer")
    result = run(app, ["users", "list"])
    assert "x@example.org\tlawyer\tactive\t2fa" in result.output


def test_investigations_create_add_member_and_list(app, app_ctx, make_user):
    make_user(email="m@example.org")
    assert (
        run(app, ["investigations", "create", "INV-2015-SYR-01", "--title", "Airstrikes"]).exit_code
        == 0
    )
    added = run(
        app,
        [
            "investigations",
            "add-member",
            "INV-2015-SYR-01",
            "m@example.org",
            "--may-see-identities",
        ],
    )
    assert added.exit_code == 0, added.output
    listed = run(app, ["investigations", "list"])
    assert "INV-2015-SYR-01\topen\t1\tAirstrikes" in listed.output
    again = run(app, ["investigations", "create", "INV-2015-SYR-01", "--title", "Again"])
    assert again.exit_code != 0 and "already exists" in again.output
    bad = run(app, ["investigations", "create", "not a ref", "--title", "x"])
    assert bad.exit_code != 0 and "INV-2015-SYR-01" in bad.output


def test_first_run_creates_one_admin_and_prints_credentials_once(app, app_ctx):
    first = run(app, ["users", "first-run"])
    assert "password" in first.output and "admin@custos.example" in first.output
    second = run(app, ["users", "first-run"])
    assert "password" not in second.output
