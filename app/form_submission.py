"""Running a service call from an HTML form: commit it, or roll back and show the refusal.

The one place an HTML view turns a ServiceError (app/service_errors.py) into what the person
sees: an error on the field the refusal names, else a form-level error (a flash when the view
has no form to show), with the refusal's HTTP status. Views do not commit or roll back
themselves. Refusals about the page rather than the input (`shown_on_form` False) are rolled
back and raised on, for the blueprint's error page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm

from app.extensions import db
from app.service_errors import ServiceError

T = TypeVar("T")


def show_refusal(
    form: FlaskForm | None, refusal: ServiceError, prefix: str = "", unnamed_to: str | None = None
) -> None:
    """Each refused input on its field (`prefix` + the field's name), the rest on the form.

    `unnamed_to` names the field a refusal that names none belongs to on this form (an account
    service does not know that its "email" is the form's `email` field).
    """
    for name, message in refusal.field_messages():
        name = name or unnamed_to
        field = getattr(form, prefix + name, None) if form is not None and name else None
        if field is not None and hasattr(field, "errors"):
            if not isinstance(field.errors, list):
                field.errors = list(field.errors)
            if message not in field.errors:
                field.errors.append(message)
        elif form is not None:
            form.form_errors.append(message)
        else:
            flash(message, "error")


def committed(call: Callable[[], T]) -> T:
    """call()'s result once committed; a refusal is rolled back and raised on (to an error page)."""
    try:
        result = call()
    except ServiceError:
        db.session.rollback()
        raise
    db.session.commit()
    return result


def commit_or_refuse(
    call: Callable[[], T],
    form: FlaskForm | None = None,
    prefix: str = "",
    unnamed_to: str | None = None,
) -> T | ServiceError:
    """call()'s result once committed, or the refusal (rolled back, shown on `form`)."""
    try:
        return committed(call)
    except ServiceError as refusal:
        if not refusal.shown_on_form:
            raise
        show_refusal(form, refusal, prefix, unnamed_to)
        return refusal


def commit_or_flash(call: Callable[[], object], success: str) -> None:
    """For a button without a form to redraw: flash `success` once committed, else the refusal."""
    if not isinstance(commit_or_refuse(call), ServiceError):
        flash(success, "success")


def submit_form(
    form: FlaskForm,
    call: Callable[[], T],
    done: Callable[[T], ResponseReturnValue],
    page: Callable[[int], ResponseReturnValue],
    prefix: str = "",
    unnamed_to: str | None = None,
) -> ResponseReturnValue:
    """The form view: page(200) to show it, done(result) after a committed call, else the
    page again with the status of what went wrong (400 for input the form itself refused)."""
    if not form.validate_on_submit():
        return page(400 if form.is_submitted() else 200)
    outcome = commit_or_refuse(call, form, prefix, unnamed_to)
    if isinstance(outcome, ServiceError):
        return page(outcome.status)
    return done(outcome)


def saved(message: str, endpoint: str, **values: str) -> ResponseReturnValue:
    """After a committed change: say so, and go to the page that shows it."""
    flash(message, "success")
    return redirect(url_for(endpoint, **values))


def template_page(template: str, **context: object) -> Callable[[int], ResponseReturnValue]:
    """A `page` for submit_form: the template drawn with `context`, with the status it is given."""
    return lambda status: (render_template(template, **context), status)
