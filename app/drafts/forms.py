"""Which form a draft belongs to: a view declares its draft fields, a form is named by its action.

A view opts in with `@keeps_drafts("transcript", "notes")` under its `@bp.route`. The form
posting to it is then named by its action path, resolved through the URL map to the endpoint
and its arguments (`intake.edit_interview?interview_id=...&reference=...`): a draft can only
ever belong to a real form of this app, and to fields that form declares. After the view
accepts a POST (it redirects, as every form view does once the record is saved), the author's
draft of that form is discarded.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from flask import current_app, request
from werkzeug.exceptions import HTTPException

from app.drafts.models import FORM_KEY_LENGTH

DRAFT_FIELDS_ATTRIBUTE = "draft_fields"


@dataclass(frozen=True)
class DraftForm:
    """A form that keeps drafts: its key, the fields it keeps and the path it posts to."""

    key: str
    fields: tuple[str, ...]
    path: str


def form_key(endpoint: str, arguments: dict[str, object]) -> str:
    return f"{endpoint}?{urlencode(sorted((k, str(v)) for k, v in arguments.items()))}"


def _draft_form(endpoint: str | None, arguments: dict, path: str) -> DraftForm | None:
    view = current_app.view_functions.get(endpoint or "")
    fields = getattr(view, DRAFT_FIELDS_ATTRIBUTE, None)
    if not fields:
        return None
    key = form_key(endpoint, arguments)
    if len(key) > FORM_KEY_LENGTH:
        return None
    return DraftForm(key, fields, path)


def form_of_action(action: str) -> DraftForm | None:
    """The draft-keeping form that posts to `action` (a path on this site), else None."""
    parts = urlsplit(action)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return None
    adapter = current_app.url_map.bind_to_environ(request.environ)
    try:
        endpoint, arguments = adapter.match(parts.path, method="POST")
    except HTTPException:  # no such route, or a redirect (RequestRedirect is one)
        return None
    return _draft_form(endpoint, arguments, parts.path)


def form_of_request() -> DraftForm | None:
    """The draft-keeping form this request posts to, else None."""
    return _draft_form(request.endpoint, request.view_args or {}, request.path)
