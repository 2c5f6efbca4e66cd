"""What a case-file bag says about itself: the report, each item's legal record, bag-info."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.casefiles.models import CaseStatus, ItemType
from app.casefiles.services import assessments as assessment_service
from app.casefiles.services.casefiles import elements_of
from app.casefiles.services.destinations import DRAFT_MARK
from app.casefiles.services.items import summarize
from app.casefiles.services.matrix import build_matrix
from app.casefiles.services.redaction import PlannedItem
from app.casefiles.services.report import (
    ReportData,
    ReportItem,
    grade_dict,
    incident_facts,
    item_heading,
    pdf_bytes,
    render_report_html,
    status_label,
)
from app.casefiles.services.workflow import history

if TYPE_CHECKING:
    from app.casefiles.services.bag_writer import BagWriter


def legal_record(writer: BagWriter, planned: PlannedItem) -> dict:
    """An item's legal work as the bag shows it: element links, grades, notes, corroborations."""
    case_item = planned.case_item
    scrub = writer.scrub
    labels = {p.case_item.id: item_heading(p, writer.plan) for p in writer.plan.included}
    links = [
        {
            "crime": link.element.crime.code,
            "element": link.element.code,
            "stance": link.stance,
            "note": scrub.text(link.note),
        }
        for link in case_item.links
    ]
    grades = [grade_dict(a, scrub) for a in assessment_service.assessments_of(case_item)]
    notes = [
        {
            "author": note.author.email if note.author else "",
            "at": note.created_at.strftime("%Y-%m-%d %H:%M UTC"),
            "body": scrub.text(note.body),
        }
        for note in assessment_service.annotations_of(case_item)
    ]
    corroborations = []
    lines = []
    for link in assessment_service.corroborations_of(case_item):
        outgoing = link.from_item_id == case_item.id
        other = link.to_item_id if outgoing else link.from_item_id
        other_label = labels.get(other, "an item left out of this export")
        corroborations.append(
            {
                "direction": "corroborates" if outgoing else "corroborated_by",
                "other_case_item": other if other in labels else None,
                "other": other_label,
                "note": scrub.text(link.note),
            }
        )
        verb = "Corroborates" if outgoing else "Corroborated by"
        lines.append(f"{verb}: {other_label}. {scrub.text(link.note)}".strip())
    return {
        "element_links": links,
        "assessments": grades,
        "annotations": notes,
        "corroborations": corroborations,
        "corroboration_lines": lines,
    }


def write_report(writer: BagWriter, report_items: list[ReportItem], custody: dict) -> None:
    """Render the case-file report (HTML and PDF) into the bag."""
    casefile = writer.casefile
    summaries = {
        p.case_item.id: summarize(p.case_item.item_type, p.obj) for p in writer.plan.included
    }
    matrix = build_matrix(casefile, summaries)
    elements_of(casefile)  # loads the characterizations' elements for the template
    incidents = [
        incident_facts(p.obj, writer.scrub)
        for p in writer.plan.included
        if p.case_item.item_type == ItemType.INCIDENT.value
    ]
    transitions = [
        {
            "at": t.at.strftime("%Y-%m-%d %H:%M UTC"),
            "actor": t.actor.email,
            "change": f"{status_label(t.from_status)} → {status_label(t.to_status)}",
            "comment": writer.scrub.text(t.comment),
        }
        for t in history(casefile)
    ]
    data = ReportData(
        casefile=casefile,
        investigation=writer.investigation,
        status_label=status_label(casefile.status),
        legal_question=writer.scrub.text(casefile.legal_question),
        characterizations=list(casefile.characterizations),
        items=report_items,
        incidents=incidents,
        matrix=matrix,
        excluded=writer.plan.excluded,
        transitions=transitions,
        exporter=writer.exporter.label,
        for_whom=writer.scrub.text(writer.request.for_whom),
        generated_at=writer.moment.strftime("%Y-%m-%d %H:%M:%S UTC"),
        files={
            "originals": "originals",
            "redacted": "redacted copies",
            "both": "originals and redacted copies",
        }[writer.request.files],
        naming=naming_text(writer),
        custody=custody,
        destination=writer.plan.rule.label,
        draft_mark="" if casefile.status == CaseStatus.APPROVED.value else DRAFT_MARK,
        unencrypted_reason=writer.scrub.text(writer.request.unencrypted_reason or ""),
        title=writer.scrub.text(casefile.title),
        investigation_title=writer.scrub.text(writer.investigation.title),
    )
    # Every value was scrubbed raw, before rendering; a pass over the HTML would miss
    # escaped names (Sa&#39;id) and rewrite staff and recorded values.
    html = render_report_html(data)
    writer.bag.add_bytes("report/casefile-report.html", html.encode("utf-8"))
    writer.bag.add_bytes("report/casefile-report.pdf", pdf_bytes(html))


def naming_text(writer: BagWriter) -> str:
    if not writer.plan.named:
        return "referred to by pseudonym only"
    return "by pseudonym; named with their consent and at the exporter's explicit request: " + str(
        len(writer.plan.named)
    )


def bag_info(writer: BagWriter) -> dict[str, str]:
    """bag-info.txt: who exported what for whom, how it is protected, which key signs it."""
    from app.security.org_keys import minisign_public_key

    info = {
        "Source-Organization": "Custos",
        "External-Identifier": writer.casefile.reference,
        "External-Description": writer.scrub.text(writer.casefile.title),
        "Bag-Group-Identifier": writer.investigation.reference,
        "Contact-Name": writer.exporter.label,
        "Exported-By": writer.exporter.label,
        "Exported-At": writer.moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "Exported-For": writer.scrub.text(writer.request.for_whom),
        "Destination": writer.plan.rule.label,
        "Consent-Required": writer.plan.rule.purpose_text,
        "Encryption": (
            "age, to the recipient's key"
            if writer.request.recipient
            else "none: " + writer.scrub.text(writer.request.unencrypted_reason or "")
        ),
        "Case-File-Status": status_label(writer.casefile.status),
        "Witness-Naming": naming_text(writer),
        "Files": writer.request.files,
        "Excluded-Items": str(len(writer.plan.excluded)),
        "Signing-Public-Key": minisign_public_key(),
        "Bag-Software-Agent": "Custos (streamed BagIt 1.0)",
    }
    if getattr(writer.exporter.user, "email", None):
        info["Contact-Email"] = writer.exporter.user.email
    if writer.request.export_id:
        info["Internal-Sender-Identifier"] = writer.request.export_id
    # bag-info values are single lines (RFC 8493 s2.2.2 folds long ones; we never need to).
    return {key: " ".join(str(value).split()) for key, value in info.items()}
