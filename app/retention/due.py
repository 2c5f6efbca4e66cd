"""What has come due under the retention rules (`flask retention run`), holds taken into account.

Nothing is destroyed here: an item whose rule says "destroy" is listed for a reviewer to ask
for its destruction (two people, disposition.py), a witness whose rule says "destroy the
identity" for a reviewer to ask for that (two people, forgetting.py); an item whose rule says
"review" waits for a lawyer's decision. Due dates are counted from events read afresh at every
run (events.py). What a hold covers is listed as held, and the first time a hold stops a
"destroy" rule the ledger records that disposition was blocked (once per rule and set of holds,
not at every run).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from app.custody.ledger import CustodyAction, append_custody_event
from app.custody.models import LedgerEntry
from app.extensions import db
from app.intake.models.witnesses import Witness
from app.investigations.models import Investigation
from app.retention.coverage import holds_on_evidence_id, holds_on_witness_id
from app.retention.events import item_events, witness_events
from app.retention.models import RetentionAction, RetentionRule
from app.timeutil import utcnow

SYSTEM_ACTOR = "system:retention"


@dataclass(frozen=True)
class DueItem:
    """An evidence item, or a witness whose identity a rule destroys, that has come due."""

    investigation: str  # reference
    subject_id: str  # the evidence item's id, or the witness's
    rule_id: str
    action: str
    due_at: datetime
    held_by: tuple[str, ...]  # how each hold in the way is named; empty when none
    subject: str = "evidence"  # or "witness"
    label: str = ""  # what the run prints: the item id, or the witness's code

    @property
    def evidence_id(self) -> str | None:
        return self.subject_id if self.subject == "evidence" else None


def due_items(now: datetime | None = None) -> list[DueItem]:
    """Everything some rule has brought due by `now`, once (the earliest rule wins)."""
    now = now or utcnow()
    earliest: dict[tuple[str, str], tuple[datetime, RetentionRule, str]] = {}
    for rule in db.session.scalars(select(RetentionRule).order_by(RetentionRule.created_at)):
        subject = _subject(rule)
        for subject_id, due_at, reference in due_under(rule, now):
            known = earliest.get((subject, subject_id))
            if known is None or due_at < known[0]:
                earliest[(subject, subject_id)] = (due_at, rule, reference)
    listed = []
    for (subject, subject_id), (due_at, rule, reference) in sorted(
        earliest.items(), key=lambda entry: (entry[1][2], entry[1][0], entry[0])
    ):
        if subject == "witness":
            holds = holds_on_witness_id(rule.investigation_id, subject_id)
            label = db.session.scalar(select(Witness.code).where(Witness.id == subject_id))
        else:
            holds = holds_on_evidence_id(rule.investigation_id, subject_id)
            label = subject_id
        if holds and rule.action != RetentionAction.REVIEW.value:
            _record_blocked_once(rule, subject, subject_id, [hold.id for hold in holds])
        listed.append(
            DueItem(
                reference,
                subject_id,
                rule.id,
                rule.action,
                due_at,
                tuple(hold.describe() for hold in holds),
                subject,
                label or subject_id,
            )
        )
    return listed


def due_under(rule: RetentionRule, now: datetime) -> Iterator[tuple[str, datetime, str]]:
    """(item or witness id, due date, investigation reference) for what the rule brings due."""
    period = timedelta(days=rule.period_days)
    reference = db.session.scalar(
        select(Investigation.reference).where(Investigation.id == rule.investigation_id)
    )
    events = witness_events if _subject(rule) == "witness" else item_events
    for subject_id, happened in events(rule, now - period):
        yield subject_id, happened + period, reference


def rule_bringing_due(
    investigation_id: str, evidence_id: str, now: datetime | None = None
) -> RetentionRule | None:
    """The rule under which the item is due now (the earliest, as `retention run` lists it)."""
    now = now or utcnow()
    found: tuple[datetime, RetentionRule] | None = None
    rules = db.session.scalars(
        select(RetentionRule)
        .where(RetentionRule.investigation_id == investigation_id)
        .order_by(RetentionRule.created_at)
    )
    for rule in rules:
        if _subject(rule) != "evidence":
            continue
        period = timedelta(days=rule.period_days)
        for _subject_id, happened in item_events(rule, now - period, only=evidence_id):
            if found is None or happened + period < found[0]:
                found = (happened + period, rule)
    return found[1] if found else None


def _subject(rule: RetentionRule) -> str:
    return "witness" if rule.action == RetentionAction.DESTROY_IDENTITY.value else "evidence"


def _record_blocked_once(
    rule: RetentionRule, subject: str, subject_id: str, hold_ids: list[str]
) -> None:
    earlier = db.session.scalars(
        select(LedgerEntry.body).where(
            LedgerEntry.object_type == subject,
            LedgerEntry.object_id == subject_id,
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
        subject,
        subject_id,
        {"rule": rule.id, "holds": hold_ids},
    )
