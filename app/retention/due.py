"""What has come due under the retention rules (`flask retention run`), holds taken into account.

Nothing is destroyed here: an item whose rule says "destroy" is listed for a reviewer to ask
for its destruction (two people, disposition.py); one whose rule says "review" waits for a
lawyer's decision. An item a hold covers is listed as held, and the first time a hold stops a
"destroy" rule the ledger records that disposition was blocked (once per rule and set of holds,
not at every run).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import select

from app.custody.ledger import CustodyAction, append_custody_event
from app.custody.models import LedgerEntry
from app.extensions import db
from app.investigations.models import Investigation
from app.retention.coverage import holds_on_evidence_id
from app.retention.models import (
    ANY_KIND,
    RetentionAction,
    RetentionEvent,
    RetentionRule,
)
from app.timeutil import utcnow
from app.vault.models import EvidenceItem

SYSTEM_ACTOR = "system:retention"


@dataclass(frozen=True)
class DueItem:
    investigation: str  # reference
    evidence_id: str
    rule_id: str
    action: str
    due_at: datetime
    held_by: tuple[str, ...]  # how each hold in the way is named; empty when none


def due_items(now: datetime | None = None) -> list[DueItem]:
    """Every item some rule has brought due by `now`, once (the earliest rule wins)."""
    now = now or utcnow()
    earliest: dict[str, tuple[datetime, RetentionRule, str]] = {}
    for rule in db.session.scalars(select(RetentionRule).order_by(RetentionRule.created_at)):
        for evidence_id, due_at, reference in due_under(rule, now):
            known = earliest.get(evidence_id)
            if known is None or due_at < known[0]:
                earliest[evidence_id] = (due_at, rule, reference)
    listed = []
    for evidence_id, (due_at, rule, reference) in sorted(
        earliest.items(), key=lambda entry: (entry[1][2], entry[1][0], entry[0])
    ):
        holds = holds_on_evidence_id(rule.investigation_id, evidence_id)
        if holds and rule.action == RetentionAction.DESTROY_ITEM.value:
            _record_blocked_once(rule, evidence_id, [hold.id for hold in holds])
        listed.append(
            DueItem(
                reference,
                evidence_id,
                rule.id,
                rule.action,
                due_at,
                tuple(hold.describe() for hold in holds),
            )
        )
    return listed


def due_under(rule: RetentionRule, now: datetime) -> Iterator[tuple[str, datetime, str]]:
    period = timedelta(days=rule.period_days)
    stmt = (
        select(EvidenceItem.id, EvidenceItem.received_at, Investigation.reference)
        .join(Investigation, Investigation.id == EvidenceItem.investigation_id)
        .where(EvidenceItem.investigation_id == rule.investigation_id)
    )
    if rule.item_kind != ANY_KIND:
        stmt = stmt.where(EvidenceItem.kind == rule.item_kind)
    if rule.event == RetentionEvent.RECEIVED.value:
        stmt = stmt.where(EvidenceItem.received_at <= now - period)
        for evidence_id, received_at, reference in db.session.execute(stmt):
            yield evidence_id, received_at + period, reference
    elif rule.event == RetentionEvent.DATE.value and rule.event_date is not None:
        due_at = datetime.combine(rule.event_date, time()) + period
        if due_at <= now:
            for evidence_id, _received, reference in db.session.execute(stmt):
                yield evidence_id, due_at, reference


def _record_blocked_once(rule: RetentionRule, evidence_id: str, hold_ids: list[str]) -> None:
    earlier = db.session.scalars(
        select(LedgerEntry.body).where(
            LedgerEntry.object_type == "evidence",
            LedgerEntry.object_id == evidence_id,
            LedgerEntry.action == CustodyAction.DISPOSITION_BLOCKED.value,
        )
    )
    for body in earlier:
        details = json.loads(body)["details"]
        if details.get("rule") == rule.id and details.get("holds") == hold_ids:
            return
    append_custody_event(
        rule.investigation_id,
        SYSTEM_ACTOR,
        CustodyAction.DISPOSITION_BLOCKED,
        "evidence",
        evidence_id,
        {"rule": rule.id, "holds": hold_ids},
    )
