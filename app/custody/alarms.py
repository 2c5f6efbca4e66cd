"""Broken-ledger alarms: raised when a check before signing fails, acknowledged by an admin.

An open alarm blocks the investigation's exports, turns /readyz "degraded" and puts a
banner before the investigation's admins and lawyers. Acknowledging records who looked and
what they noted; it does not make the ledger verify (nothing can: restore the database from
a backup taken before the break, docs/custody.md "When the ledger is broken").
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.custody.models import LedgerAlarm
from app.investigations.models import Investigation, Membership
from app.timeutil import utcnow

log = logging.getLogger(__name__)

# Who sees the banner: the investigation's members with these account or membership roles.
BANNER_ACCOUNT_ROLES = ("admin", "lawyer")
BANNER_MEMBER_ROLES = ("lead", "lawyer")


def open_alarm(session: Session, investigation_id: str) -> LedgerAlarm | None:
    return session.scalar(
        select(LedgerAlarm)
        .where(
            LedgerAlarm.investigation_id == investigation_id,
            LedgerAlarm.acknowledged_at.is_(None),
        )
        .order_by(LedgerAlarm.id)
        .limit(1)
    )


def raise_alarm(
    session: Session, investigation_id: str, bad_seq: int | None, problem: str
) -> LedgerAlarm:
    """Record the break (once while unacknowledged) in the alarms and the audit log."""
    from app.audit.services import record_event

    existing = open_alarm(session, investigation_id)
    if existing is not None:
        return existing
    log.error("custody: ledger of investigation %s is broken: %s", investigation_id, problem)
    alarm = LedgerAlarm(investigation_id=investigation_id, bad_seq=bad_seq, problem=problem)
    session.add(alarm)
    record_event(
        "custody.ledger_broken",
        target=session.get(Investigation, investigation_id),
        details={"bad_seq": bad_seq, "problem": problem},
    )
    return alarm


def acknowledge(session: Session, investigation: Investigation, user: Any, note: str) -> int:
    """Mark the investigation's open alarms as looked at by ``user``; return how many."""
    from app.audit.services import record_event

    alarms = session.scalars(
        select(LedgerAlarm).where(
            LedgerAlarm.investigation_id == investigation.id,
            LedgerAlarm.acknowledged_at.is_(None),
        )
    ).all()
    for alarm in alarms:
        alarm.acknowledged_at = utcnow()
        alarm.acknowledged_by_id = user.id
        alarm.note = note
    if alarms:
        record_event(
            "custody.alarm_acknowledged",
            actor=user,
            target=investigation,
            details={"alarms": [alarm.id for alarm in alarms], "note": note},
        )
    return len(alarms)


def any_open_alarm(session: Session) -> bool:
    return bool(session.scalar(select(exists().where(LedgerAlarm.acknowledged_at.is_(None)))))


def alarmed_references(session: Session, user: Any) -> list[str]:
    """References of the investigations with an open alarm whose banner ``user`` sees."""
    if not getattr(user, "is_authenticated", False):
        return []
    stmt = (
        select(Investigation.reference)
        .join(LedgerAlarm, LedgerAlarm.investigation_id == Investigation.id)
        .join(Membership, Membership.investigation_id == Investigation.id)
        .where(LedgerAlarm.acknowledged_at.is_(None), Membership.user_id == user.id)
        .distinct()
        .order_by(Investigation.reference)
    )
    if user.role not in BANNER_ACCOUNT_ROLES:
        stmt = stmt.where(Membership.role.in_(BANNER_MEMBER_ROLES))
    return list(session.scalars(stmt))


def custody_alarm_context() -> dict:
    """Template context: `custody_alarms`, the references templates/base.html's banner names."""
    from flask_login import current_user

    from app.extensions import db

    try:
        return {"custody_alarms": alarmed_references(db.session, current_user)}
    except SQLAlchemyError:  # an error page while the database is away still renders
        return {"custody_alarms": []}
