"""The case-file report (HTML and PDF, WeasyPrint) and testimony transcripts (text and PDF).

Everything here renders data the export plan already vetted: witnesses by pseudonym unless
the naming rule allowed otherwise, and all free text through the plan's Scrubber. The PDF
renderer fetches nothing: the documents are self-contained, and a URL in a note must not
make the server reach out anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import render_template

from app.casefiles.models import CREDIBILITY, RELIABILITY, ItemType
from app.casefiles.services.redaction import ExportPlan, PlannedItem
from app.casefiles.services.scrubber import Scrubber
from app.casefiles.services.workflow import STATUS_LABELS
from app.intake.target_labels import target_labels
from app.intake.when import certainty_label, incident_when
from app.language_codes import label as language_label

TEMPLATE_DIR = "casefiles/export"


class FetchRefused(ValueError):
    pass


def _refuse_fetch(url: str, *args: Any, **kwargs: Any) -> dict:
    raise FetchRefused("external resources are not loaded into export documents")


def pdf_bytes(html: str) -> bytes:
    """The PDF, in memory: report and transcripts are small, and must never rest on disk."""
    import weasyprint

    return weasyprint.HTML(string=html, url_fetcher=_refuse_fetch, base_url=None).write_pdf()


def preload_pdf_renderer() -> None:
    """Import WeasyPrint and render a page in the report's style, so Pango and the fonts (of
    the report's faces, and of the Arabic and Cyrillic script its names are often in) are
    loaded as well.

    `flask worker` calls it once at start (app/casefiles/jobs.py): every horse it forks for an
    export then inherits the loaded renderer instead of loading it again.
    """
    pdf_bytes(
        f"<html><head><style>{_css()}</style></head><body><h1>Custos</h1><h2>Report</h2>"
        "<p><strong>W-0001</strong> <em>شاهد</em> Свидетель</p>"
        "<table><tr><th>A</th><td>1</td></tr></table></body></html>"
    )


@dataclass
class ReportItem:
    number: int
    folder: str
    item_type: str
    label: str
    detail: str
    hearsay: bool
    hashes: list[tuple[str, str]] = field(default_factory=list)  # (what, sha256)
    facts: list[tuple[str, str]] = field(default_factory=list)
    links: list[dict] = field(default_factory=list)
    assessments: list[dict] = field(default_factory=list)
    annotations: list[dict] = field(default_factory=list)
    corroborations: list[str] = field(default_factory=list)
    custody_entries: int = 0
    translations: list[dict] = field(default_factory=list)  # bag_translations.translation_entry


@dataclass
class ReportData:
    casefile: Any
    investigation: Any
    status_label: str
    legal_question: str
    characterizations: list[Any]
    items: list[ReportItem]
    incidents: list[dict]
    matrix: Any
    excluded: list[Any]
    transitions: list[dict]
    exporter: str
    for_whom: str
    generated_at: str
    files: str
    naming: str
    custody: dict
    destination: str = ""
    draft_mark: str = ""  # on every page of a report of a case file not approved
    unencrypted_reason: str = ""
    title: str = ""  # the case file's title, scrubbed
    investigation_title: str = ""


def incident_facts(incident: Any, scrub: Scrubber) -> dict:
    coordinates = ""
    if incident.latitude is not None and incident.longitude is not None:
        coordinates = f"{incident.latitude:.5f}, {incident.longitude:.5f}"
        if incident.precision_m is not None:
            coordinates += f" (± {incident.precision_m} m)"
    return {
        "id": incident.id,
        "when": incident_when(incident),  # as it was entered: "about 09:30 ± 1 h"
        "time_certainty": certainty_label(incident),
        "place": scrub.text(incident.place_name),
        "admin_area": scrub.text(incident.admin_area),
        "coordinates": coordinates,
        "weapon": incident.weapon.label if incident.weapon else "",
        "targets": scrub.text(", ".join(target_labels(incident, in_english=True))),
        "perpetrators": ", ".join(scrub.text(name) for name in incident.perpetrators),
        "killed": incident.killed,
        "injured": incident.injured,
        "casualties_reported_by": scrub.text(incident.casualties_reported_by),
        "description": scrub.text(incident.description),
    }


def grade_dict(assessment: Any, scrub: Scrubber) -> dict:
    return {
        "grade": assessment.grade,
        "reliability": assessment.reliability,
        "reliability_label": RELIABILITY[assessment.reliability],
        "credibility": assessment.credibility,
        "credibility_label": CREDIBILITY[assessment.credibility],
        "rationale": scrub.text(assessment.rationale),
        "assessed_by": assessment.assessed_by.email if assessment.assessed_by else "",
        "assessed_at": assessment.assessed_at.strftime("%Y-%m-%d %H:%M UTC"),
    }


def render_report_html(data: ReportData) -> str:
    return render_template(f"{TEMPLATE_DIR}/report.html", r=data, css=_css())


def _css() -> str:
    return (Path(__file__).resolve().parents[3] / "static" / "css" / "report.css").read_text()


# --- Transcripts --------------------------------------------------------------------------------


def _languages_line(interview: Any) -> str:
    codes = (interview.languages or "").split()
    if not codes:
        return f"{interview.language or '-'} (as written; no language code chosen)"
    return ", ".join(language_label(code, "en") for code in codes)


def _interpreter_line(interview: Any) -> str:
    """By staff id or code; an external interpreter's identity stays out, like a witness's."""
    if interview.interpreter_present is None:
        return "not recorded"
    if not interview.interpreter_present:
        return "none present"
    if interview.interpreter_user_id:
        who = f"staff member {interview.interpreter_user_id}"
    else:
        who = interview.interpreter_code or "named in the sealed record"
    pair = f"{interview.interpreted_from or '?'} -> {interview.interpreted_to or '?'}"
    read_back = (
        f"; read back in {interview.read_back_language}"
        if interview.read_back
        else ("; not read back" if interview.read_back is False else "")
    )
    return f"{who} ({pair}){read_back}"


def transcript_text(planned: PlannedItem, plan: ExportPlan, addenda: list[Any]) -> str:
    """The sealed testimony as plain UTF-8 text, with its addenda (corrections) after it."""
    interview = planned.obj
    scrub = plan.scrubber
    lines = [
        f"Testimony of {plan.witness_label(interview.witness)}",
        f"Interview id: {interview.id}",
        f"Date: {interview.conducted_on.isoformat()}",
        f"Languages: {_languages_line(interview)}",
        f"Interpreter: {_interpreter_line(interview)}",
        f"Mode: {interview.mode.replace('_', ' ')}",
        f"Account: {'first-hand' if interview.first_hand else 'not first-hand (hearsay)'}",
        f"Sealed: {_when(interview.sealed_at)}; content hash (SHA-256): {interview.content_hash}",
        "",
        scrub.text(interview.transcript or ""),
        "",
    ]
    for addendum in addenda:
        lines += [
            f"--- Addendum {addendum.seq}, {_when(addendum.created_at)}, "
            f"content hash {addendum.content_hash}",
            scrub.text(addendum.text),
            "",
        ]
    return "\n".join(lines)


def render_transcript_html(title: str, text: str) -> str:
    return render_template(f"{TEMPLATE_DIR}/transcript.html", title=title, text=text, css=_css())


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "-"


def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status)


def item_heading(planned: PlannedItem, plan: ExportPlan) -> str:
    if planned.case_item.item_type == ItemType.INTERVIEW.value:
        interview = planned.obj
        return f"Testimony of {plan.witness_label(interview.witness)}, {interview.conducted_on}"
    return plan.scrubber.text(planned.summary.label)
