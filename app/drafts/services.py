"""Keeping, reading, discarding and purging drafts; only ever the signed-in author's own."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, func, select

from app.auth.models import User
from app.drafts.forms import DraftForm
from app.drafts.models import Draft
from app.extensions import db
from app.security.org_keys import intake_only
from app.service_errors import ServiceError
from app.timeutil import utcnow

# A draft holds one form's writing. A transcript of a long interview in Arabic is well under
# this; the cap bounds what one request (and the encrypted column) may cost.
MAX_DRAFT_CHARACTERS = 1_000_000


class DraftRefused(ServiceError):
    """A draft that cannot be kept (too long, too many, a malformed body); says why."""

    code = "draft_refused"


class DraftsStayInBrowser(DraftRefused):
    """An intake-only node keeps no draft: the text stays in the browser form alone (409).

    Such a node must not hold what it cannot seal to the organisation and will not read back;
    a draft kept there would be testimony in the clear for whoever seizes it (docs/security.md).
    """

    status = 409
    code = "drafts_in_browser_only"


@dataclass(frozen=True)
class KeptDraft:
    fields: dict[str, str | list[str]]
    kept_at: datetime


def retention() -> timedelta:
    return timedelta(hours=current_app.config["CUSTOS_DRAFT_RETENTION_HOURS"])


def clean_fields(form: DraftForm, posted: object) -> dict[str, str | list[str]]:
    """The declared fields of `form` from a posted mapping: text, or lists of text (checkboxes)."""
    if not isinstance(posted, dict):
        raise DraftRefused(_("A draft is a set of form fields."))
    fields: dict[str, str | list[str]] = {}
    for name in form.fields:
        value = posted.get(name)
        if isinstance(value, str):
            fields[name] = value
        elif isinstance(value, list) and all(isinstance(item, str) for item in value):
            fields[name] = value
    size = sum(len(v) if isinstance(v, str) else sum(map(len, v)) for v in fields.values())
    if size > MAX_DRAFT_CHARACTERS:
        raise DraftRefused(_("This draft is too long to keep; save the form instead."))
    return fields


def _own_draft(user: User, key: str) -> Draft | None:
    return db.session.scalar(select(Draft).where(Draft.user_id == user.id, Draft.form_key == key))


def keep_draft(user: User, form: DraftForm, posted: object) -> KeptDraft:
    """Keep what `user` typed into `form` (replacing their earlier draft of it). Caller commits."""
    if intake_only():
        raise DraftsStayInBrowser(
            _("This node keeps no drafts: your text stays in this form until you save it.")
        )
    fields = clean_fields(form, posted)
    _delete_expired()  # without a worker (the thread backend) this is where they go
    draft = _own_draft(user, form.key)
    if draft is None:
        limit = current_app.config["CUSTOS_MAX_DRAFTS_PER_USER"]
        held = db.session.scalar(select(func.count()).where(Draft.user_id == user.id))
        if held >= limit:
            raise DraftRefused(
                _("You have too many unsaved drafts; save or discard some forms first.")
            )
        draft = Draft(user_id=user.id, form_key=form.key)
        db.session.add(draft)
    draft.fields = json.dumps(fields, ensure_ascii=False)
    draft.kept_at = utcnow()
    db.session.flush()
    return KeptDraft(fields, draft.kept_at)


def draft_of(user: User, key: str) -> KeptDraft | None:
    """`user`'s own live draft of the form `key`; an expired one is deleted, never shown."""
    if intake_only():
        return None
    draft = _own_draft(user, key)
    if draft is None:
        return None
    if draft.kept_at < utcnow() - retention():
        db.session.delete(draft)
        db.session.commit()
        return None
    return KeptDraft(json.loads(draft.fields), draft.kept_at)


def discard_draft(user: User, key: str) -> None:
    """Delete `user`'s draft of the form `key` (it was saved as the record, or thrown away)."""
    db.session.execute(delete(Draft).where(Draft.user_id == user.id, Draft.form_key == key))
    db.session.commit()


def _delete_expired() -> int:
    result = db.session.execute(delete(Draft).where(Draft.kept_at < utcnow() - retention()))
    return result.rowcount or 0


def purge_expired_drafts() -> int:
    """Delete every draft older than the retention period; how many went."""
    deleted = _delete_expired()
    db.session.commit()
    return deleted
