"""Retention rules: how long items of a kind are kept after an event, and what happens then."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from app.audit.services import record_event
from app.extensions import db
from app.investigations.viewer import InvestigationViewer
from app.retention.due import due_under
from app.retention.errors import RetentionError
from app.retention.models import ANY_KIND, RetentionAction, RetentionEvent, RetentionRule
from app.retention.reviewers import require_reviewer
from app.timeutil import utcnow
from app.vault.models import EvidenceKind

ITEM_KINDS = (ANY_KIND, *(kind.value for kind in EvidenceKind))
MAX_PERIOD_DAYS = 365 * 100


@dataclass(frozen=True)
class RuleInput:
    item_kind: str
    event: str
    period_days: int | None
    action: str
    event_date: date | None = None


def add_rule(viewer: InvestigationViewer, data: RuleInput) -> RetentionRule:
    """Validate and record a rule (nothing is stored if any part is refused); caller commits."""
    rule = _validated(viewer, data)
    db.session.add(rule)
    db.session.flush()
    record_event(
        "retention.rule_added",
        actor=viewer.user,
        target=rule,
        details={
            "investigation": viewer.investigation.reference,
            "item_kind": rule.item_kind,
            "event": rule.event,
            "period_days": rule.period_days,
            "action": rule.action,
        },
    )
    return rule


def preview_rule(viewer: InvestigationViewer, data: RuleInput) -> int:
    """How many items (or witnesses) the rule would bring due now, before it is saved (nothing
    is stored); counted from the events as they stand (events.py), as `retention run` counts.

    Rules are only ever added, never edited, so no existing due date moves: an item falls due
    under the earliest of the rules that cover it.
    """
    return sum(1 for _due in due_under(_validated(viewer, data), utcnow()))


def _validated(viewer: InvestigationViewer, data: RuleInput) -> RetentionRule:
    require_reviewer(viewer)
    if data.item_kind not in ITEM_KINDS:
        raise RetentionError(_("Choose a kind of item."), field="item_kind")
    if data.event not in set(RetentionEvent):
        raise RetentionError(_("Choose the event the period counts from."), field="event")
    if data.action not in set(RetentionAction):
        raise RetentionError(_("Choose what happens at the end."), field="action")
    if data.period_days is None or data.period_days < 0:
        raise RetentionError(
            _("The period is a number of days, zero or more."), field="period_days"
        )
    if data.period_days > MAX_PERIOD_DAYS:
        raise RetentionError(_("At most %(n)d days.", n=MAX_PERIOD_DAYS), field="period_days")
    if data.action == RetentionAction.DESTROY_IDENTITY.value and data.item_kind != ANY_KIND:
        raise RetentionError(
            _("A rule that destroys identities is about witnesses: choose “any kind”."),
            field="item_kind",
        )
    if data.event == RetentionEvent.DATE.value and data.event_date is None:
        raise RetentionError(_("Give the date the period counts from."), field="event_date")
    return RetentionRule(
        investigation_id=viewer.investigation.id,
        item_kind=data.item_kind,
        event=data.event,
        event_date=data.event_date if data.event == RetentionEvent.DATE.value else None,
        period_days=data.period_days,
        action=data.action,
        created_by_id=viewer.user.id,
        created_at=utcnow(),
    )


def rules_of(viewer: InvestigationViewer) -> list[RetentionRule]:
    require_reviewer(viewer)
    stmt = (
        select(RetentionRule)
        .where(RetentionRule.investigation_id == viewer.investigation.id)
        .order_by(RetentionRule.created_at)
    )
    return list(db.session.scalars(stmt))
