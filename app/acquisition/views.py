"""The item page's "Acquisition" panel: the record, and its form while it may change."""

from __future__ import annotations

from typing import Any

from app.acquisition.forms import EDITED_LABELS, GENERATION_LABELS, METHOD_LABELS, AcquisitionForm
from app.acquisition.services import acquisition_locked, record_of
from app.investigations.viewer import InvestigationViewer
from app.vault.models import EvidenceItem


def acquisition_panel(
    viewer: InvestigationViewer, item: EvidenceItem, sent: AcquisitionForm | None = None
) -> dict[str, Any]:
    """The panel; `sent`: the form as it was posted and refused, given back with its errors."""
    identity = viewer.may_see_identities
    record = record_of(item, identity)
    locked = acquisition_locked(item)
    form = None
    if not locked:
        form = sent or _record_form(record)
        if not identity and "acquired_from" in form:
            del form.acquired_from
        for field in form:  # ids of their own: the item page holds other forms
            field.id = field.label.field_id = f"acquisition-{field.name}"
            field.render_kw = {**(field.render_kw or {}), "autocomplete": "off"}
    return {
        "record": record,
        "form": form,
        "locked": locked,
        "identity": identity,
        "labels": {**METHOD_LABELS, **GENERATION_LABELS},
        "edited_labels": EDITED_LABELS,
    }


def _record_form(record: dict[str, Any]) -> AcquisitionForm:
    shown = {k: v for k, v in record.items() if k != "acquired_at"}
    moment = record.get("acquired_at")
    shown["acquired_at"] = moment.strftime("%Y-%m-%dT%H:%M:%S") if moment else ""
    return AcquisitionForm(formdata=None, data=shown)
