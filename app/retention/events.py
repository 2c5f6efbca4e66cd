"""When the event a retention period counts from happened, per evidence item or per witness.

Read from the records at every run, never stored, so a due date follows its event both ways:
a case file reopened as a draft, consent given back or an investigation reopened takes the
due dates it set away again. Where an item belongs to several case files (or witnesses), the
event has happened only once it has happened for all of them, and counts from the last.

- received: the item's intake; for a witness, their registration;
- casefile_closed: approval for referral, a case file's last step (reopening undoes it); an
  item belongs to the case files it is in and those holding an interview it is attached to;
  a witness to those holding one of their interviews;
- consent_withdrawn: the witness's consent in force allows nothing, counted from the date of
  the withdrawal that took the last of it; an item belongs to the witnesses of the interviews
  it is attached to;
- investigation_closed: the investigation's closing (`flask investigations close`);
- date: the rule's date.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime, time

from sqlalchemy import case, func, select, union_all

from app.casefiles.models import CaseFile, CaseItem, CaseStatus
from app.extensions import db
from app.intake.models import ConsentKind, ConsentPurpose, ConsentRecord
from app.intake.models.interviews import Interview, InterviewEvidence
from app.intake.models.witnesses import Witness
from app.investigations.models import Investigation, InvestigationStatus
from app.retention.models import ANY_KIND, RetentionEvent, RetentionRule
from app.vault.models import EvidenceItem

Happened = Iterator[tuple[str, datetime]]  # (item or witness id, when its event happened)


def item_events(rule: RetentionRule, cutoff: datetime, only: str | None = None) -> Happened:
    """Items of the rule whose event happened at or before `cutoff` (`only`: that one item)."""
    items = select(EvidenceItem.id).where(EvidenceItem.investigation_id == rule.investigation_id)
    if only is not None:
        items = items.where(EvidenceItem.id == only)
    if rule.item_kind != ANY_KIND:
        items = items.where(EvidenceItem.kind == rule.item_kind)
    event = rule.event
    if event == RetentionEvent.RECEIVED.value:
        stmt = items.add_columns(EvidenceItem.received_at).where(EvidenceItem.received_at <= cutoff)
        yield from db.session.execute(stmt)
    elif event == RetentionEvent.CASEFILE_CLOSED.value:
        links = union_all(
            select(CaseItem.item_id.label("subject"), CaseItem.casefile_id).where(
                CaseItem.item_type == "evidence"
            ),
            select(InterviewEvidence.evidence_id, CaseItem.casefile_id).join(
                CaseItem,
                (CaseItem.item_type == "interview")
                & (CaseItem.item_id == InterviewEvidence.interview_id),
            ),
        ).subquery()
        yield from _all_closed(links, links.c.subject.in_(items), cutoff)
    elif event == RetentionEvent.CONSENT_WITHDRAWN.value:
        pairs = (
            select(InterviewEvidence.evidence_id, Interview.witness_id)
            .join(Interview, Interview.id == InterviewEvidence.interview_id)
            .where(InterviewEvidence.evidence_id.in_(items))
        )
        yield from _all_withdrawn(rule.investigation_id, db.session.execute(pairs), cutoff)
    else:
        yield from _one_moment(rule, items, cutoff)


def witness_events(rule: RetentionRule, cutoff: datetime) -> Happened:
    """Witnesses of the rule's investigation whose event happened at or before `cutoff`."""
    witnesses = select(Witness.id).where(Witness.investigation_id == rule.investigation_id)
    event = rule.event
    if event == RetentionEvent.RECEIVED.value:
        stmt = witnesses.add_columns(Witness.created_at).where(Witness.created_at <= cutoff)
        yield from db.session.execute(stmt)
    elif event == RetentionEvent.CASEFILE_CLOSED.value:
        links = (
            select(Interview.witness_id.label("subject"), CaseItem.casefile_id)
            .join(
                CaseItem,
                (CaseItem.item_type == "interview") & (CaseItem.item_id == Interview.id),
            )
            .subquery()
        )
        yield from _all_closed(links, links.c.subject.in_(witnesses), cutoff)
    elif event == RetentionEvent.CONSENT_WITHDRAWN.value:
        withdrawn = consent_withdrawals(rule.investigation_id)
        yield from ((wid, when) for wid, when in withdrawn.items() if when <= cutoff)
    else:
        yield from _one_moment(rule, witnesses, cutoff)


def consent_withdrawals(investigation_id: str) -> dict[str, datetime]:
    """Witness id -> the day the last of their consent was withdrawn, for those who have none."""
    records = db.session.scalars(
        select(ConsentRecord)
        .where(ConsentRecord.investigation_id == investigation_id)
        .order_by(ConsentRecord.witness_id, ConsentRecord.seq)
    )
    withdrawn: dict[str, datetime] = {}
    for record in records:  # in order: a later record of the witness decides
        gives_any = any(record.allows(purpose) for purpose in ConsentPurpose)
        if gives_any:
            withdrawn.pop(record.witness_id, None)
        elif record.kind == ConsentKind.WITHDRAWN.value:
            withdrawn[record.witness_id] = datetime.combine(record.obtained_on, time())
    return withdrawn


def _all_closed(links, of_rule, cutoff: datetime) -> Happened:
    """(subject, casefile) links -> subjects all of whose case files are closed, and when."""
    closed = case((CaseFile.status == CaseStatus.APPROVED.value, CaseFile.approved_at), else_=None)
    stmt = (
        select(links.c.subject, func.max(closed))
        .join(CaseFile, CaseFile.id == links.c.casefile_id)
        .where(of_rule)
        .group_by(links.c.subject)
        .having(func.count(closed) == func.count(), func.max(closed) <= cutoff)
    )
    yield from db.session.execute(stmt)


def _all_withdrawn(
    investigation_id: str, pairs: Iterable[tuple[str, str]], cutoff: datetime
) -> Happened:
    withdrawn = consent_withdrawals(investigation_id)
    latest: dict[str, datetime | None] = {}
    for subject, witness_id in pairs:
        when = withdrawn.get(witness_id)
        known = latest.get(subject, when)
        latest[subject] = None if when is None or known is None else max(known, when)
    yield from ((s, when) for s, when in latest.items() if when is not None and when <= cutoff)


def _one_moment(rule: RetentionRule, subjects, cutoff: datetime) -> Happened:
    """Events that happen to the whole investigation at once: its closing, or the rule's date."""
    if rule.event == RetentionEvent.DATE.value and rule.event_date is not None:
        moment = datetime.combine(rule.event_date, time())
    elif rule.event == RetentionEvent.INVESTIGATION_CLOSED.value:
        moment = db.session.scalar(
            select(Investigation.closed_at).where(
                Investigation.id == rule.investigation_id,
                Investigation.status == InvestigationStatus.CLOSED.value,
            )
        )
    else:
        moment = None
    if moment is None or moment > cutoff:
        return
    yield from ((subject, moment) for subject in db.session.scalars(subjects))
