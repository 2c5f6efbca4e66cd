"""Redaction and witness protection for exports, and redacted photo copies.

Export rules (issue 6, item 5):
- a witness appears by pseudonym (W-0001) unless three things hold: their current consent
  allows being named, the exporting lawyer's membership may see identities, and the lawyer
  ticked that witness for this export. A tick that fails either check refuses the export;
- testimony without current consent to legal use (missing or withdrawn), or not sealed, is
  left out, and so are the recordings and attachments of any such testimony; each exclusion
  is listed with its reason;
- free text the export writes (report, transcripts, notes, titles, file names) goes through a
  `Scrubber` (scrubber.py) that replaces the whole identity strings (name, date of birth,
  contact, location) of the case file's witnesses, except the names of witnesses who may be
  named; recorded values that would disclose one are withheld whole.
Photos: rectangles drawn in the browser are blacked out on the upright image, and the copy is
re-encoded from pixels alone (no EXIF, GPS, XMP, comments or ICC profile).
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import IO, Any

from sqlalchemy import select

from app.casefiles.models import CaseFile, CaseItem, FileChoice, ItemType
from app.casefiles.services.destinations import DestinationRule
from app.casefiles.services.errors import CaseFileError, CaseFileForbidden
from app.casefiles.services.items import (
    ItemSummary,
    destroyed_summaries,
    fetch_items,
    summarize,
)
from app.casefiles.services.scrubber import Scrubber, identity_replacements
from app.casefiles.services.witnesses import casefile_witnesses, may_be_named, testimony_use
from app.extensions import db
from app.intake.models import Interview, InterviewEvidence, Witness
from app.investigations.models import Investigation
from app.vault.models import EvidenceItem

IDENTITY_GROUP = "identity"
MAX_RECTANGLES = 100
REDACTED_JPEG_QUALITY = 92


@dataclass(frozen=True)
class Exporter:
    """Who exports: a lawyer (web, or `--by` on the command line) or the operator's shell."""

    actor: Any  # a User, or "system:cli" for the custody ledger
    label: str  # what bag-info.txt says
    user: Any = None
    may_see_identities: bool = False


@dataclass(frozen=True)
class Exclusion:
    item_type: str
    item_id: str
    label: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        return {
            "item_type": self.item_type,
            "item_id": self.item_id,
            "label": self.label,
            "reason": self.reason,
        }


@dataclass
class PlannedItem:
    case_item: CaseItem
    obj: Any
    summary: ItemSummary


@dataclass
class ExportPlan:
    included: list[PlannedItem]
    excluded: list[Exclusion]
    named: dict[str, str]  # witness id -> full name, only for witnesses the rule lets be named
    scrubber: Scrubber
    rule: DestinationRule
    # Witnesses whose testimony, or a recording or attachment of it, goes out.
    witness_ids: set[str] = field(default_factory=set)

    def witness_label(self, witness: Witness) -> str:
        name = self.named.get(witness.id)
        return f"{witness.code} ({name})" if name else witness.code

    @property
    def object_ids(self) -> list[str]:
        return [planned.case_item.item_id for planned in self.included]

    @property
    def item_refs(self) -> list[list[str]]:
        return [[p.case_item.item_type, p.case_item.item_id] for p in self.included]


def plan_export(
    investigation: Investigation,
    casefile: CaseFile,
    exporter: Exporter,
    named_witness_ids: Iterable[str] = (),
    *,
    rule: DestinationRule,
    files: str = FileChoice.ORIGINALS.value,
) -> ExportPlan:
    """Decide what goes out to `rule`'s destination and how witnesses are referred to.

    Testimony goes out only where its witness's consent covers every purpose the
    destination needs; pure reads, nothing stored.
    """
    items = list(
        db.session.scalars(
            select(CaseItem).where(CaseItem.casefile_id == casefile.id).order_by(CaseItem.position)
        )
    )
    objects = fetch_items(investigation, exporter.user, items)
    destroyed = destroyed_summaries(investigation, exporter.user, items)
    # Only the case file's witnesses: a name in a note about someone else is not theirs to hide,
    # and scrubbing every witness of the investigation rewrote staff names and camera models.
    witnesses = casefile_witnesses(casefile)
    named = _named_witnesses(witnesses, exporter, set(named_witness_ids))
    excluded: list[Exclusion] = []
    included: list[PlannedItem] = []
    for item in items:
        obj = objects.get((item.item_type, item.item_id))
        if obj is None and item.id in destroyed:  # its tombstone says what happened
            gone = destroyed[item.id]
            excluded.append(Exclusion(item.item_type, item.item_id, gone.label, gone.detail))
            continue
        if obj is None:
            excluded.append(
                Exclusion(item.item_type, item.item_id, item.item_type, "Not visible to you.")
            )
            continue
        summary = summarize(item.item_type, obj)
        if item.item_type == ItemType.INTERVIEW.value:
            use = testimony_use(obj, rule.purposes)
            if not use.allowed:
                excluded.append(Exclusion(item.item_type, obj.id, summary.label, use.reason))
                continue
        included.append(PlannedItem(item, obj, summary))
    included, witness_ids = _drop_testimony_media(included, excluded, rule)
    if files == FileChoice.REDACTED.value:
        excluded += [
            Exclusion(
                "evidence",
                p.obj.id,
                p.summary.label,
                "Its file: no redacted copy exists, and only redacted copies were asked for "
                "(its record goes out without the file).",
            )
            for p in included
            if p.case_item.item_type == ItemType.EVIDENCE.value and not redacted_copies(p.obj)
        ]
    witness_ids |= {
        p.obj.witness_id for p in included if p.case_item.item_type == ItemType.INTERVIEW.value
    }
    replacements = [
        pair for w in witnesses for pair in identity_replacements(w, named=w.id in named)
    ]
    scrubber = Scrubber(replacements)
    excluded = [replace(e, label=scrubber.text(e.label)) for e in excluded]
    return ExportPlan(included, excluded, named, scrubber, rule, witness_ids)


def _named_witnesses(
    witnesses: list[Witness], exporter: Exporter, ticked: set[str]
) -> dict[str, str]:
    if not ticked:
        return {}
    if not exporter.may_see_identities:
        raise CaseFileForbidden(
            "You may not see witness identities in this investigation, so you cannot name "
            "witnesses in an export.",
            "named_witnesses",
        )
    by_id = {w.id: w for w in witnesses}
    named = {}
    for witness_id in sorted(ticked):
        witness = by_id.get(witness_id)
        if witness is None:
            raise CaseFileError("Choose witnesses of this case file.", "named_witnesses")
        if not may_be_named(witness):
            raise CaseFileForbidden(
                f"{witness.code} has not consented to being named; they stay a pseudonym.",
                "named_witnesses",
            )
        if witness.full_name:
            named[witness.id] = witness.full_name
    return named


def _drop_testimony_media(
    included: list[PlannedItem], excluded: list[Exclusion], rule: DestinationRule
) -> tuple[list[PlannedItem], set[str]]:
    """Recordings and attachments of testimony that may not be used go out with it: not at all.

    Returns the items kept and the witnesses whose testimony's media go out with them.
    """
    evidence_ids = [p.obj.id for p in included if p.case_item.item_type == ItemType.EVIDENCE.value]
    if not evidence_ids:
        return included, set()
    links = db.session.execute(
        select(InterviewEvidence.evidence_id, InterviewEvidence.interview_id).where(
            InterviewEvidence.evidence_id.in_(evidence_ids)
        )
    ).all()
    interview_ids = {row.interview_id for row in links}
    interviews = {
        i.id: i
        for i in db.session.scalars(select(Interview).where(Interview.id.in_(interview_ids)))
    }
    barred: dict[str, str] = {}
    witnesses_of: dict[str, set[str]] = {}
    for row in links:
        interview = interviews.get(row.interview_id)
        if interview is None:
            continue
        witnesses_of.setdefault(row.evidence_id, set()).add(interview.witness_id)
        use = testimony_use(interview, rule.purposes)
        if not use.allowed:
            barred[row.evidence_id] = f"Part of testimony that may not be used: {use.reason}"
    kept = []
    witness_ids: set[str] = set()
    for planned in included:
        reason = barred.get(planned.obj.id) if planned.case_item.item_type == "evidence" else None
        if reason:
            excluded.append(Exclusion("evidence", planned.obj.id, planned.summary.label, reason))
        else:
            kept.append(planned)
            if planned.case_item.item_type == "evidence":
                witness_ids |= witnesses_of.get(planned.obj.id, set())
    return kept, witness_ids


# --- Photos -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rectangle:
    """A rectangle as fractions (0..1) of the upright image's width and height."""

    x: float
    y: float
    w: float
    h: float

    def to_pixels(self, width: int, height: int) -> tuple[int, int, int, int]:
        # Rounded outwards: a box drawn over a face never leaves a sliver of it.
        left = max(0, math.floor(self.x * width))
        top = max(0, math.floor(self.y * height))
        right = min(width, math.ceil((self.x + self.w) * width))
        bottom = min(height, math.ceil((self.y + self.h) * height))
        return left, top, right, bottom


def parse_rectangles(raw: Any) -> list[Rectangle]:
    """[[x, y, w, h], ...] or [{"x":..,"y":..,"w":..,"h":..}, ...] as fractions of the image."""
    if not isinstance(raw, list) or not raw:
        raise CaseFileError("Draw at least one rectangle over what must be hidden.", "rectangles")
    if len(raw) > MAX_RECTANGLES:
        raise CaseFileError(f"At most {MAX_RECTANGLES} rectangles.", "rectangles")
    return [parse_rectangle(entry) for entry in raw]


def parse_rectangle(entry: Any, where: str = "rectangles") -> Rectangle:
    """[x, y, w, h] or {"x":..,"y":..,"w":..,"h":..} as fractions of the picture or page."""
    if isinstance(entry, dict):
        entry = [entry.get(k) for k in ("x", "y", "w", "h")]
    try:
        x, y, w, h = (float(v) for v in entry)
    except (TypeError, ValueError):
        raise CaseFileError("A rectangle is four numbers: x, y, width, height.", where) from None
    if not all(math.isfinite(v) for v in (x, y, w, h)):
        raise CaseFileError("A rectangle is four numbers: x, y, width, height.", where)
    if x < 0 or y < 0 or w <= 0 or h <= 0 or x + w > 1.0001 or y + h > 1.0001:
        raise CaseFileError("A rectangle lies outside the picture.", where)
    return Rectangle(x, y, min(w, 1 - x), min(h, 1 - y))


def redact_photo(file: IO[bytes], rectangles: list[Rectangle]) -> tuple[bytes, str]:
    """Black out the rectangles on the upright photo; return (clean bytes, media type)."""
    from app.vault.media.metadata import open_image
    from app.vault.media.pillow import Image, ImageDraw, ImageOps

    try:
        image = open_image(file)
    except (OSError, ValueError) as exc:
        raise CaseFileError(f"The photo cannot be read: {type(exc).__name__}.") from None
    with image:
        source_format = image.format
        upright = ImageOps.exif_transpose(image)
        keep_alpha = source_format == "PNG" and upright.mode in ("RGBA", "LA", "PA", "P")
        pixels = upright.convert("RGBA" if keep_alpha else "RGB")
    draw = ImageDraw.Draw(pixels)
    fill = (0, 0, 0, 255) if keep_alpha else (0, 0, 0)
    for rectangle in rectangles:
        left, top, right, bottom = rectangle.to_pixels(*pixels.size)
        if right > left and bottom > top:
            draw.rectangle((left, top, right - 1, bottom - 1), fill=fill)
    # A fresh image holding pixels only: nothing of the original's metadata can ride along.
    clean = Image.new(pixels.mode, pixels.size)
    clean.paste(pixels)
    clean.info.clear()
    out = io.BytesIO()
    if source_format == "PNG":
        clean.save(out, "PNG")
        return out.getvalue(), "image/png"
    clean.save(out, "JPEG", quality=REDACTED_JPEG_QUALITY)
    return out.getvalue(), "image/jpeg"


def create_redacted_copy(
    casefile: CaseFile, user: Any, item: EvidenceItem, rectangles: list[Rectangle]
) -> Any:
    """Store a redacted derivative of a photo, linked to its original in the ledger."""
    from app.vault.media.derivatives import store_derivative
    from app.vault.models import DerivativeKind, EvidenceKind
    from app.vault.storage import open_plaintext

    if item.kind != EvidenceKind.PHOTO.value:
        raise CaseFileError("Only photos can be redacted here.")
    with open_plaintext(item.blob_key).as_file() as plaintext:
        data, media_type = redact_photo(plaintext, rectangles)
    removed = {"areas_blacked_out": len(rectangles), "metadata": "all"}
    return store_derivative(item, DerivativeKind.REDACTED, media_type, data, user, removed)


def redacted_copies(item: EvidenceItem) -> list[Any]:
    from app.vault.models import Derivative, DerivativeKind

    return list(
        db.session.scalars(
            select(Derivative)
            .where(
                Derivative.evidence_id == item.id,
                Derivative.kind == DerivativeKind.REDACTED.value,
            )
            .order_by(Derivative.created_at)
        )
    )
