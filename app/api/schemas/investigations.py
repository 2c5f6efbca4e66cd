"""Investigations as API clients see them: the investigation and the caller's membership."""

from __future__ import annotations

from typing import Any

from app.investigations.models import Investigation, Membership


def investigation_json(investigation: Investigation, membership: Membership | None) -> dict:
    return {
        "reference": investigation.reference,
        "title": investigation.title,
        "description": investigation.description or "",
        "status": investigation.status,
        "created_at": investigation.created_at,
        "membership": {
            "role": membership.role if membership else None,
            "may_see_identities": bool(membership and membership.may_see_identities),
        },
    }


def taxonomy_json(terms: list[Any]) -> list[dict[str, str]]:
    return [{"code": term.code, "label": term.label} for term in terms]
