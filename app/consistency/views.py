"""Consistency findings as the item page and the API show them, for one viewer.

The findings quote capture times and positions, which are identity information like the
capture facts themselves (docs/security.md): a viewer without the identity grant sees how
many findings there are and when the item was checked, not what they say.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _

from app.consistency.comparison import CONSISTENT, FILE, MISMATCH
from app.consistency.models import ConsistencyCheck
from app.consistency.services import checks_of
from app.investigations.viewer import InvestigationViewer
from app.vault.models import EvidenceItem


@dataclass(frozen=True)
class CheckView:
    check: ConsistencyCheck
    details_visible: bool

    @property
    def document(self) -> dict[str, Any]:
        return json.loads(self.check.result) if self.details_visible else {}

    @property
    def checks(self) -> list[dict[str, Any]]:
        """The checks, each naming its source (a v1 result compared the file's facts alone)."""
        return [{"source": FILE, **c} for c in self.document.get("checks", [])]

    @property
    def rows(self) -> list[tuple[str, str, str, str]]:
        """(outcome, where the value comes from, what was compared, what was found)."""
        return [(c["outcome"], source_label(c), *describe(c)) for c in self.checks]

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "check_id": self.check.id,
            "checked_at": self.check.checked_at,
            "findings": self.check.findings,
            "result_sha256": self.check.result_sha256,
        }
        if self.details_visible:
            out["checks"] = self.checks
        return out


def check_views(viewer: InvestigationViewer, item: EvidenceItem) -> list[CheckView]:
    return [CheckView(c, viewer.may_see_identities) for c in checks_of(item)]


def consistency_panel(viewer: InvestigationViewer, item: EvidenceItem) -> dict:
    """The item page's "Consistency" panel (app/vault/hooks.py): always shown."""
    views = check_views(viewer, item)
    return {"checks": views, "latest": views[0] if views else None}


def _place(value: Any) -> str:
    return "—" if not value else f"{value[0]}, {value[1]}"


def source_label(check: dict[str, Any]) -> str:
    """Where the compared value comes from; a proof's claim names that proof's verdict."""
    source, verdict = check.get("source", FILE), (check.get("detail") or {}).get("proof_verdict")
    if source == "c2pa":
        return _("Claimed by its C2PA manifest (verdict: %(verdict)s)", verdict=verdict)
    if source == "proofmode":
        return _("Claimed by its ProofMode proof (verdict: %(verdict)s)", verdict=verdict)
    return _("The file's metadata (EXIF, ffprobe)")


def describe(check: dict[str, Any]) -> tuple[str, str]:
    """(what was compared, what was found) in words."""
    kind, d, outcome = check["check"], check.get("detail") or {}, check["outcome"]
    claimed = check.get("source", FILE) != FILE
    return _what(kind, d, claimed), _found_for(kind, d, outcome)


def _what(kind: str, d: dict[str, Any], claimed: bool) -> str:
    file, place = d.get("file") or "—", _place(d.get("file"))
    stated = d.get("stated")
    if kind == "time_vs_stated":
        if claimed:
            return _(
                "Capture time: claimed %(file)s, stated %(stated)s", file=file, stated=stated or "—"
            )
        return _("Capture time: file %(file)s, stated %(stated)s", file=file, stated=stated or "—")
    if kind == "place_vs_stated":
        if claimed:
            return _(
                "Place: claimed %(file)s, stated %(stated)s", file=place, stated=_place(stated)
            )
        return _("Place: file %(file)s, stated %(stated)s", file=place, stated=_place(stated))
    if kind == "time_vs_incident":
        start, end = d.get("window") or ["", ""]
        if claimed:
            return _(
                "Claimed capture time %(file)s against the incident's time, %(start)s to %(end)s",
                file=file,
                start=start,
                end=end,
            )
        return _(
            "Capture time %(file)s against the incident's time, %(start)s to %(end)s",
            file=file,
            start=start,
            end=end,
        )
    incident = _place(d.get("incident"))
    if claimed:
        return _(
            "Claimed place %(file)s against the incident's place %(incident)s",
            file=place,
            incident=incident,
        )
    return _(
        "Place %(file)s against the incident's place %(incident)s", file=place, incident=incident
    )


def _found_for(kind: str, d: dict[str, Any], outcome: str) -> str:
    if kind == "time_vs_stated":
        found = _found(outcome, _("%(minutes)s minutes apart", minutes=d.get("difference_minutes")))
        if d.get("zone_unknown"):
            found += " " + _(
                "(one time names its zone, the other does not: up to 14 hours allowed)"
            )
        return found
    if kind == "place_vs_stated":
        return _found(
            outcome,
            _(
                "%(metres)s m apart (up to %(allowed)s m expected)",
                metres=d.get("distance_m"),
                allowed=d.get("allowed_m"),
            ),
        )
    if kind == "time_vs_incident":
        if "before_minutes" in d:
            gap = _("%(minutes)s minutes before it", minutes=d["before_minutes"])
        elif "after_minutes" in d:
            gap = _("%(minutes)s minutes after it", minutes=d["after_minutes"])
        else:
            gap = _("within it")
        return _found(outcome, gap)
    return _found(
        outcome,
        _(
            "%(metres)s m away; its uncertainty radius is %(radius)s m",
            metres=d.get("distance_m"),
            radius=d.get("radius_m"),
        ),
    )


def _found(outcome: str, text: str) -> str:
    if outcome == MISMATCH:
        return _("Does not match: %(text)s", text=text)
    if outcome == CONSISTENT:
        return _("Consistent: %(text)s", text=text)
    return _("Not comparable: one side gives no value")
