"""Web forms of the intake pages: parse and type-check input, then hand plain values to services.

The rules themselves (dates in the future, ranges, coordinates, casualties, consent) live in
the services, so the JSON API enforces exactly the same ones; `show_service_errors` puts a
service's named errors back on the form's fields.
"""

from __future__ import annotations

from flask_wtf import FlaskForm

from app.intake.errors import IntakeValidationError


def show_service_errors(form: FlaskForm, exc: IntakeValidationError, prefix: str = "") -> None:
    """Attach each named error to the field it names (or to the form when it names none)."""
    for error in exc.errors:
        field = getattr(form, prefix + error.field, None)
        if field is None or not hasattr(field, "errors"):
            form.form_errors.append(error.message)
            continue
        if not isinstance(field.errors, list):
            field.errors = list(field.errors)
        if error.message not in field.errors:
            field.errors.append(error.message)
