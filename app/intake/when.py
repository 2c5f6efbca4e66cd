"""How an incident's time reads on every page, list, timeline, map popup, export and report.

One function, so the time shows everywhere the way it was entered: an exact moment, "about
09:30 ± 1 h", a range within a day ("10 November 2015, 08:30–10:30"), a day, a range of days.
"""

from __future__ import annotations

from typing import Any

import flask_babel
from flask_babel import gettext as _

from app.i18n import display_date, display_datetime
from app.intake.models import TimeCertainty


def _clock(value) -> str:
    return flask_babel.format_time(value, "short", rebase=False)


def margin(minutes: int) -> str:
    """± 15 min, ± 1 h, ± 1 h 30 min."""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return _("± %(minutes)d min", minutes=rest)
    if not rest:
        return _("± %(hours)d h", hours=hours)
    return _("± %(hours)d h %(minutes)d min", hours=hours, minutes=rest)


def incident_when(incident: Any) -> str:
    """The incident's time in the reader's language, as precisely as it was entered."""
    start, end = incident.occurred_from, incident.occurred_to
    certainty = incident.time_certainty
    if certainty == TimeCertainty.EXACT:
        return display_datetime(start)
    if certainty == TimeCertainty.ABOUT and incident.uncertainty_minutes:
        return _(
            "%(day)s, about %(time)s %(margin)s",
            day=display_date(start),
            time=_clock(start),
            margin=margin(incident.uncertainty_minutes),
        )
    if certainty == TimeCertainty.RANGE and end is not None:
        if start.date() == end.date():
            return _(
                "%(day)s, %(start)s–%(end)s",
                day=display_date(start),
                start=_clock(start),
                end=_clock(end),
            )
        return _("%(start)s to %(end)s", start=display_datetime(start), end=display_datetime(end))
    if certainty == TimeCertainty.DAYS and end is not None and start.date() != end.date():
        return _("%(start)s to %(end)s", start=display_date(start), end=display_date(end))
    return display_date(start)


def certainty_label(incident: Any) -> str:
    """The short tag beside the time: how precisely it is known."""
    return {
        TimeCertainty.EXACT: _("exact"),
        TimeCertainty.ABOUT: _("approximate"),
        TimeCertainty.DAY: _("day only"),
        TimeCertainty.RANGE: _("range"),
        TimeCertainty.DAYS: _("range of days"),
    }.get(incident.time_certainty, incident.time_certainty)
