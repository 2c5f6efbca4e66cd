"""Steps other packages add to an item's intake, processing and page, without the vault
importing them (they sit above it: duplicates, consistency checks)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import Select

    from app.crypto.age import AgeReader
    from app.investigations.viewer import InvestigationViewer
    from app.vault.models import EvidenceItem

# (item, actor): inside the intake transaction, after the `received` entry; raising undoes it.
RecordedHook = Callable[["EvidenceItem", Any], None]
# (item, plaintext reader): in the processing job after metadata and derivatives.
ProcessingStep = Callable[["EvidenceItem", "AgeReader"], None]
# (viewer, item) -> the template's context, or None to show nothing.
PanelContext = Callable[["InvestigationViewer", "EvidenceItem"], dict | None]
# () -> a SELECT of the ids of evidence items whose latest check of this kind found something
# for a person to weigh (the evidence list's "has provenance findings" filter).
FindingSource = Callable[[], "Select"]


@dataclass(frozen=True)
class ItemPanel:
    template: str
    context: PanelContext


_recorded: dict[str, RecordedHook] = {}
_processing: dict[str, ProcessingStep] = {}
_panels: dict[str, ItemPanel] = {}
_finding_sources: dict[str, FindingSource] = {}


def on_evidence_recorded(name: str, hook: RecordedHook) -> None:
    _recorded[name] = hook


def on_evidence_processed(name: str, step: ProcessingStep) -> None:
    _processing[name] = step


def add_item_panel(name: str, template: str, context: PanelContext) -> None:
    _panels[name] = ItemPanel(template, context)


def add_finding_source(name: str, source: FindingSource) -> None:
    _finding_sources[name] = source


def finding_sources() -> list[FindingSource]:
    return list(_finding_sources.values())


def run_recorded_hooks(item: EvidenceItem, actor: Any) -> None:
    for hook in _recorded.values():
        hook(item, actor)


def run_processing_steps(item: EvidenceItem, reader: AgeReader) -> None:
    for step in _processing.values():
        step(item, reader)


def item_panels(
    viewer: InvestigationViewer, item: EvidenceItem, given: dict[str, dict] | None = None
) -> list[tuple[str, dict]]:
    """(template, context) for each panel that has something to show this viewer; `given`:
    a panel's context already made by its own view (its refused form, as it was sent)."""
    shown = []
    for name, panel in _panels.items():
        context = (given or {}).get(name) or panel.context(viewer, item)
        if context is not None:
            shown.append((panel.template, context))
    return shown
