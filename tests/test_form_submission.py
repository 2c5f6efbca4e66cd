"""The one way an HTML view runs a service call: commit, or roll back and show the refusal."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import StringField
from wtforms.validators import DataRequired

from app.auth.models import User
from app.auth.services.accounts import AccountError, create_user
from app.casefiles.services.errors import CaseFileConflict
from app.extensions import db
from app.form_submission import commit_or_refuse, submit_form
from app.intake.errors import FieldError, IntakePermissionError, IntakeValidationError


class NameForm(FlaskForm):
    class Meta:
        csrf = False

    name = StringField(validators=[DataRequired()])


def accounts_stored() -> int:
    db.session.remove()  # a fresh session: only what was committed is seen
    return db.session.scalar(select(func.count()).select_from(User))


def create_then_refuse(refusal: Exception):
    def call():
        create_user("half@example.org", "Half Stored", "field")
        raise refusal

    return call


def test_a_refusal_rolls_back_what_the_call_had_written(app_ctx):
    with app_ctx.test_request_context(method="POST", data={"name": "x"}):
        form = NameForm()
        outcome = commit_or_refuse(create_then_refuse(AccountError("No.", "name")), form)
    assert isinstance(outcome, AccountError)
    assert accounts_stored() == 0


def test_a_refusal_naming_a_field_shows_on_that_field(app_ctx):
    with app_ctx.test_request_context(method="POST", data={"name": "x"}):
        form = NameForm()
        commit_or_refuse(create_then_refuse(AccountError("That name is taken.", "name")), form)
        assert form.name.errors == ["That name is taken."]
        assert form.form_errors == []


def test_a_refusal_naming_no_field_of_the_form_is_a_form_level_error(app_ctx):
    refusal = IntakeValidationError([FieldError("witness_id", "unknown_witness")])
    with app_ctx.test_request_context(method="POST", data={"name": "x"}):
        form = NameForm()
        commit_or_refuse(create_then_refuse(refusal), form)
        assert form.form_errors == ["Choose one of your witnesses."]
        assert not form.name.errors


def test_a_committed_call_is_stored_and_its_result_returned(app_ctx):
    with app_ctx.test_request_context(method="POST"):
        user = commit_or_refuse(lambda: create_user("kept@example.org", "Kept", "field"))
    assert user.email == "kept@example.org"
    assert accounts_stored() == 1


def test_a_refusal_about_the_page_is_rolled_back_and_raised_for_the_error_page(app_ctx):
    with app_ctx.test_request_context(method="POST", data={"name": "x"}):
        with pytest.raises(IntakePermissionError):
            commit_or_refuse(create_then_refuse(IntakePermissionError("not yours")), NameForm())
    assert accounts_stored() == 0


@pytest.mark.parametrize(
    ("method", "data", "refusal", "status"),
    [
        ("GET", {}, None, 200),
        ("POST", {}, None, 400),  # refused by the form itself: the call never runs
        ("POST", {"name": "x"}, None, 200),
        ("POST", {"name": "x"}, CaseFileConflict("Approved files do not change."), 409),
        ("POST", {"name": "x"}, AccountError("No."), 400),
    ],
)
def test_submit_form_draws_the_page_with_the_refusal_status(app_ctx, method, data, refusal, status):
    def call():
        if refusal is not None:
            raise refusal
        return "done"

    with app_ctx.test_request_context(method=method, data=data):
        form = NameForm()
        answer = submit_form(
            form, call, done=lambda result: (result, 200), page=lambda code: ("page", code)
        )
    expected = "done" if method == "POST" and data and refusal is None else "page"
    assert answer == (expected, status)


def test_no_html_view_commits_or_rolls_back_itself():
    """Every HTML route module leaves the transaction to app/form_submission.py."""
    app_dir = Path(__file__).resolve().parents[1] / "app"
    offenders = [
        str(path.relative_to(app_dir))
        for path in app_dir.rglob("*.py")
        # JSON, not HTML: app/api/errors.py rolls back for the API; the readiness probe's own
        # rollback recovers from a database that went away.
        if not {"api", "health"} & set(path.relative_to(app_dir).parts)
        and re.search(r"@bp\.(route|get|post)\(", text := path.read_text())
        and re.search(r"db\.session\.(commit|rollback)\(", text)
    ]
    assert offenders == []
