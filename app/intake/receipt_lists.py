"""The incident, witness and interview lists of an intake-only node: receipts, newest first.

Such a node cannot open what it sealed, and its database role may not SELECT it
(app/security/intake_role.py): a list there is read from key columns only, as the receipt
pages are (app/intake/receipts.py). Each row says what was received and when, and the bytes
each sealed field stores (`sealed_sizes`), never the content; an incident's place reads as the
sentence saying it is sealed to a key this node does not hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select

from app.extensions import db
from app.intake.models import Incident, Interview, InterviewStatus, Witness
from app.intake.models.witnesses import IDENTITY_FIELDS
from app.intake.receipts import INCIDENT_FIELDS, TESTIMONY_FIELDS
from app.intake.services.search import PER_PAGE, Page
from app.intake.visibility import visible_incidents, visible_interviews, visible_witnesses
from app.investigations.viewer import InvestigationViewer
from app.security.field_sealing import unreadable
from app.security.sealed_sizes import sizes_of


@dataclass(frozen=True)
class ReceiptList:
    """One page of receipts, and what the page calls them and links them to."""

    title: Any
    new_label: Any
    new_endpoint: str
    endpoint: str  # the receipt page of one row, and the name of its id argument
    id_arg: str
    page: Page[dict[str, Any]]


def _page(stmt: Select, keys: Select, page: int, row) -> Page[dict[str, Any]]:
    """A page of `stmt` (key columns only) and its total, counted over `keys` (ids only)."""
    page = max(1, min(int(page or 1), 100_000))
    total = db.session.scalar(select(func.count()).select_from(keys.subquery()))
    rows = db.session.execute(stmt.limit(PER_PAGE).offset((page - 1) * PER_PAGE))
    return Page([row(r) for r in rows], int(total or 0), page, PER_PAGE)


def incident_receipts(viewer: InvestigationViewer, page: int) -> ReceiptList:
    """Incidents by day, newest first (the day is kept in the clear, for ordering)."""
    columns = (Incident.id, Incident.occurred_from, Incident.created_at, Incident.sealed_sizes)
    stmt = visible_incidents(select(*columns), viewer).order_by(
        Incident.occurred_from.desc(), Incident.created_at.desc(), Incident.id
    )

    def row(r) -> dict[str, Any]:
        return {
            "id": r.id,
            "label": _(
                "Incident of %(day)s (%(id)s)", day=f"{r.occurred_from:%Y-%m-%d}", id=r.id[:8]
            ),
            "detail": unreadable(),  # where it happened: sealed
            "received_at": r.created_at,
            "fields": sizes_of(r.sealed_sizes, INCIDENT_FIELDS),
        }

    keys = visible_incidents(select(Incident.id), viewer)
    return ReceiptList(
        _l("Incidents"), _l("New incident"), "intake.new_incident", "intake.incident",
        "incident_id", _page(stmt, keys, page, row),
    )  # fmt: skip


def witness_receipts(viewer: InvestigationViewer, page: int) -> ReceiptList:
    """Witnesses by code, newest first: code and risk level, never an identity."""
    columns = (Witness.id, Witness.code, Witness.risk_level, Witness.created_at)
    stmt = visible_witnesses(select(*columns, Witness.sealed_sizes), viewer)

    def row(r) -> dict[str, Any]:
        return {
            "id": r.id,
            "label": r.code,
            "detail": _("risk: %(level)s", level=r.risk_level),
            "received_at": r.created_at,
            "fields": sizes_of(r.sealed_sizes, IDENTITY_FIELDS),
        }

    keys = visible_witnesses(select(Witness.id), viewer)
    return ReceiptList(
        _l("Witnesses"), _l("Register a witness"), "intake.new_witness", "intake.witness",
        "witness_id", _page(stmt.order_by(Witness.number.desc()), keys, page, row),
    )  # fmt: skip


def interview_receipts(viewer: InvestigationViewer, page: int) -> ReceiptList:
    """Testimony as received, newest first: the witness's code and whether it is sealed."""
    columns = (Interview.id, Interview.status, Interview.created_at, Interview.sealed_sizes)
    stmt = (
        visible_interviews(select(*columns, Witness.code), viewer)
        .join(Witness, Witness.id == Interview.witness_id)
        .order_by(Interview.created_at.desc(), Interview.id)
    )

    def row(r) -> dict[str, Any]:
        sealed = r.status == InterviewStatus.SEALED.value
        return {
            "id": r.id,
            "label": r.code,
            "detail": _("sealed") if sealed else _("draft"),
            "received_at": r.created_at,
            "fields": sizes_of(r.sealed_sizes, TESTIMONY_FIELDS),
        }

    keys = visible_interviews(select(Interview.id), viewer)
    return ReceiptList(
        _l("Interviews"), _l("Record an interview"), "intake.new_interview", "intake.interview",
        "interview_id", _page(stmt, keys, page, row),
    )  # fmt: skip
