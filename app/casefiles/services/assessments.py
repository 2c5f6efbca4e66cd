"""Grading items (reliability A-F, credibility 1-6), corroboration links and lawyers' annotations.

Each is recorded in the custody ledger against the item (issue 6, item 3). The ledger gets the
grade and the SHA-256 of the rationale or note, never their text: text may name a person, and
the hash still lets a receiving party check the exported text is the text that was recorded.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from app.casefiles.models import (
    CREDIBILITY,
    RELIABILITY,
    Annotation,
    Assessment,
    CaseFile,
    CaseItem,
    CaseStatus,
    Corroboration,
)
from app.casefiles.services.casefiles import record_item_event, require_draft
from app.casefiles.services.errors import CaseFileConflict, CaseFileError
from app.casefiles.services.sources import same_source
from app.extensions import db

TEXT_MAX = 4000


def text_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def assess_item(
    casefile: CaseFile,
    user: Any,
    case_item: CaseItem,
    reliability: str,
    credibility: int | str,
    rationale: str,
) -> Assessment:
    require_draft(casefile)
    reliability = (reliability or "").strip().upper()
    if reliability not in RELIABILITY:
        raise CaseFileError("Grade the source's reliability from A to F.", "reliability")
    try:
        credibility = int(credibility)
    except (TypeError, ValueError):
        raise CaseFileError(
            "Grade the information's credibility from 1 to 6.", "credibility"
        ) from None
    if credibility not in CREDIBILITY:
        raise CaseFileError("Grade the information's credibility from 1 to 6.", "credibility")
    rationale = _text(rationale, "rationale", "Give the reasons for this grade.")
    assessment = Assessment(
        casefile_id=casefile.id,
        investigation_id=casefile.investigation_id,
        case_item_id=case_item.id,
        reliability=reliability,
        credibility=credibility,
        rationale=rationale,
        assessed_by_id=user.id,
    )
    db.session.add(assessment)
    db.session.flush()
    record_item_event(
        case_item,
        user,
        "assessed",
        {
            "assessment_id": assessment.id,
            "reliability": reliability,
            "credibility": credibility,
            "rationale_sha256": text_digest(rationale),
        },
    )
    return assessment


def annotate_item(casefile: CaseFile, user: Any, case_item: CaseItem, body: str) -> Annotation:
    # Reviewers annotate while reviewing; only an approved file is closed to new notes.
    if casefile.status == CaseStatus.APPROVED.value:
        raise CaseFileConflict("This case file is approved: return it to draft to annotate it.")
    body = _text(body, "body", "Write the annotation.")
    annotation = Annotation(
        casefile_id=casefile.id,
        investigation_id=casefile.investigation_id,
        case_item_id=case_item.id,
        body=body,
        author_id=user.id,
    )
    db.session.add(annotation)
    db.session.flush()
    record_item_event(
        case_item,
        user,
        "annotated",
        {"annotation_id": annotation.id, "body_sha256": text_digest(body)},
    )
    return annotation


def corroborate(
    casefile: CaseFile, user: Any, case_item: CaseItem, other_item_id: str, note: str
) -> Corroboration:
    """Record that `case_item` corroborates another item of the same case file."""
    require_draft(casefile)
    other = db.session.scalar(
        select(CaseItem).where(CaseItem.id == other_item_id, CaseItem.casefile_id == casefile.id)
    )
    if other is None or other.id == case_item.id:
        raise CaseFileError("Choose another item of this case file.", "other_item")
    if same_source(case_item, other):
        raise CaseFileError(
            "These items come from the same source (a witness and their own media, or two "
            "accounts by one witness): one cannot corroborate the other.",
            "other_item",
        )
    exists = db.session.scalar(
        select(Corroboration.id).where(
            Corroboration.from_item_id == case_item.id, Corroboration.to_item_id == other.id
        )
    )
    if exists:
        raise CaseFileError("This corroboration is already recorded.", "other_item")
    note = (note or "").strip()
    if len(note) > TEXT_MAX:
        raise CaseFileError("The note is too long.", "note")
    link = Corroboration(
        casefile_id=casefile.id,
        investigation_id=casefile.investigation_id,
        from_item_id=case_item.id,
        to_item_id=other.id,
        note=note or None,
        created_by_id=user.id,
    )
    db.session.add(link)
    db.session.flush()
    details = {"corroboration_id": link.id, "note_sha256": text_digest(note)}
    record_item_event(
        case_item,
        user,
        "annotated",
        {"op": "corroborates", "other": {"type": other.item_type, "id": other.item_id}, **details},
    )
    record_item_event(
        other,
        user,
        "annotated",
        {
            "op": "corroborated_by",
            "other": {"type": case_item.item_type, "id": case_item.item_id},
            **details,
        },
    )
    return link


def _text(value: str, field: str, missing: str) -> str:
    value = (value or "").strip()
    if not value:
        raise CaseFileError(missing, field)
    if len(value) > TEXT_MAX:
        raise CaseFileError("This is too long.", field)
    return value


# --- Reading ------------------------------------------------------------------------------------


def assessments_of(case_item: CaseItem) -> list[Assessment]:
    """Newest first: the first is the current grade, the rest its history."""
    return list(
        db.session.scalars(
            select(Assessment)
            .where(Assessment.case_item_id == case_item.id)
            .options(selectinload(Assessment.assessed_by))
            .order_by(Assessment.assessed_at.desc(), Assessment.id)
        )
    )


def annotations_of(case_item: CaseItem) -> list[Annotation]:
    return list(
        db.session.scalars(
            select(Annotation)
            .where(Annotation.case_item_id == case_item.id)
            .options(selectinload(Annotation.author))
            .order_by(Annotation.created_at)
        )
    )


def corroborations_of(case_item: CaseItem) -> list[Corroboration]:
    return list(
        db.session.scalars(
            select(Corroboration)
            .where(
                or_(
                    Corroboration.from_item_id == case_item.id,
                    Corroboration.to_item_id == case_item.id,
                )
            )
            .order_by(Corroboration.created_at)
        )
    )


def casefile_assessments(casefile: CaseFile) -> list[Assessment]:
    return list(
        db.session.scalars(
            select(Assessment)
            .where(Assessment.casefile_id == casefile.id)
            .options(selectinload(Assessment.assessed_by))
            .order_by(Assessment.assessed_at.desc(), Assessment.id)
        )
    )
