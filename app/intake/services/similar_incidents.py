"""Incidents that may already record the one being entered: a place alike, within a day.

Two people often record one attack (a field researcher and a colleague, a phone and the web).
Before a new incident is saved, the incidents the person may see whose time comes within
NEAR_DAYS of the new one's, and whose place is spelled alike (app/intake/name_spelling.py: the
same place in Arabic script or another transliteration, or one letter apart) or whose coordinates
lie within NEAR_METRES, are named to them; they save anyway by saying it is a different incident.
Only what the viewer may see is searched (app/intake/visibility.py): the warning never tells
anyone that an incident they may not see exists.
"""

from __future__ import annotations

import math
from datetime import datetime, time, timedelta

from sqlalchemy import func, select

from app.extensions import db
from app.intake.errors import FieldError, IntakeValidationError
from app.intake.models import Incident
from app.intake.name_spelling import spelled_alike
from app.intake.opened_particulars import open_all
from app.intake.particulars import Particulars
from app.intake.services.incidents import IncidentInput
from app.intake.services.replay import replayed
from app.intake.visibility import visible_incidents
from app.investigations.viewer import InvestigationViewer
from app.security.org_keys import intake_only

NEAR_DAYS = 1
NEAR_METRES = 1000
SHOWN = 5  # named at most; more would be a list to search, not a warning
EARTH_RADIUS_M = 6_371_000


def similar_incidents(viewer: InvestigationViewer, data: IncidentInput) -> list[Incident]:
    """The visible incidents that may be the one `data` describes, oldest first."""
    if intake_only() or data.start_date is None:
        return []  # an intake-only node can open no place name to compare
    start = datetime.combine(data.start_date - timedelta(days=NEAR_DAYS), time.min)
    last_day = (data.end_date or data.start_date) + timedelta(days=NEAR_DAYS + 1)
    end = datetime.combine(last_day, time.min)
    rows = db.session.execute(
        visible_incidents(select(Incident.id, Incident.particulars), viewer).where(
            Incident.occurred_from < end,
            func.coalesce(Incident.occurred_to, Incident.occurred_from) >= start,
        )
    )
    alike = [
        incident_id
        for incident_id, (_text, particulars) in open_all(rows).items()
        if _same_place(data, particulars)
    ]
    if not alike:
        return []
    return list(
        db.session.scalars(
            select(Incident)
            .where(Incident.id.in_(alike))
            .order_by(Incident.occurred_from, Incident.created_at)
            .limit(SHOWN)
        )
    )


def refuse_if_similar(
    viewer: InvestigationViewer,
    data: IncidentInput,
    confirmed: bool,
    found: list[Incident],
    client_id: str | None = None,
) -> None:
    """Refuse to save while incidents like it exist, unless the person said it is a different
    one; `found` is given the incidents, for the page to list (the message names none). A form
    sent again (`client_id` already made its incident: the answer was lost) is not asked: it
    finds its own incident (app/intake/services/replay.py)."""
    if confirmed or replayed(Incident, client_id, viewer.investigation.id, viewer.user):
        return
    found[:] = similar_incidents(viewer, data)
    if found:
        raise IntakeValidationError([FieldError("not_a_duplicate", "possible_duplicate")])


def _same_place(data: IncidentInput, particulars: Particulars) -> bool:
    if not particulars.readable:
        return False
    mine, theirs = data.place_name.strip(), particulars.place_name.strip()
    if mine and theirs and (spelled_alike(mine, theirs) or spelled_alike(theirs, mine)):
        return True
    points = (data.latitude, data.longitude, particulars.latitude, particulars.longitude)
    return None not in points and _metres_apart(*points) <= NEAR_METRES


def _metres_apart(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine), ample for "within a kilometre"."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, a)))
