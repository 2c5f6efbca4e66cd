"""Case files: create and edit them, gather items, and link items to the elements of crimes.

Content changes only while a case file is a draft: what a second lawyer reviews and approves
is exactly what goes out (issue 6, item 4). Every change that touches an item is recorded in
the custody ledger against that item (linked_to_case), inside the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.casefiles.models import (
    CaseFile,
    CaseItem,
    CaseStatus,
    ElementLink,
    LegalCrime,
    LegalElement,
    LegalFramework,
    Stance,
)
from app.casefiles.services.errors import CaseFileConflict, CaseFileError
from app.casefiles.services.items import fetch_item
from app.custody.ledger import append_custody_event
from app.extensions import db
from app.intake.numbering import insert_with_next_number
from app.investigations.access import visible
from app.investigations.models import Investigation
from app.timeutil import utcnow

TITLE_MAX = 200
QUESTION_MAX = 4000
NOTE_MAX = 4000


def casefile_reference(investigation: Investigation, number: int) -> str:
    """CF-<investigation reference>-001: readable on paper, unique across the installation."""
    return f"CF-{investigation.reference}-{number:03d}"


# --- Lookups (through the access scope) ---------------------------------------------------------


def casefiles_of(investigation: Investigation, user: Any) -> list[CaseFile]:
    stmt = (
        visible(select(CaseFile), CaseFile, user)
        .where(CaseFile.investigation_id == investigation.id)
        .order_by(CaseFile.number)
    )
    return list(db.session.scalars(stmt))


def casefile_for(investigation: Investigation, reference: str, user: Any) -> CaseFile | None:
    stmt = (
        visible(select(CaseFile), CaseFile, user)
        .where(CaseFile.investigation_id == investigation.id, CaseFile.reference == reference)
        .options(selectinload(CaseFile.characterizations).selectinload(LegalCrime.elements))
    )
    return db.session.scalar(stmt)


def case_item_for(casefile: CaseFile, case_item_id: str) -> CaseItem | None:
    return db.session.scalar(
        select(CaseItem).where(CaseItem.casefile_id == casefile.id, CaseItem.id == case_item_id)
    )


def items_with_links(casefile: CaseFile) -> list[CaseItem]:
    """The case file's items in order, with their element links: two queries, not one an item."""
    stmt = (
        select(CaseItem)
        .where(CaseItem.casefile_id == casefile.id)
        .order_by(CaseItem.position)
        .options(selectinload(CaseItem.links))
    )
    return list(db.session.scalars(stmt))


def elements_of(casefile: CaseFile) -> list[LegalElement]:
    """The elements of every characterization, in characterization then element order."""
    return [element for crime in casefile.characterizations for element in crime.elements]


# --- Case files ---------------------------------------------------------------------------------


def create_casefile(
    investigation: Investigation,
    user: Any,
    title: str,
    legal_question: str,
    crime_ids: Iterable[int],
) -> CaseFile:
    title, legal_question = _clean_title(title), _clean_question(legal_question)
    crimes = _crimes(crime_ids)

    def build(number: int) -> CaseFile:
        return CaseFile(
            investigation_id=investigation.id,
            number=number,
            reference=casefile_reference(investigation, number),
            title=title,
            legal_question=legal_question,
            status=CaseStatus.DRAFT.value,
            author_id=user.id,
        )

    casefile = insert_with_next_number(
        CaseFile.number, CaseFile.investigation_id, investigation.id, build
    )
    casefile.characterizations = crimes
    db.session.flush()
    return casefile


def update_casefile(
    casefile: CaseFile, user: Any, title: str, legal_question: str, crime_ids: Iterable[int]
) -> CaseFile:
    require_draft(casefile)
    title, legal_question = _clean_title(title), _clean_question(legal_question)
    crimes = _crimes(crime_ids)
    removed = {crime.id for crime in casefile.characterizations} - {crime.id for crime in crimes}
    if removed and _links_to_crimes(casefile, removed):
        raise CaseFileError(
            "Items are linked to elements of a characterization you removed; unlink them first.",
            "crimes",
        )
    casefile.title = title
    casefile.legal_question = legal_question
    casefile.characterizations = crimes
    casefile.updated_at = utcnow()
    db.session.flush()
    return casefile


def require_draft(casefile: CaseFile) -> None:
    if casefile.status != CaseStatus.DRAFT.value:
        raise CaseFileConflict(
            "This case file is not a draft: return it to draft (with a comment) to change it."
        )


def _clean_title(title: str) -> str:
    title = " ".join((title or "").split())
    if not title:
        raise CaseFileError("Give the case file a title.", "title")
    if len(title) > TITLE_MAX:
        raise CaseFileError(f"The title is longer than {TITLE_MAX} characters.", "title")
    return title


def _clean_question(question: str) -> str:
    question = (question or "").strip()
    if not question:
        raise CaseFileError("State the legal question this case file answers.", "legal_question")
    if len(question) > QUESTION_MAX:
        raise CaseFileError("The legal question is too long.", "legal_question")
    return question


def _crimes(crime_ids: Iterable[int]) -> list[LegalCrime]:
    try:
        ids = sorted({int(value) for value in crime_ids})
    except (TypeError, ValueError):
        raise CaseFileError("Choose characterizations from the list.", "crimes") from None
    if not ids:
        raise CaseFileError("Choose at least one characterization.", "crimes")
    crimes = list(
        db.session.scalars(
            select(LegalCrime)
            .join(LegalFramework)
            .where(LegalCrime.id.in_(ids), LegalFramework.active.is_(True))
            .order_by(LegalCrime.position)
        )
    )
    if len(crimes) != len(ids):
        raise CaseFileError("Choose characterizations from the list.", "crimes")
    return crimes


def _links_to_crimes(casefile: CaseFile, crime_ids: set[int]) -> bool:
    return bool(
        db.session.scalar(
            select(func.count(ElementLink.id))
            .join(LegalElement, ElementLink.element_id == LegalElement.id)
            .where(ElementLink.casefile_id == casefile.id, LegalElement.crime_id.in_(crime_ids))
        )
    )


# --- Items --------------------------------------------------------------------------------------


def record_item_event(case_item: CaseItem, user: Any, action: str, details: dict) -> None:
    """A custody entry against the item itself, so its history shows every case-file use."""
    casefile = case_item.casefile
    append_custody_event(
        case_item.investigation_id,
        user,
        action,
        case_item.item_type,
        case_item.item_id,
        {"casefile_id": casefile.id, "casefile": casefile.reference, **details},
    )


def add_item(
    casefile: CaseFile, investigation: Investigation, user: Any, item_type: str, item_id: str
) -> CaseItem:
    require_draft(casefile)
    obj = fetch_item(investigation, user, item_type, item_id)
    exists = db.session.scalar(
        select(CaseItem.id).where(
            CaseItem.casefile_id == casefile.id,
            CaseItem.item_type == item_type,
            CaseItem.item_id == obj.id,
        )
    )
    if exists:
        raise CaseFileError("This item is already in the case file.", "item")
    last = db.session.scalar(
        select(func.coalesce(func.max(CaseItem.position), 0)).where(
            CaseItem.casefile_id == casefile.id
        )
    )
    case_item = CaseItem(
        casefile_id=casefile.id,
        investigation_id=investigation.id,
        item_type=item_type,
        item_id=obj.id,
        position=int(last) + 10,
        added_by_id=user.id,
    )
    db.session.add(case_item)
    db.session.flush()
    db.session.refresh(case_item, ["casefile"])
    record_item_event(case_item, user, "linked_to_case", {"op": "item_added"})
    return case_item


def link_element(
    casefile: CaseFile,
    user: Any,
    case_item: CaseItem,
    element_id: int | str,
    stance: str,
    note: str,
) -> ElementLink:
    require_draft(casefile)
    if stance not in {s.value for s in Stance}:
        raise CaseFileError("Say whether the item supports or undermines the element.", "stance")
    try:
        element_id = int(element_id)
    except (TypeError, ValueError):
        raise CaseFileError(
            "Choose an element of this case file's characterizations.", "element"
        ) from None
    element = next((e for e in elements_of(casefile) if e.id == element_id), None)
    if element is None:
        raise CaseFileError("Choose an element of this case file's characterizations.", "element")
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise CaseFileError("The note is too long.", "note")
    duplicate = db.session.scalar(
        select(ElementLink.id).where(
            ElementLink.case_item_id == case_item.id,
            ElementLink.element_id == element.id,
            ElementLink.stance == stance,
        )
    )
    if duplicate:
        raise CaseFileError("This item is already linked to that element that way.", "element")
    link = ElementLink(
        casefile_id=casefile.id,
        investigation_id=casefile.investigation_id,
        case_item_id=case_item.id,
        element_id=element.id,
        stance=stance,
        note=note or None,
        created_by_id=user.id,
    )
    db.session.add(link)
    db.session.flush()
    record_item_event(
        case_item,
        user,
        "linked_to_case",
        {
            "op": "element_linked",
            "link_id": link.id,
            "crime": element.crime.code,
            "element": element.code,
            "stance": stance,
        },
    )
    return link


def unlink_element(casefile: CaseFile, user: Any, link: ElementLink) -> None:
    require_draft(casefile)
    record_item_event(
        link.case_item,
        user,
        "linked_to_case",
        {
            "op": "element_unlinked",
            "link_id": link.id,
            "crime": link.element.crime.code,
            "element": link.element.code,
            "stance": link.stance,
        },
    )
    db.session.delete(link)
    db.session.flush()


def link_for(casefile: CaseFile, case_item: CaseItem, link_id: str) -> ElementLink | None:
    return db.session.scalar(
        select(ElementLink).where(
            ElementLink.id == link_id,
            ElementLink.case_item_id == case_item.id,
            ElementLink.casefile_id == casefile.id,
        )
    )
