"""The comparison itself: the capture time and place the file gives (its EXIF or ffprobe facts,
and what its C2PA manifest or ProofMode proof claims) against the uploader's statement and
against each incident the item is tied to. Findings to weigh, never verdicts.

Every check gives an outcome: `consistent`, `mismatch` (a finding for a person to weigh: a
camera clock set wrong, a copy re-saved, a place mistyped are all possible) or
`not_comparable` (one side is missing). Incident times are local at the place; a file time
that names its zone (a video's UTC creation time) can be compared with them only within a
day's worth of zones, and the check says so. Each check names its `source`: `file` (the
extracted metadata), `c2pa` or `proofmode` (a proof's claims, with that proof's verdict).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from app.consistency.claims import ProofClaims
from app.consistency.facts import (
    Moment,
    Place,
    distance_m,
    incident_window,
    parse_moment,
    parse_place,
)

CONSISTENT, MISMATCH, NOT_COMPARABLE = "consistent", "mismatch", "not_comparable"
FILE = "file"  # the source of the EXIF or ffprobe facts
# A device clock and the time a person remembers rarely agree to the second.
STATED_TIME_TOLERANCE = timedelta(minutes=5)
# A phone's GPS fix and a position typed from a map rarely agree to the metre.
STATED_PLACE_TOLERANCE_M = 100.0
# The widest gap between UTC and a local time (UTC-12 to UTC+14).
UNKNOWN_ZONE_SLACK = timedelta(hours=14)


@dataclass
class Check:
    check: str  # time_vs_stated, place_vs_stated, time_vs_incident, place_vs_incident
    outcome: str
    detail: dict[str, Any] = field(default_factory=dict)
    source: str = FILE  # file, c2pa, proofmode

    def as_dict(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "source": self.source,
            "outcome": self.outcome,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class FileFacts:
    time: Moment | None
    place: Place | None


def file_facts(extracted_fields: dict[str, Any]) -> FileFacts:
    """From the extracted metadata: EXIF DateTimeOriginal (+ offset) or ffprobe's creation
    time; EXIF GPS or the video's ISO 6709 location."""
    time = parse_moment(
        extracted_fields.get("captured_at"), extracted_fields.get("captured_at_offset")
    ) or parse_moment(extracted_fields.get("created_at"))
    return FileFacts(time, parse_place(extracted_fields.get("gps")))


def stated_facts(client_facts: dict[str, Any]) -> FileFacts:
    """What the uploader stated at upload: `captured_at`, and `location` or lat/lon."""
    place = parse_place(client_facts.get("location")) or parse_place(None, client_facts)
    return FileFacts(parse_moment(client_facts.get("captured_at")), place)


def compare(
    extracted_fields: dict[str, Any],
    client_facts: dict[str, Any],
    incidents: Sequence[Any],
    claims: Sequence[ProofClaims] = (),
) -> list[Check]:
    """All checks, in a stable order: the file's facts, then each proof's claims; for each,
    against the statement, then each incident by id."""
    stated = stated_facts(client_facts)
    ordered = sorted(incidents, key=lambda i: i.id)
    checks = _checks_of(file_facts(extracted_fields), stated, ordered, FILE, {})
    for claim in claims:
        proof = {"proof_check_id": claim.check_id, "proof_verdict": claim.verdict}
        facts = FileFacts(claim.time, claim.place)
        checks += _checks_of(facts, stated, ordered, claim.source, proof)
    return checks


def _checks_of(
    facts: FileFacts,
    stated: FileFacts,
    incidents: Sequence[Any],
    source: str,
    proof: dict[str, Any],
) -> list[Check]:
    checks = [time_vs_stated(facts.time, stated.time), place_vs_stated(facts.place, stated.place)]
    for incident in incidents:
        checks.append(time_vs_incident(facts.time, incident))
        checks.append(place_vs_incident(facts.place, incident))
    for check in checks:
        check.source = source
        check.detail.update(proof)
    return checks


def _minutes(delta: timedelta) -> int:
    return round(delta.total_seconds() / 60)


def time_vs_stated(file: Moment | None, stated: Moment | None) -> Check:
    if file is None or stated is None:
        return Check(
            "time_vs_stated", NOT_COMPARABLE, {"file": _text(file), "stated": _text(stated)}
        )
    slack = STATED_TIME_TOLERANCE
    if file.zoned != stated.zoned:
        slack += UNKNOWN_ZONE_SLACK
    gap = abs(file.value - stated.value)
    outcome = CONSISTENT if gap <= slack else MISMATCH
    return Check(
        "time_vs_stated",
        outcome,
        {
            "file": file.text,
            "stated": stated.text,
            "difference_minutes": _minutes(gap),
            "zone_unknown": file.zoned != stated.zoned,
        },
    )


def place_vs_stated(file: Place | None, stated: Place | None) -> Check:
    if file is None or stated is None:
        return Check(
            "place_vs_stated", NOT_COMPARABLE, {"file": _pos(file), "stated": _pos(stated)}
        )
    allowed = STATED_PLACE_TOLERANCE_M + (file.accuracy_m or 0) + (stated.accuracy_m or 0)
    gap = distance_m(file, stated)
    return Check(
        "place_vs_stated",
        CONSISTENT if gap <= allowed else MISMATCH,
        {
            "file": _pos(file),
            "stated": _pos(stated),
            "distance_m": round(gap),
            "allowed_m": round(allowed),
        },
    )


def time_vs_incident(file: Moment | None, incident: Any) -> Check:
    start, end = incident_window(incident)
    detail: dict[str, Any] = {
        "incident_id": incident.id,
        "file": _text(file),
        "window": [start.isoformat(), end.isoformat()],
    }
    if file is None:
        return Check("time_vs_incident", NOT_COMPARABLE, detail)
    slack = UNKNOWN_ZONE_SLACK if file.zoned else timedelta(0)
    detail["zone_unknown"] = file.zoned
    if file.value < start - slack:
        detail["before_minutes"] = _minutes(start - file.value)
        return Check("time_vs_incident", MISMATCH, detail)
    if file.value > end + slack:
        detail["after_minutes"] = _minutes(file.value - end)
        return Check("time_vs_incident", MISMATCH, detail)
    return Check("time_vs_incident", CONSISTENT, detail)


def place_vs_incident(file: Place | None, incident: Any) -> Check:
    detail: dict[str, Any] = {"incident_id": incident.id, "file": _pos(file)}
    if incident.latitude is None or incident.longitude is None or file is None:
        return Check("place_vs_incident", NOT_COMPARABLE, detail)
    place = Place(incident.latitude, incident.longitude)
    radius = float(incident.precision_m or 0)
    allowed = radius + (file.accuracy_m or 0)
    gap = distance_m(file, place)
    detail.update(
        {
            "incident": _pos(place),
            "distance_m": round(gap),
            "radius_m": round(radius),
            "allowed_m": round(allowed),
        }
    )
    return Check("place_vs_incident", CONSISTENT if gap <= allowed else MISMATCH, detail)


def _text(moment: Moment | None) -> str | None:
    return None if moment is None else moment.text


def _pos(place: Place | None) -> list[float] | None:
    return None if place is None else [round(place.latitude, 7), round(place.longitude, 7)]


def findings(checks: Sequence[Check]) -> int:
    return sum(1 for c in checks if c.outcome == MISMATCH)
