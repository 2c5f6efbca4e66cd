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

from app.consistency.comparison import CONSISTENT, MISMATCH
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
    def rows(self) -> list[tuple[str, str, str]]:
        """(outcome, what was compared, what was found) for each check."""
        return [(c["outcome"], *describe(c)) for c in self.document.get("checks", [])]

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "check_id": self.check.id,
            "checked_at": self.check.checked_at,
            "findings": self.check.findings,
            "result_sha256": self.check.result_sha256,
        }
        if self.details_visible:
            out["checks"] = self.document.get("checks", [])
        return out


def check_views(viewer: InvestigationViewer, item: EvidenceItem) -> list[CheckView]:
    return [CheckView(c, viewer.may_see_identities) for c in checks_of(item)]


def consistency_panel(viewer: InvestigationViewer, item: EvidenceItem) -> dict:
    """The item page's "Consistency" panel (app/vault/hooks.py): always shown."""
    views = check_views(viewer, item)
    return {"checks": views, "latest": views[0] if views else None}


def _place(value: Any) -> str:
    return "—" if not value else f"{value[0]}, {value[1]}"


def describe(check: dict[str, Any]) -> tuple[str, str]:
    kind, d, outcome = check["check"], check.get("detail") or {}, check["outcome"]
    if kind == "time_vs_stated":
        what = _(
            "Capture time: file %(file)s, stated %(stated)s",
            file=d.get("file") or "—",
            stated=d.get("stated") or "—",
        )
        found = _found(outcome, _("%(minutes)s minutes apart", minutes=d.get("difference_minutes")))
        if d.get("zone_unknown"):
            found += " " + _(
                "(one time names its zone, the other does not: up to 14 hours allowed)"
            )
        return what, found
    if kind == "place_vs_stated":
        what = _(
            "Place: file %(file)s, stated %(stated)s",
            file=_place(d.get("file")),
            stated=_place(d.get("stated")),
        )
        return what, _found(
            outcome,
            _(
                "%(metres)s m apart (up to %(allowed)s m expected)",
                metres=d.get("distance_m"),
                allowed=d.get("allowed_m"),
            ),
        )
    if kind == "time_vs_incident":
        window = d.get("window") or ["", ""]
        what = _(
            "Capture time %(file)s against the incident's time, %(start)s to %(end)s",
            file=d.get("file") or "—",
            start=window[0],
            end=window[1],
        )
        if "before_minutes" in d:
            gap = _("%(minutes)s minutes before it", minutes=d["before_minutes"])
        elif "after_minutes" in d:
            gap = _("%(minutes)s minutes after it", minutes=d["after_minutes"])
        else:
            gap = _("within it")
        return what, _found(outcome, gap)
    what = _(
        "Place %(file)s against the incident's place %(incident)s",
        file=_place(d.get("file")),
        incident=_place(d.get("incident")),
    )
    return what, _found(
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
