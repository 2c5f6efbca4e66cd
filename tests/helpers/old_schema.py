"""Rows written as a server at an older migration revision wrote them: migration tests stop at an
old revision, where the models (which follow the newest schema) can no longer insert."""

from __future__ import annotations

import secrets
from types import SimpleNamespace

import sqlalchemy as sa

from app.extensions import db
from app.security.encrypted_type import new_row_id
from app.timeutil import utcnow


def insert_investigation() -> SimpleNamespace:
    """An investigation with the columns every revision has; its `id` and `reference`, enough
    for a factory's `investigation=` (the Investigation model has grown columns since)."""
    row = SimpleNamespace(id=new_row_id(), reference=f"INV-{secrets.token_hex(4).upper()}")
    db.session.execute(
        sa.text(
            "INSERT INTO investigations (id, reference, title, description, status, created_at)"
            " VALUES (:id, :reference, 'Legacy investigation', '', 'open', :now)"
        ),
        {"id": row.id, "reference": row.reference, "now": utcnow()},
    )
    return row


def insert_user(role: str = "field") -> SimpleNamespace:
    """An account with the columns every revision has (the User model has grown columns since,
    e.g. reading languages); its `id` and `role`, enough for a factory's `user=`."""
    row = SimpleNamespace(id=new_row_id(), role=role)
    db.session.execute(
        sa.text(
            "INSERT INTO users (id, email, name, role, active, session_version, failed_logins,"
            " language, created_at) VALUES (:id, :email, 'Legacy user', :role, :yes, 1, 0, 'en',"
            " :now)"
        ),
        {
            "id": row.id,
            "email": f"legacy-{row.id[:8]}@example.org",
            "role": role,
            "yes": True,
            "now": utcnow(),
        },
    )
    return row
