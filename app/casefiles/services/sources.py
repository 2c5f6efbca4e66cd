"""Which case-file items come from the same source, so that corroboration counts sources, not items.

A witness's testimony and the media attached to that witness's interviews are one source: a
witness's own photos never corroborate their own account. Every other item (an incident record,
media not attached to any interview) is a source of its own. Items attached to the interviews of
several witnesses join those witnesses into one source, since none of them is independent of the
others for that item.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select

from app.casefiles.models import CaseItem, ItemType
from app.extensions import db
from app.intake.models import Interview, InterviewEvidence


@dataclass(frozen=True)
class Source:
    """One independent source: the case items that come from it, in case-file order."""

    item_ids: tuple[str, ...]
    witness_id: str | None  # the witness it is, when it is one (for the page: by code)


def _origins(items: list[CaseItem]) -> dict[str, set[str]]:
    """Case item id -> the source keys it comes from ("witness:<id>" or "item:<id>")."""
    interview_ids = [i.item_id for i in items if i.item_type == ItemType.INTERVIEW.value]
    evidence_ids = [i.item_id for i in items if i.item_type == ItemType.EVIDENCE.value]
    witness_of_interview = dict(
        db.session.execute(
            select(Interview.id, Interview.witness_id).where(Interview.id.in_(interview_ids))
        ).all()
    )
    witnesses_of_evidence: dict[str, set[str]] = {}
    if evidence_ids:
        rows = db.session.execute(
            select(InterviewEvidence.evidence_id, Interview.witness_id)
            .join(Interview, Interview.id == InterviewEvidence.interview_id)
            .where(InterviewEvidence.evidence_id.in_(evidence_ids))
        )
        for evidence_id, witness_id in rows:
            witnesses_of_evidence.setdefault(evidence_id, set()).add(witness_id)
    origins: dict[str, set[str]] = {}
    for item in items:
        if item.item_type == ItemType.INTERVIEW.value and item.item_id in witness_of_interview:
            keys = {f"witness:{witness_of_interview[item.item_id]}"}
        else:
            keys = {f"witness:{w}" for w in witnesses_of_evidence.get(item.item_id, ())}
        origins[item.id] = keys or {f"item:{item.id}"}
    return origins


def group_sources(items: Iterable[CaseItem]) -> list[Source]:
    """The independent sources among `items`: items sharing any origin are one source."""
    items = list(items)
    origins = _origins(items)
    groups: list[tuple[set[str], list[str]]] = []
    for item in items:
        keys = set(origins[item.id])
        members = [item.id]
        for group in [g for g in groups if g[0] & keys]:
            groups.remove(group)
            keys |= group[0]
            members = group[1] + members
        groups.append((keys, members))
    order = {item.id: position for position, item in enumerate(items)}
    sources = []
    for keys, members in groups:
        witnesses = sorted(k.split(":", 1)[1] for k in keys if k.startswith("witness:"))
        ordered = tuple(sorted(members, key=order.__getitem__))
        sources.append(Source(ordered, witnesses[0] if len(witnesses) == 1 else None))
    return sorted(sources, key=lambda source: order[source.item_ids[0]])


def same_source(first: CaseItem, second: CaseItem) -> bool:
    """True when the two items come from one source (a witness and their own media)."""
    return len(group_sources([first, second])) == 1
