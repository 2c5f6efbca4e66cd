"""Lists with search and filters, the incident map's markers and the timeline.

Each list runs a fixed number of queries whatever its length: rows come with their related
rows through selectinload and with their counts as correlated subqueries, never per row.
Counts and flags about testimony are computed over the interviews the viewer may see, and
"has photos / has video" over the evidence the viewer may see (linked to the incident, or
attached to a visible testimony about it), so a filter cannot reveal another field worker's
testimony or uploads either.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, and_, exists, false, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from app.extensions import db
from app.intake.models import (
    ConsentRecord,
    Incident,
    IncidentPerpetrator,
    Interview,
    InterviewEvidence,
    InterviewStatus,
    RiskLevel,
    Witness,
    incident_targets,
    interview_incidents,
)
from app.intake.name_spelling import names_spelled_alike
from app.intake.textinput import clean_line, looks_like_row_id, looks_like_term_code
from app.intake.views import interview_summary, witness_view
from app.intake.visibility import (
    visible_incidents,
    visible_interview_ids,
    visible_interviews,
    visible_witnesses,
)
from app.intake.when import incident_when
from app.investigations.viewer import InvestigationViewer
from app.security.org_keys import intake_only
from app.vault.incident_links import IncidentEvidence
from app.vault.models import EvidenceItem, EvidenceKind, visible_evidence

T = TypeVar("T")
PER_PAGE = 50
MAP_LIMIT = 5000  # markers in one map response: far more than one investigation holds
TIMELINE_LIMIT = 2000


@dataclass
class Page(Generic[T]):
    items: list[T]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_prev(self) -> bool:
        return self.page > 1


@dataclass
class IncidentFilters:
    q: str = ""
    date_from: date | None = None
    date_to: date | None = None
    area: str = ""
    weapon: str = ""
    target: str = ""
    perpetrator: str = ""
    has_video: bool | None = None  # None: either
    has_photo: bool | None = None
    has_testimony: bool | None = None

    @property
    def active(self) -> bool:
        return any(value not in (None, "") for value in self.__dict__.values())


@dataclass
class IncidentRow:
    incident: Incident
    testimony_count: int
    has_video: bool
    has_photo: bool = False


@dataclass
class TimelineMonth:
    label: date  # first day of the month
    rows: list[IncidentRow] = field(default_factory=list)


def _page_number(page: int) -> int:
    return max(1, min(int(page or 1), 100_000))


def _testimony_count(viewer: InvestigationViewer) -> Any:
    return (
        select(func.count())
        .select_from(interview_incidents)
        .where(
            interview_incidents.c.incident_id == Incident.id,
            interview_incidents.c.interview_id.in_(visible_interview_ids(viewer)),
        )
        .correlate(Incident)
        .scalar_subquery()
    )


def _has_media(viewer: InvestigationViewer, kind: EvidenceKind) -> Any:
    """Whether the viewer may see an item of `kind` about the incident: linked to it directly,
    or among the files of a visible testimony about it. Both sides are uncorrelated subqueries
    of incident ids, so the database builds each set once per query, not once per incident."""
    visible_of_kind = visible_evidence(select(EvidenceItem.id), viewer).where(
        EvidenceItem.kind == kind.value
    )
    linked = select(IncidentEvidence.incident_id).where(
        IncidentEvidence.evidence_id.in_(visible_of_kind)
    )
    in_testimony = (
        select(interview_incidents.c.incident_id)
        .join(
            InterviewEvidence,
            InterviewEvidence.interview_id == interview_incidents.c.interview_id,
        )
        .where(
            interview_incidents.c.interview_id.in_(visible_interview_ids(viewer)),
            InterviewEvidence.evidence_id.in_(visible_of_kind),
        )
    )
    return or_(Incident.id.in_(linked), Incident.id.in_(in_testimony))


def _filtered_incidents(viewer: InvestigationViewer, filters: IncidentFilters) -> Select:
    filters = _cleaned(filters)
    testimony_count = _testimony_count(viewer)
    has_video = _has_media(viewer, EvidenceKind.VIDEO)
    has_photo = _has_media(viewer, EvidenceKind.PHOTO)
    stmt = visible_incidents(
        select(
            Incident,
            testimony_count.label("testimony_count"),
            has_video.label("has_video"),
            has_photo.label("has_photo"),
        ),
        viewer,
    )
    if filters.q:
        term = filters.q
        places, areas = _places_spelled_alike(viewer, term)
        stmt = stmt.where(
            or_(
                Incident.place_name.icontains(term, autoescape=True),
                Incident.admin_area.icontains(term, autoescape=True),
                Incident.place_name.in_(places),
                Incident.admin_area.in_(areas),
                _perpetrator_matches(viewer, term),
            )
        )
    if filters.date_from:
        start = datetime.combine(filters.date_from, time(0, 0))
        stmt = stmt.where(func.coalesce(Incident.occurred_to, Incident.occurred_from) >= start)
    if filters.date_to:
        # The last instant of that day (the next midnight does not exist after 9999-12-31).
        end = datetime.combine(filters.date_to, time.max)
        stmt = stmt.where(Incident.occurred_from <= end)
    if filters.area:
        stmt = stmt.where(func.lower(Incident.admin_area) == filters.area.lower())
    if filters.weapon:
        # An unknown code matches nothing (and never reaches the database as odd bytes).
        known = looks_like_term_code(filters.weapon)
        stmt = stmt.where(Incident.weapon_code == filters.weapon if known else false())
    if filters.target and not looks_like_term_code(filters.target):
        stmt = stmt.where(false())
    elif filters.target:
        stmt = stmt.where(
            exists(
                select(1)
                .select_from(incident_targets)
                .where(
                    incident_targets.c.incident_id == Incident.id,
                    incident_targets.c.target_code == filters.target,
                )
            )
        )
    if filters.perpetrator:
        stmt = stmt.where(_perpetrator_matches(viewer, filters.perpetrator))
    if filters.has_video is not None:
        stmt = stmt.where(has_video if filters.has_video else ~has_video)
    if filters.has_photo is not None:
        stmt = stmt.where(has_photo if filters.has_photo else ~has_photo)
    if filters.has_testimony is not None:
        stmt = stmt.where(testimony_count > 0 if filters.has_testimony else testimony_count == 0)
    return stmt


def _cleaned(filters: IncidentFilters) -> IncidentFilters:
    """Free-text filters as one clean line each (no control characters, bounded length)."""
    return replace(
        filters,
        q=clean_line(filters.q)[:200],
        area=clean_line(filters.area)[:120],
        perpetrator=clean_line(filters.perpetrator)[:200],
        weapon=(filters.weapon or "").strip(),
        target=(filters.target or "").strip(),
    )


def _places_spelled_alike(viewer: InvestigationViewer, term: str) -> tuple[list[str], list[str]]:
    """The place names and areas of the viewer's incidents that `term` may mean, in another
    script or a near spelling (app/intake/name_spelling.py): one query, matched here."""
    if intake_only():  # its database role may not read places back (known_areas)
        return [], []
    stmt = visible_incidents(select(Incident.place_name, Incident.admin_area).distinct(), viewer)
    rows = db.session.execute(stmt).all()
    places = names_spelled_alike(term, sorted({place for place, _ in rows if place}))
    areas = names_spelled_alike(term, sorted({area for _, area in rows if area}))
    return places, areas


def _perpetrator_matches(viewer: InvestigationViewer, term: str) -> Any:
    alike = [] if intake_only() else names_spelled_alike(term, known_perpetrators(viewer))
    return exists(
        select(1).where(
            and_(
                IncidentPerpetrator.incident_id == Incident.id,
                or_(
                    IncidentPerpetrator.name.icontains(term, autoescape=True),
                    IncidentPerpetrator.name.in_(alike),
                ),
            )
        )
    )


def _rows(stmt: Select) -> list[IncidentRow]:
    stmt = stmt.options(
        selectinload(Incident.perpetrators),
        selectinload(Incident.targets),
        selectinload(Incident.weapon),
    )
    return [
        IncidentRow(
            incident=incident,
            testimony_count=int(count or 0),
            has_video=bool(video),
            has_photo=bool(photo),
        )
        for incident, count, video, photo in db.session.execute(stmt)
    ]


def search_incidents(
    viewer: InvestigationViewer, filters: IncidentFilters, page: int = 1, per_page: int = PER_PAGE
) -> Page[IncidentRow]:
    """One page of the incidents matching the filters, newest first."""
    page = _page_number(page)
    stmt = _filtered_incidents(viewer, filters)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    stmt = (
        stmt.order_by(Incident.occurred_from.desc(), Incident.created_at.desc(), Incident.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return Page(items=_rows(stmt), total=int(total or 0), page=page, per_page=per_page)


def incident_markers(viewer: InvestigationViewer, filters: IncidentFilters) -> list[dict[str, Any]]:
    """Map markers: plain JSON values of the matching incidents that have coordinates."""
    stmt = (
        _filtered_incidents(viewer, filters)
        .where(Incident.latitude.is_not(None), Incident.longitude.is_not(None))
        .order_by(Incident.occurred_from.desc(), Incident.id)
        .limit(MAP_LIMIT)
    )
    markers = []
    for row in _rows(stmt):
        incident = row.incident
        markers.append(
            {
                "id": incident.id,
                "lat": incident.latitude,
                "lon": incident.longitude,
                "precision_m": incident.precision_m,
                "place_name": incident.place_name,
                "admin_area": incident.admin_area,
                "occurred_from": incident.occurred_from.isoformat(),
                "occurred_to": incident.occurred_to.isoformat() if incident.occurred_to else None,
                "time_certainty": incident.time_certainty,
                "uncertainty_minutes": incident.uncertainty_minutes,
                "when": incident_when(incident),
                "weapon": incident.weapon.label if incident.weapon else None,
                "killed": incident.killed,
                "injured": incident.injured,
                "testimony_count": row.testimony_count,
                "has_photo": row.has_photo,
                "has_video": row.has_video,
            }
        )
    return markers


def incident_timeline(
    viewer: InvestigationViewer, filters: IncidentFilters
) -> tuple[list[TimelineMonth], bool]:
    """Matching incidents in date order, grouped by month; and whether the list was cut."""
    stmt = (
        _filtered_incidents(viewer, filters)
        .order_by(Incident.occurred_from, Incident.created_at, Incident.id)
        .limit(TIMELINE_LIMIT + 1)
    )
    rows = _rows(stmt)
    truncated = len(rows) > TIMELINE_LIMIT
    months: OrderedDict[date, TimelineMonth] = OrderedDict()
    for row in rows[:TIMELINE_LIMIT]:
        key = row.incident.occurred_from.date().replace(day=1)
        months.setdefault(key, TimelineMonth(label=key)).rows.append(row)
    return list(months.values()), truncated


def known_areas(viewer: InvestigationViewer) -> list[str]:
    """Administrative areas already used in the investigation (suggestions for forms).

    None on an intake-only node: its database role may not read places back, and a seized
    node should not hand out the list.
    """
    if intake_only():
        return []
    stmt = visible_incidents(select(Incident.admin_area).distinct(), viewer).where(
        Incident.admin_area != ""
    )
    return sorted(db.session.scalars(stmt), key=str.casefold)


def known_perpetrators(viewer: InvestigationViewer) -> list[str]:
    stmt = (
        select(IncidentPerpetrator.name)
        .distinct()
        .join(Incident, Incident.id == IncidentPerpetrator.incident_id)
    )
    return sorted(db.session.scalars(visible_incidents(stmt, viewer)), key=str.casefold)


# --- Witnesses and interviews -------------------------------------------------------------------


def list_witnesses(
    viewer: InvestigationViewer, q: str = "", risk_level: str = "", page: int = 1
) -> Page[dict[str, Any]]:
    """The witnesses the viewer may see, newest code first, by code alone.

    A list never carries identities, even to members with the grant: an identity is revealed
    one witness at a time with a stated reason, which the access log records.
    """
    page = _page_number(page)
    interview_count = (
        select(func.count())
        .select_from(Interview)
        .where(Interview.witness_id == Witness.id, Interview.id.in_(visible_interview_ids(viewer)))
        .correlate(Witness)
        .scalar_subquery()
    )
    stmt = visible_witnesses(select(Witness, interview_count.label("interviews")), viewer)
    q = clean_line(q)[:40]
    if q:
        stmt = stmt.where(Witness.code.icontains(q, autoescape=True))
    if risk_level in tuple(RiskLevel):
        stmt = stmt.where(Witness.risk_level == risk_level)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    options = [
        selectinload(Witness.consent_records).options(
            joinedload(ConsentRecord.obtained_by), joinedload(ConsentRecord.recorded_by)
        ),
        joinedload(Witness.created_by),
    ]
    stmt = (
        stmt.options(*options)
        .order_by(Witness.number.desc())
        .limit(PER_PAGE)
        .offset((page - 1) * PER_PAGE)
    )
    items = []
    for witness, count in db.session.execute(stmt):
        view = witness_view(witness, None)
        view["interview_count"] = int(count or 0)
        items.append(view)
    return Page(items=items, total=int(total or 0), page=page, per_page=PER_PAGE)


def list_interviews(
    viewer: InvestigationViewer,
    status: str = "",
    witness_id: str = "",
    incident_id: str = "",
    page: int = 1,
) -> Page[dict[str, Any]]:
    """The interviews the viewer may see (field staff: their own), newest first."""
    page = _page_number(page)
    stmt = visible_interviews(select(Interview), viewer)
    if status in tuple(InterviewStatus):
        stmt = stmt.where(Interview.status == status)
    if witness_id:
        stmt = stmt.where(
            Interview.witness_id == witness_id if looks_like_row_id(witness_id) else false()
        )
    if incident_id and not looks_like_row_id(incident_id):
        stmt = stmt.where(false())
    elif incident_id:
        stmt = stmt.where(
            Interview.id.in_(
                select(interview_incidents.c.interview_id).where(
                    interview_incidents.c.incident_id == incident_id
                )
            )
        )
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    stmt = (
        stmt.options(
            joinedload(Interview.witness),
            joinedload(Interview.interviewer),
            joinedload(Interview.created_by),
            joinedload(Interview.sealed_by),
            selectinload(Interview.incidents),
        )
        .order_by(Interview.conducted_on.desc(), Interview.created_at.desc(), Interview.id)
        .limit(PER_PAGE)
        .offset((page - 1) * PER_PAGE)
    )
    items = [interview_summary(interview) for interview in db.session.scalars(stmt).unique()]
    return Page(items=items, total=int(total or 0), page=page, per_page=PER_PAGE)
