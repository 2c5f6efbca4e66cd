"""What a page needs to keep a form's drafts: its fields, and the person's own draft of it."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import format_time
from flask_login import current_user

from app.drafts.forms import form_of_action
from app.drafts.services import draft_of
from app.security.org_keys import intake_only


@dataclass(frozen=True)
class PageDraft:
    """For templates/drafts/_macros.html: which fields the form keeps, and what was kept."""

    fields: tuple[str, ...]
    kept: dict[str, str | list[str]] | None = None
    kept_at: str = ""


def kept_draft(action: str) -> PageDraft | None:
    """None when the form posting to `action` keeps no drafts (or nobody is signed in, or this
    is an intake-only node, where drafts stay in the browser form: see drafts/service.py)."""
    form = form_of_action(action)
    if form is None or not current_user.is_authenticated or intake_only():
        return None
    draft = draft_of(current_user, form.key)
    if draft is None:
        return PageDraft(form.fields)
    return PageDraft(form.fields, draft.fields, format_time(draft.kept_at, "short"))
