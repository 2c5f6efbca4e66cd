"""The one-line declaration a view makes to keep its form's drafts, and their discarding on save."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import request
from flask_login import current_user

from app.drafts.forms import DRAFT_FIELDS_ATTRIBUTE, form_of_request
from app.drafts.services import discard_draft


def keeps_drafts(*fields: str) -> Callable:
    """Declare the fields of this view's form kept as drafts; discard the draft once saved."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            response = view(*args, **kwargs)
            if request.method == "POST" and _is_redirect(response):
                form = form_of_request()
                if form is not None:
                    discard_draft(current_user, form.key)
            return response

        setattr(wrapper, DRAFT_FIELDS_ATTRIBUTE, tuple(fields))
        return wrapper

    return decorate


def _is_redirect(response: object) -> bool:
    status = getattr(response, "status_code", None)
    return status is not None and 300 <= status < 400
