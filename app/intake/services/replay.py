"""Idempotent creates: a form or API call retried after a dropped connection finds its own row.

Each create form carries a client-chosen UUID that becomes the new row's id. Sending it again
(the answer got lost on a bad connection, the person pressed the button twice) returns the
row already made instead of a duplicate, and only to the person who made it.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy.orm import load_only

from app.extensions import db
from app.intake.errors import field_error
from app.intake.textinput import normalise_client_id

T = TypeVar("T")


def replayed(model: type[T], client_id: str | None, investigation_id: str, user: Any) -> T | None:
    """The row this client id already made for this user, None if new; conflict otherwise."""
    client_id = normalise_client_id(client_id)
    if client_id is None:
        return None
    # Only what the check needs: an intake node's role may not read the content back
    # (app/security/intake_role.py); a reading node loads the rest when it is used.
    existing = db.session.get(
        model,
        client_id,
        options=[load_only(model.id, model.investigation_id, model.created_by_id)],  # type: ignore[attr-defined]
    )
    if existing is None:
        return None
    if existing.investigation_id == investigation_id and existing.created_by_id == user.id:
        return existing
    raise field_error("client_id", "client_id_conflict")
