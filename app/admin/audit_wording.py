"""The audit log in words: what each event means, whom it concerned, and its details, readable.

The admin page (issue 18, item 9) showed raw event codes, JSON and UUIDs. Here each event code
has a sentence, each detail key a label, an account a target is named by its email and an
investigation by its reference (one query each for a page of events, whatever its length), and
a long identifier is cut to its first eight characters, enough to tell two apart on one page.
What the log holds is unchanged: the codes stay the records' and the filter's values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.auth.models import User
from app.extensions import db
from app.investigations.models import Investigation

EVENT_WORDS = {
    "login.success": _l("Signed in"),
    "login.failure": _l("Sign-in refused"),
    "login.locked": _l("Account locked after failed sign-ins"),
    "login.throttled": _l("Sign-in slowed down after failed attempts"),
    "logout": _l("Signed out"),
    "session.idle_timeout": _l("Signed out after being idle"),
    "session.expired": _l("Session ended at its time limit"),
    "sessions.ended": _l("Ended their other sessions"),
    "sessions.ended_by_admin": _l("Sessions ended by an administrator"),
    "2fa.enrolled": _l("Second factor set up"),
    "2fa.failure": _l("Second-factor code refused"),
    "2fa.recovery_code_used": _l("Recovery code used"),
    "2fa.reset": _l("Second factor reset"),
    "password.set": _l("Password set"),
    "user.created": _l("Account created"),
    "user.invited": _l("Set-password link issued"),
    "user.role_changed": _l("Role changed"),
    "user.deactivated": _l("Account deactivated"),
    "user.reactivated": _l("Account reactivated"),
    "user.unlocked": _l("Account unlocked"),
    "membership.granted": _l("Investigation access granted"),
    "membership.changed": _l("Investigation access changed"),
    "membership.revoked": _l("Investigation access revoked"),
    "investigation.created": _l("Investigation created"),
    "investigation.closed": _l("Investigation closed"),
    "investigation.reopened": _l("Investigation reopened"),
    "api_token.created": _l("API token created"),
    "api_token.revoked": _l("API token revoked"),
    "openrosa_device.created": _l("Phone app credential added"),
    "openrosa_device.revoked": _l("Phone app credential revoked"),
    "custody.ledger_broken": _l("Custody ledger found broken"),
    "custody.alarm_acknowledged": _l("Custody alarm acknowledged"),
    "reauth.failure": _l("Password re-check refused"),
    "approval.requested": _l("Second administrator's approval requested"),
    "approval.approved": _l("Request approved by a second administrator"),
    "approval.refused": _l("Request refused by a second administrator"),
    "approval.sole_actor": _l("Done alone: no second administrator exists"),
    "retention.hold_placed": _l("Legal hold placed"),
    "retention.rule_added": _l("Retention rule added"),
    "retention.requested": _l("Destruction or release requested"),
    "retention.approved": _l("Destruction or release approved"),
    "retention.refused": _l("Destruction or release refused"),
    "retention.blocked": _l("Destruction blocked by a hold"),
}
DETAIL_WORDS = {
    "action": _l("Action"),
    "alarms": _l("Alarms"),
    "bad_seq": _l("First bad entry"),
    "consecutive": _l("Failed attempts in a row"),
    "from": _l("From"),
    "holds": _l("Holds"),
    "investigation": _l("Investigation"),
    "kind": _l("Kind"),
    "left": _l("Attempts left"),
    "member": _l("Member"),
    "n": _l("Sessions ended"),
    "note": _l("Note"),
    "on": _l("Concerning"),
    "problem": _l("Problem"),
    "reason": _l("Reason"),
    "request": _l("Request"),
    "role": _l("Role"),
    "scope": _l("Scope"),
    "seconds": _l("Wait (seconds)"),
    "to": _l("To"),
    "token": _l("Token"),
    "valid_hours": _l("Valid for (hours)"),
    "via": _l("Through"),
    "wrong": _l("What was wrong"),
}
TARGET_WORDS = {
    "user": _l("Account"),
    "investigation": _l("Investigation"),
    "membership": _l("Membership"),
}
LONG_ID = re.compile(r"^[0-9a-f]{8}(-?[0-9a-f]{4}){3}-?[0-9a-f]{12}$", re.IGNORECASE)


@dataclass(frozen=True)
class AuditLine:
    time: datetime
    code: str
    what: str
    actor: str
    ip: str
    target: str
    details: list[tuple[str, str]]


def event_choices() -> list[tuple[str, Any]]:
    """The filter's options: each recorded code, offered by its words."""
    return [(code, EVENT_WORDS[code]) for code in EVENT_WORDS]


def _value(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(_value(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_value(v)}" for k, v in value.items())
    text = str(value)
    return text[:8] + "…" if LONG_ID.match(text) else text


def _label(key: str) -> str:
    return str(DETAIL_WORDS.get(key) or key.replace("_", " ").capitalize())


def _names(events: list[AuditEvent]) -> dict[tuple[str, str], str]:
    """(target type, id) -> a name people know: an account's email, an investigation's reference."""
    wanted: dict[str, set[str]] = {"user": set(), "investigation": set()}
    for event in events:
        if event.target_type in wanted and event.target_id:
            wanted[event.target_type].add(event.target_id)
    names: dict[tuple[str, str], str] = {}
    if wanted["user"]:
        rows = db.session.execute(select(User.id, User.email).where(User.id.in_(wanted["user"])))
        names.update((("user", uid), email) for uid, email in rows)
    if wanted["investigation"]:
        rows = db.session.execute(
            select(Investigation.id, Investigation.reference).where(
                Investigation.id.in_(wanted["investigation"])
            )
        )
        names.update((("investigation", iid), ref) for iid, ref in rows)
    return names


def _target(event: AuditEvent, names: dict[tuple[str, str], str]) -> str:
    if not event.target_type:
        return ""
    kind = str(TARGET_WORDS.get(event.target_type) or event.target_type.capitalize())
    name = names.get((event.target_type, event.target_id or "")) or _value(event.target_id or "")
    return f"{kind} {name}".strip()


def describe(events: list[AuditEvent]) -> list[AuditLine]:
    """A page of events as the admin page shows them."""
    names = _names(events)
    return [
        AuditLine(
            time=event.time,
            code=event.event,
            what=str(EVENT_WORDS.get(event.event) or event.event),
            actor=event.actor_email or "",
            ip=event.ip or "",
            target=_target(event, names),
            details=[(_label(k), _value(v)) for k, v in (event.details or {}).items()],
        )
        for event in events
    ]
