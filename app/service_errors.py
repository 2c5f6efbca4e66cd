"""ServiceError: the one base of every service's refusal (field, message, HTTP status, code).

It sits beneath every package and imports none of them: a service raises a subclass, the API
turns it into its JSON error (app/api/errors.py) and an HTML view shows it on the form
(app/form_submission.py), each in one place.
"""

from __future__ import annotations

from typing import ClassVar


class ServiceError(Exception):
    """Refused before anything was stored; `message` for the person, `field` the input it names.

    `status` is the HTTP status the refusal maps to and `code` the short string API clients match
    on. `shown_on_form` is False for refusals about the page rather than what was typed (a role
    that may not change the record, sealed testimony): an HTML view answers those with an error
    page, not a form error.
    """

    status: int = 400
    code: str = "bad_request"
    shown_on_form: ClassVar[bool] = True
    headers: ClassVar[dict[str, str]] = {}

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def field_messages(self) -> list[tuple[str | None, str]]:
        """(field or None, message) for each thing refused; one pair unless a subclass has more."""
        return [(self.field, self.message)]
