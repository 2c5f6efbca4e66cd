"""Refusals about an intake page, not its input: the error page for 403 (role), 409 (sealed).

app/form_submission.py rolls back and raises these on rather than showing them on a form.
"""

from __future__ import annotations

from flask_babel import gettext as _

from app.error_responses import error_response
from app.extensions import db
from app.intake import bp
from app.intake.errors import (
    IntakePermissionError,
    SealedTestimonyError,
    SealedTranslationError,
    UnreadableHereError,
)


@bp.errorhandler(IntakePermissionError)
def may_not_change(exc: IntakePermissionError):
    db.session.rollback()
    return error_response(403)


@bp.errorhandler(SealedTestimonyError)
def testimony_sealed(exc: SealedTestimonyError):
    db.session.rollback()
    # What a crafted POST against sealed testimony gets (nothing is changed).
    return error_response(
        409,
        _("This testimony is sealed and cannot be changed. Add an addendum to correct it."),
    )


@bp.errorhandler(SealedTranslationError)
def translation_sealed(exc: SealedTranslationError):
    db.session.rollback()
    # What a crafted POST against a sealed translation gets (nothing is changed).
    return error_response(
        409,
        _("This translation is sealed and cannot be changed. Start a corrected version instead."),
    )


@bp.errorhandler(UnreadableHereError)
def unreadable_here(exc: UnreadableHereError):
    db.session.rollback()
    # On an intake-only node: a saved draft is not continued here (nothing is changed).
    return error_response(
        409,
        _(
            "This node cannot read back what it stored: the testimony is sealed to a key it "
            "does not hold. Continue or seal it on the reading node, or seal it as you save it "
            "here."
        ),
    )
