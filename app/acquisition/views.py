"""The item page's "Acquisition" panel: the record, and its form while it may change."""

from __future__ import annotations

from typing import Any

from app.acquisition.forms import EDITED_LABELS, GENERATION_LABELS, METHOD_LABELS, AcquisitionForm
from app.acquisition.services import acquisition_locked, record_of
from app.investigations.viewer import InvestigationViewer
from app.vault.models import EvidenceItem


def acquisition_panel(viewer: InvestigationViewer, item: EvidenceItem) -> dict[str, Any]:
    identity = viewer.may_see_identities
    record = record_of(item, identity)
    locked = acquisition_locked(item)
    form = None
    if not locked:
        shown = {k: v for k, v in record.items() if k != "acquired_at"}
        moment = record.get("acquired_at")
        shown["acquired_at"] = moment.strftime("%Y-%m-%dT%H:%M:%S") if moment else ""
        form = AcquisitionForm(formdata=None, data=shown)
        if not identity:
            del form.acquired_from
    return {
        "record": record,
        "form": form,
        "locked": locked,
        "identity": identity,
        "labels": {**METHOD_LABELS, **GENERATION_LABELS},
        "edited_labels": EDITED_LABELS,
    }
