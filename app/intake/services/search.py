"""Incident lists with search and filters, the incident map's markers and the timeline.

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

from sqlalchemy import Select, exists, false, func, or_, select
from sqlalchemy.orm import defer, load_only, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from app.extensions import db
from app.intake.models import (
    Incident,
    InterviewEvidence,
    incident_targets,
    interview_incidents,
)
from app.intake.opened_particulars import open_all
from app.intake.particulars import Particulars
from app.intake.textinput import clean_line, looks_like_term_code
from app.intake.visibility import (
    visible_incidents,
    visible_interview_ids,
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


def page_number(page: int) -> int:
    """A requested page number, kept within 1..100,000."""
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


def _counts(viewer: InvestigationViewer) -> tuple[Any, Any, Any]:
    """Testimony count, has video, has photo: each over what the viewer may see."""
    return (
        _testimony_count(viewer),
        _has_media(viewer, EvidenceKind.VIDEO),
        _has_media(viewer, EvidenceKind.PHOTO),
    )


def _clear_filters(viewer: InvestigationViewer, filters: IncidentFilters) -> Select:
    """The ids of the visible incidents that pass the filters on columns kept in the clear
    (dates, weapon, target, photos, video, testimony); the sealed ones are applied in Python."""
    testimony_count, has_video, has_photo = _counts(viewer)
    stmt = visible_incidents(select(Incident.id), viewer)
    if filters.date_from:
        start = datetime.combine(filters.date_from, time(0, 0))
        stmt = stmt.where(func.coalesce(Incident.occurred_to, Incident.occurred_from) >= start)
    if filters.date_to:
        # The last instant of that day (the next midnight does not exist after 9999-12-31).
        end = datetime.combine(filters.date_to, time.max)
        stmt = stmt.where(Incident.occurred_from <= end)
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


def _sealed_match(particulars: Particulars | None, filters: IncidentFilters) -> bool:
    """The filters on sealed particulars, on one opened value (unreadable matches none)."""
    if not (filters.q or filters.area or filters.perpetrator):
        return True
    if particulars is None:
        return False
    return (
        (not filters.q or particulars.matches_text(filters.q))
        and (not filters.area or particulars.in_area(filters.area))
        and (not filters.perpetrator or particulars.names_perpetrator(filters.perpetrator))
    )


@dataclass
class OpenedIncidents:
    """Every incident a viewer may see, its particulars opened: one sealed value each.

    Decrypt-and-filter (docs/security.md, "Sealed fields"): what lists, the map and the
    timeline search in (places, areas, perpetrators) is sealed, so it is opened here, on the
    reading node, for the incidents the viewer may see and no others, once per page
    (app/intake/opened_particulars.py keeps what a worker opened).
    """

    viewer: InvestigationViewer
    opened: dict[str, tuple[str, Particulars]]

    def particulars(self, incident_id: str) -> Particulars | None:
        hit = self.opened.get(incident_id)
        return None if hit is None else hit[1]

    def matching_ids(self, filters: IncidentFilters, order: tuple) -> list[str]:
        """The ids passing every filter, in `order`: clear columns in SQL, sealed ones here."""
        filters = _cleaned(filters)
        ordered = db.session.scalars(_clear_filters(self.viewer, filters).order_by(*order))
        return [i for i in ordered if _sealed_match(self.particulars(i), filters)]

    def known_areas(self) -> list[str]:
        """Administrative areas already used in the investigation (suggestions for forms)."""
        areas = {p.admin_area for p in self._readable() if p.admin_area}
        return sorted(areas, key=str.casefold)

    def known_perpetrators(self) -> list[str]:
        names = {name for p in self._readable() for name in p.perpetrators}
        return sorted(names, key=str.casefold)

    def fill(self, incident: Incident) -> None:
        """Give a row loaded without its particulars the value opened here (not opened twice)."""
        hit = self.opened.get(incident.id)
        if hit is not None and "particulars" not in incident.__dict__:
            set_committed_value(incident, "particulars", hit[0])

    def _readable(self) -> list[Particulars]:
        return [p for _text, p in self.opened.values() if p.readable]


def open_incidents(viewer: InvestigationViewer) -> OpenedIncidents:
    """The viewer's incidents with their particulars open; none on an intake-only node, whose
    database role may not read them and which holds no key to open them."""
    if intake_only():
        return OpenedIncidents(viewer, {})
    rows = db.session.execute(visible_incidents(select(Incident.id, Incident.particulars), viewer))
    return OpenedIncidents(viewer, open_all(rows))


# What naming an incident ("12 May 2016, about 09:30 — Al-Quds hospital") loads: its time as
# entered and its sealed particulars, not its long texts.
LABEL_LOAD = load_only(
    Incident.id,
    Incident.occurred_from,
    Incident.occurred_to,
    Incident.time_certainty,
    Incident.uncertainty_minutes,
    Incident.particulars,
)

# Sort orders: all on columns kept in the clear (times), so the database sorts.
LIST_ORDER = (Incident.occurred_from.desc(), Incident.created_at.desc(), Incident.id)
MAP_ORDER = (Incident.occurred_from.desc(), Incident.id)
TIMELINE_ORDER = (Incident.occurred_from, Incident.created_at, Incident.id)


def _rows(
    opened: OpenedIncidents, ids: list[str], order: tuple, texts: bool = False
) -> list[IncidentRow]:
    """The given incidents with their counts, in `order`. Unless `texts` is asked for, the
    long sealed texts pages do not list (description, who reported the figures, the note on
    an "other" target) are neither loaded nor opened."""
    if not ids:
        return []
    viewer = opened.viewer
    testimony_count, has_video, has_photo = _counts(viewer)
    deferred = (
        []
        if texts
        else [
            defer(Incident.description),
            defer(Incident.casualties_reported_by),
            defer(Incident.target_note),
        ]
    )
    stmt = (
        visible_incidents(
            select(
                Incident,
                testimony_count.label("testimony_count"),
                has_video.label("has_video"),
                has_photo.label("has_photo"),
            ),
            viewer,
        )
        .where(Incident.id.in_(ids))
        .options(
            *deferred,
            defer(Incident.particulars),  # opened already: given to each row below
            selectinload(Incident.targets),
            selectinload(Incident.weapon),
        )
        .order_by(*order)
    )
    rows = []
    for incident, count, video, photo in db.session.execute(stmt):
        opened.fill(incident)
        rows.append(IncidentRow(incident, int(count or 0), bool(video), bool(photo)))
    return rows


def search_incidents(
    viewer: InvestigationViewer,
    filters: IncidentFilters,
    page: int = 1,
    per_page: int = PER_PAGE,
    opened: OpenedIncidents | None = None,
    texts: bool = False,
) -> Page[IncidentRow]:
    """One page of the incidents matching the filters, newest first (`texts`: with the long
    sealed texts opened too, for the API)."""
    page = page_number(page)
    opened = opened or open_incidents(viewer)
    ids = opened.matching_ids(filters, LIST_ORDER)
    shown = ids[(page - 1) * per_page : page * per_page]
    rows = _rows(opened, shown, LIST_ORDER, texts)
    return Page(items=rows, total=len(ids), page=page, per_page=per_page)


def incident_markers(
    viewer: InvestigationViewer, filters: IncidentFilters, opened: OpenedIncidents | None = None
) -> list[dict[str, Any]]:
    """Map markers: plain JSON values of the matching incidents that have coordinates.

    None on an intake-only node: it cannot open a place (nor may its role read one).
    """
    if intake_only():
        return []
    opened = opened or open_incidents(viewer)
    ids = [
        i
        for i in opened.matching_ids(filters, MAP_ORDER)
        if (p := opened.particulars(i)) is not None and p.has_coordinates
    ]
    markers = []
    for row in _rows(opened, ids[:MAP_LIMIT], MAP_ORDER):
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
                "weapon": incident.weapon.shown_label if incident.weapon else None,
                "killed": incident.killed,
                "injured": incident.injured,
                "testimony_count": row.testimony_count,
                "has_photo": row.has_photo,
                "has_video": row.has_video,
            }
        )
    return markers


def incident_timeline(
    viewer: InvestigationViewer, filters: IncidentFilters, opened: OpenedIncidents | None = None
) -> tuple[list[TimelineMonth], bool]:
    """Matching incidents in date order, grouped by month; and whether the list was cut."""
    opened = opened or open_incidents(viewer)
    ids = opened.matching_ids(filters, TIMELINE_ORDER)
    rows = _rows(opened, ids[:TIMELINE_LIMIT], TIMELINE_ORDER)
    months: OrderedDict[date, TimelineMonth] = OrderedDict()
    for row in rows:
        key = row.incident.occurred_from.date().replace(day=1)
        months.setdefault(key, TimelineMonth(label=key)).rows.append(row)
    return list(months.values()), len(ids) > TIMELINE_LIMIT


def known_areas(viewer: InvestigationViewer) -> list[str]:
    """Administrative areas already used in the investigation (suggestions for forms).

    None on an intake-only node: it cannot open places, and a seized node should not hand
    out the list.
    """
    return open_incidents(viewer).known_areas()
