"""The items a case file gathers (incidents, testimony, evidence), looked up through the scope.

Case files name items generically as (item_type, item_id). Every lookup here goes through the
investigation viewer with the rules of the package owning the item (intake for incidents and
testimony, the vault for evidence), so a case file can only ever hold (and show, preview and
export) what its user may see in that investigation: a lawyer account holding field membership
sees its own uploads only, as on the vault's pages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.casefiles.models import CaseItem, ItemType
from app.casefiles.services.errors import CaseFileError
from app.extensions import db
from app.intake.models import Incident, Interview
from app.intake.visibility import visible_incidents, visible_interviews
from app.intake.when import incident_when
from app.investigations.models import Investigation
from app.investigations.viewer import viewer_of
from app.vault.models import EvidenceItem, visible_evidence
from app.vault.reading.evidence import neutral_name
from app.vault.reading.item_view import capture_time

MODELS: dict[str, type] = {
    ItemType.INCIDENT.value: Incident,
    ItemType.INTERVIEW.value: Interview,
    ItemType.EVIDENCE.value: EvidenceItem,
}


@dataclass(frozen=True)
class ItemSummary:
    """What case-file pages show of an item (no identities: witnesses by pseudonym)."""

    item_type: str
    item_id: str
    label: str
    detail: str
    hearsay: bool  # testimony that is not first-hand
    obj: Any  # None for an item destroyed under retention (its tombstone is `detail`)
    gone: bool = False

    @property
    def key(self) -> str:
        return f"{self.item_type}:{self.item_id}"


def scoped_select(investigation: Investigation, user: Any, item_type: str):
    """A select over one item table, narrowed to what `user` may see in `investigation`.

    `user` None means the operator at the command line (who holds the database anyway): the
    investigation's items, nothing else.
    """
    model = MODELS[item_type]
    stmt = select(model).where(model.investigation_id == investigation.id)
    if user is None:
        return stmt
    if item_type == ItemType.INCIDENT.value:
        return visible_incidents(stmt, viewer_of(investigation, user))
    if item_type == ItemType.INTERVIEW.value:
        return visible_interviews(stmt, viewer_of(investigation, user))
    return visible_evidence(stmt, viewer_of(investigation, user))


def fetch_item(investigation: Investigation, user: Any, item_type: str, item_id: str) -> Any:
    """The item if `user` may see it in this investigation; CaseFileError otherwise."""
    if item_type not in MODELS:
        raise CaseFileError("Choose an incident, a testimony or an evidence item.", "item")
    model = MODELS[item_type]
    obj = db.session.scalar(
        scoped_select(investigation, user, item_type).where(model.id == str(item_id))
    )
    if obj is None:
        raise CaseFileError("Choose an item of this investigation.", "item")
    return obj


def fetch_items(
    investigation: Investigation, user: Any, items: Iterable[CaseItem]
) -> dict[tuple[str, str], Any]:
    """The objects behind case items, one query per item type, scoped like fetch_item."""
    wanted: dict[str, set[str]] = {}
    for item in items:
        wanted.setdefault(item.item_type, set()).add(item.item_id)
    found: dict[tuple[str, str], Any] = {}
    for item_type, ids in wanted.items():
        model = MODELS[item_type]
        stmt = scoped_select(investigation, user, item_type).where(model.id.in_(ids))
        if item_type == ItemType.INTERVIEW.value:
            stmt = stmt.options(selectinload(Interview.witness))
        for obj in db.session.scalars(stmt):
            found[(item_type, obj.id)] = obj
    return found


def summarize(item_type: str, obj: Any, names_visible: bool = False) -> ItemSummary:
    """The item named by what it is; `names_visible`: the viewer holds the identity grant.

    Evidence is named by its file name and capture time only with the grant (both are identity
    information, docs/security.md); without it by kind, received date and the vault's neutral
    name, the handle every page shows such a viewer.
    """
    if item_type == ItemType.INCIDENT.value:
        when = incident_when(obj)
        place = ", ".join(part for part in (obj.place_name, obj.admin_area) if part)
        return ItemSummary(item_type, obj.id, f"Incident {when}, {place}", "", False, obj)
    if item_type == ItemType.INTERVIEW.value:
        first_hand = "first-hand" if obj.first_hand else "not first-hand (hearsay)"
        label = f"Testimony of {obj.witness.code}, {obj.conducted_on.isoformat()}"
        return ItemSummary(item_type, obj.id, label, first_hand, not obj.first_hand, obj)
    detail = f"{obj.media_type}, {obj.size} bytes, received {obj.received_at:%Y-%m-%d}"
    return ItemSummary(item_type, obj.id, evidence_label(obj, names_visible), detail, False, obj)


def evidence_label(evidence: EvidenceItem, names_visible: bool) -> str:
    """ "Photo IMG_0042.jpg, captured 2015-11-10 08:31" with the identity grant, else
    "Photo received 2015-11-12, evidence-1a2b3c4d" (kind, date and neutral handle)."""
    kind = evidence.kind.capitalize()
    if not names_visible:
        return f"{kind} received {evidence.received_at:%Y-%m-%d}, {neutral_name(evidence)}"
    captured = capture_time(evidence)
    name = evidence.original_filename or neutral_name(evidence)
    return f"{kind} {name}, captured {captured}" if captured else f"{kind} {name}"


def viewer_sees_names(investigation: Investigation, user: Any) -> bool:
    """Whether `user` holds the identity grant here (None, the operator: no, deny by default)."""
    return user is not None and viewer_of(investigation, user).may_see_identities


def summaries_for(
    investigation: Investigation, user: Any, items: Iterable[CaseItem]
) -> dict[str, ItemSummary]:
    """Case item id -> summary, for the items the user may see (others are simply absent)."""
    items = list(items)
    objects = fetch_items(investigation, user, items)
    names_visible = viewer_sees_names(investigation, user)
    out = {}
    for item in items:
        obj = objects.get((item.item_type, item.item_id))
        if obj is not None:
            out[item.id] = summarize(item.item_type, obj, names_visible)
    return out


# Evidence destroyed under retention leaves a tombstone and its case-file rows stay, pointing at
# it. Retention sits above case files and registers how to describe tombstones here
# (app/retention/casefile_tombstones.py), so this package does not import it.
TombstoneLookup = Callable[[str, list[str]], dict[str, str]]
_TOMBSTONE_LOOKUPS: list[TombstoneLookup] = []


def register_tombstone_lookup(lookup: TombstoneLookup) -> TombstoneLookup:
    if lookup not in _TOMBSTONE_LOOKUPS:
        _TOMBSTONE_LOOKUPS.append(lookup)
    return lookup


def destroyed_summaries(
    investigation: Investigation, user: Any, items: Iterable[CaseItem]
) -> dict[str, ItemSummary]:
    """Case item id -> what happened to its evidence item, for the items destroyed since.

    Shown to those who read the investigation's whole ledger (lawyers, leads, its admins) and to
    the operator: a tombstone holds the item's hash, which a member who could not see the item
    does not learn from it.
    """
    if user is not None and not viewer_of(investigation, user).sees_full_ledger:
        return {}
    evidence = {item.item_id: item for item in items if item.item_type == ItemType.EVIDENCE.value}
    out: dict[str, ItemSummary] = {}
    for lookup in _TOMBSTONE_LOOKUPS:
        for evidence_id, told in lookup(investigation.id, sorted(evidence)).items():
            label = f"Destroyed evidence item {evidence_id}"
            case_item = evidence[evidence_id]
            out[case_item.id] = ItemSummary("evidence", evidence_id, label, told, False, None, True)
    return out


def candidates(investigation: Investigation, user: Any) -> list[ItemSummary]:
    """Everything the user could add to a case file of this investigation, newest last."""
    names_visible = viewer_sees_names(investigation, user)
    out: list[ItemSummary] = []
    incidents = db.session.scalars(
        scoped_select(investigation, user, "incident").order_by(Incident.occurred_from)
    )
    out += [summarize("incident", obj) for obj in incidents]
    interviews = db.session.scalars(
        scoped_select(investigation, user, "interview")
        .options(selectinload(Interview.witness))
        .order_by(Interview.conducted_on)
    )
    out += [summarize("interview", obj) for obj in interviews]
    evidence = db.session.scalars(
        scoped_select(investigation, user, "evidence").order_by(EvidenceItem.received_at)
    )
    out += [summarize("evidence", obj, names_visible) for obj in evidence]
    return out
