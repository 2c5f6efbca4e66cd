"""A form upload as a request: its CSRF token (header or body), its boundary, its files stored.

Shared by every page that takes files into the vault (the vault's upload page, an interview's),
so each checks the token the same way before any file byte is stored and stores the bytes
through the one intake (app/vault/upload/multipart.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import request
from flask_wtf.csrf import CSRFError, validate_csrf
from werkzeug.http import parse_options_header
from wtforms.validators import ValidationError

from app.extensions import csrf
from app.vault.models import EvidenceItem
from app.vault.upload.multipart import (
    IntakeOutcome,
    MalformedUpload,
    MissingCsrfToken,
    receive_multipart,
)

CSRF_MESSAGE = "The form expired or was not sent from this site. Reload the page and try again."


def check_csrf(token: str) -> None:
    try:
        validate_csrf(token)
    except ValidationError:
        raise CSRFError(CSRF_MESSAGE) from None


def check_header_csrf() -> bool:
    """A token sent in X-CSRFToken is checked before the body is read; True when there was one."""
    header_token = request.headers.get("X-CSRFToken")
    if header_token:
        check_csrf(header_token)
    return bool(header_token)


def multipart_boundary() -> bytes | None:
    """The request's multipart boundary, or None when the body is not a multipart form."""
    mimetype, options = parse_options_header(request.headers.get("Content-Type", ""))
    if mimetype != "multipart/form-data" or not options.get("boundary"):
        return None
    return options["boundary"].encode("latin-1")


class UploadNotReceived(Exception):
    """The request brought no file to store; `outcomes`: files stored before it broke off;
    `posted`: for a well-formed form that simply came without a file, the fields it carried
    (so the page can give the form back as it was filled), else None."""

    def __init__(
        self,
        message: str,
        outcomes: list[IntakeOutcome] | None = None,
        posted: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = 400
        self.message = message
        self.outcomes = outcomes or []
        self.posted = posted


def receive_form_upload(
    investigation: Any,
    user: Any,
    form_fields: dict[str, str] | None = None,
    on_recorded: Callable[[EvidenceItem], None] | None = None,
) -> list[IntakeOutcome]:
    """Store the files of this request's multipart form; one outcome per file, in order."""
    csrf_checked = check_header_csrf()
    boundary = multipart_boundary()
    if boundary is None:
        csrf.protect()  # not a file upload: the ordinary check applies (the body is small)
        raise UploadNotReceived("Send the files as a multipart/form-data form upload.")
    posted: dict[str, str] = {}
    try:
        outcomes = receive_multipart(
            investigation,
            user,
            request.stream.read,
            boundary,
            check_csrf,
            csrf_checked=csrf_checked,
            form_fields=form_fields,
            on_recorded=on_recorded,
            posted=posted,
        )
    except MissingCsrfToken:
        raise UploadNotReceived(CSRF_MESSAGE) from None
    except MalformedUpload as broken:
        message = "The upload was not a well-formed form submission."
        raise UploadNotReceived(message, broken.outcomes) from None
    if not outcomes:
        raise UploadNotReceived("Choose at least one file to upload.", posted=posted)
    return outcomes
