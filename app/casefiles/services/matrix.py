"""The elements x evidence matrix: which items support or undermine each element, and the gaps.

Support is counted in independent sources, not items (services/sources.py): a witness's
testimony and that witness's own media are one source. An element is flagged when nothing
supports it, or when everything that supports it is one hearsay source (testimony that is not
first-hand): a prosecutor would call both unproven. Each cell shows the item's current grade.
An item destroyed under retention keeps its column and the stances it was linked with, marked
destroyed, and no longer counts as support: it can no longer be produced.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from app.casefiles.models import (
    Assessment,
    CaseFile,
    CaseItem,
    ElementLink,
    LegalCrime,
    LegalElement,
    Stance,
)
from app.casefiles.services.casefiles import elements_of
from app.casefiles.services.items import ItemSummary
from app.casefiles.services.sources import Source, group_sources
from app.extensions import db


@dataclass
class MatrixRow:
    element: LegalElement
    crime: LegalCrime
    # case item id -> the stances its links take on this element
    cells: dict[str, set[str]] = field(default_factory=dict)
    supporting: int = 0  # distinct items
    undermining: int = 0
    single_hearsay: bool = False
    sources: list[Source] = field(default_factory=list)  # independent sources that support it

    @property
    def supporting_sources(self) -> int:
        return len(self.sources)

    @property
    def no_support(self) -> bool:
        return self.supporting == 0

    @property
    def flagged(self) -> bool:
        return self.no_support or self.single_hearsay

    def stances(self, case_item_id: str) -> set[str]:
        return self.cells.get(case_item_id, set())


@dataclass
class Matrix:
    columns: list[tuple[CaseItem, ItemSummary]]
    rows: list[MatrixRow]
    grades: dict[str, str] = field(default_factory=dict)  # case item id -> current grade, "B2"

    def number(self, case_item_id: str) -> int:
        """The item's column number on the page (#1, #2...)."""
        return next(n for n, (item, _) in enumerate(self.columns, 1) if item.id == case_item_id)

    @property
    def gaps(self) -> list[MatrixRow]:
        return [row for row in self.rows if row.no_support]

    @property
    def single_hearsay(self) -> list[MatrixRow]:
        return [row for row in self.rows if row.single_hearsay]

    def by_crime(self) -> list[tuple[LegalCrime, list[MatrixRow]]]:
        groups: list[tuple[LegalCrime, list[MatrixRow]]] = []
        for row in self.rows:
            if not groups or groups[-1][0].id != row.crime.id:
                groups.append((row.crime, []))
            groups[-1][1].append(row)
        return groups

    def row_for(self, crime_code: str, element_code: str) -> MatrixRow:
        for row in self.rows:
            if row.crime.code == crime_code and row.element.code == element_code:
                return row
        raise KeyError((crime_code, element_code))


def build_matrix(casefile: CaseFile, summaries: dict[str, ItemSummary]) -> Matrix:
    """`summaries`: case item id -> summary of what the viewer may see (items.summaries_for)."""
    items = list(
        db.session.scalars(
            select(CaseItem).where(CaseItem.casefile_id == casefile.id).order_by(CaseItem.position)
        )
    )
    columns = [(item, summaries[item.id]) for item in items if item.id in summaries]
    shown = {item.id for item, _ in columns}
    counted = {item.id for item, summary in columns if not summary.gone}
    rows = {element.id: MatrixRow(element, element.crime) for element in elements_of(casefile)}
    links = db.session.scalars(select(ElementLink).where(ElementLink.casefile_id == casefile.id))
    supporters: dict[int, set[str]] = {}
    underminers: dict[int, set[str]] = {}
    for link in links:
        row = rows.get(link.element_id)
        if row is None or link.case_item_id not in shown:
            continue
        row.cells.setdefault(link.case_item_id, set()).add(link.stance)
        if link.case_item_id not in counted:
            continue
        target = supporters if link.stance == Stance.SUPPORTING.value else underminers
        target.setdefault(link.element_id, set()).add(link.case_item_id)
    for element_id, row in rows.items():
        support = supporters.get(element_id, set())
        row.supporting = len(support)
        row.undermining = len(underminers.get(element_id, set()))
        row.sources = group_sources(item for item in items if item.id in support)
        row.single_hearsay = len(row.sources) == 1 and all(
            summaries[item_id].hearsay for item_id in row.sources[0].item_ids
        )
    return Matrix(columns=columns, rows=list(rows.values()), grades=current_grades(shown))


def current_grades(case_item_ids: set[str]) -> dict[str, str]:
    """Case item id -> its latest grade ("B2"), for the items that have one."""
    grades: dict[str, str] = {}
    rows = db.session.execute(
        select(Assessment.case_item_id, Assessment.reliability, Assessment.credibility)
        .where(Assessment.case_item_id.in_(case_item_ids))
        .order_by(Assessment.assessed_at.desc(), Assessment.id)
    )
    for case_item_id, reliability, credibility in rows:
        grades.setdefault(case_item_id, f"{reliability}{credibility}")
    return grades
