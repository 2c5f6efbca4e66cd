"""What a complete OpenRosa submission becomes: an incident, a witness, or an interview draft.

Each through the same intake service as the web form (so the same validation, and the same
sealing of places, names and identities), in one transaction with the ledger's
`received_via_openrosa` entry on the new record. The files a submission brought are tied to
its incident as they are recorded, and attached to the interview once it exists.
"""

from __future__ import annotations

from sqlalchemy import select

from app.custody.ledger import append_custody_event
from app.extensions import db
from app.intake.errors import IntakeValidationError, SealedTestimonyError
from app.intake.models import Interview
from app.intake.models.interviews import EvidenceRole
from app.intake.services.consent import ConsentInput
from app.intake.services.incidents import create_incident
from app.intake.services.interviews import (
    RECORDING_KINDS,
    InterviewInput,
    create_interview,
    link_evidence,
)
from app.intake.services.witnesses import WitnessInput, register_witness
from app.language_codes import codes_from_text
from app.openrosa.incident_form import INCIDENT_FORM_ID, incident_input
from app.openrosa.models import OpenRosaAttachment, OpenRosaSubmission
from app.openrosa.receiving import Receiving
from app.openrosa.submission_xml import SubmissionRejected
from app.openrosa.xforms import CONSENT_PURPOSES, WITNESS_FORM_ID
from app.timeutil import utcnow
from app.vault.models import EvidenceItem, receipt_columns_only


def is_complete(row: OpenRosaSubmission | None) -> bool:
    return row is not None and row.completed_at is not None


def record_attachment(state: Receiving, name: str, item: EvidenceItem) -> None:
    """In the item's own transaction: tie it to the incident and to the submission."""
    if state.link is not None:
        state.link.apply(item)
    row = state.submission_row()
    db.session.add(OpenRosaAttachment(submission_id=row.id, name=name, evidence_id=item.id))
    db.session.flush()
    db.session.expire(row, ["attachments"])
    if row.interview_id is not None:
        attach(db.session.get(Interview, row.interview_id), state, item)


def attach(interview: Interview, state: Receiving, item: EvidenceItem) -> None:
    """The video is the interview's recording, the photos its attachments."""
    assert state.parsed is not None and state.row is not None
    role = EvidenceRole.ATTACHMENT.value
    name = next(a.name for a in state.row.attachments if a.evidence_id == item.id)
    # Only a file the vault found to be audio or video may be the recording (whatever the
    # app called it); anything else is attached as it is.
    if (
        name == state.parsed.video
        and item.kind in RECORDING_KINDS
        and not any(link.role == EvidenceRole.RECORDING.value for link in interview.evidence_links)
    ):
        role = EvidenceRole.RECORDING.value
    try:
        link_evidence(interview, state.user, item.id, role)
    except SealedTestimonyError:
        pass  # sealed since: the file stays tied to the incident and the submission


def complete_submission(state: Receiving) -> None:
    """The last POST: make the record (once), in one transaction with its ledger entry."""
    if is_complete(state.row):
        return  # a resend of a complete submission: nothing new to make
    assert state.parsed is not None
    try:
        row = state.submission_row()
        if state.parsed.form_id == WITNESS_FORM_ID:
            kind, record_id, details = "witness", *_make_witness(state, row)
        elif state.parsed.form_id == INCIDENT_FORM_ID:
            kind, record_id, details = "incident", *_make_incident(state, row)
        else:
            kind, record_id, details = "interview", *_make_interview(state, row)
        row.completed_at = utcnow()
        append_custody_event(
            state.investigation.id,
            state.user,
            "received_via_openrosa",
            kind,
            record_id,
            {
                "instance_id": state.parsed.instance_id,
                "form_id": state.parsed.form_id,
                "form_version": state.parsed.form_version,
                "xml_sha256": state.xml_sha256,
                "device_id": state.device.id,
                "encrypted": state.encrypted,
                **({"kept_sealed_since": state.kept_since} if state.kept_since else {}),
                **details,
            },
        )
        db.session.commit()
    except IntakeValidationError as invalid:
        db.session.rollback()
        fields = ", ".join(sorted({e.field for e in invalid.errors}))
        raise SubmissionRejected(f"The submission was refused ({fields}).") from None
    except BaseException:
        db.session.rollback()
        raise


def _make_interview(state: Receiving, row: OpenRosaSubmission) -> tuple[str, dict]:
    """The interview draft, with every file received attached."""
    parsed = state.parsed
    values = parsed.values
    interview = create_interview(
        state.investigation,
        state.user,
        InterviewInput(
            witness_id=values["witness"],
            conducted_on=parsed.typed["conducted_on"],
            mode=values["mode"],
            first_hand=values["first_hand"] == "yes",
            place=values["place"],
            # The phone's free text read as codes; what is not recognised is left for the author
            # to choose on the web before sealing (the draft needs none).
            languages=codes_from_text(values["language"]) or [],
            incident_ids=[values["incident"]],
            transcript=values["transcript"],
        ),
    )
    row.interview_id = interview.id
    items = [
        db.session.scalar(
            select(EvidenceItem)
            .where(EvidenceItem.id == a.evidence_id)
            .options(receipt_columns_only())
        )
        for a in row.attachments
    ]
    for item in items:
        attach(interview, state, item)
    return interview.id, {
        "evidence": sorted(
            ({"evidence_id": i.id, "sha256": i.sha256} for i in items),
            key=lambda e: e["evidence_id"],
        ),
        "missing_files": len(set(parsed.file_names) - state.received_names()),
    }


def _make_witness(state: Receiving, row: OpenRosaSubmission) -> tuple[str, dict]:
    """The witness and their consent, through the same service (and sealing) as the web."""
    values, typed = state.parsed.values, state.parsed.typed
    witness = register_witness(
        state.investigation,
        state.user,
        WitnessInput(
            risk_level=values["risk_level"],
            full_name=values["full_name"],
            date_of_birth=values["date_of_birth"],
            contact=values["contact"],
            current_location=values["current_location"],
        ),
        ConsentInput(
            **{p: values[f"consent_{p}"] == "yes" for p in CONSENT_PURPOSES},
            obtained_on=typed["consent_obtained_on"],
            language=values["consent_language"],
        ),
    )
    row.witness_id = witness.id
    return witness.id, {"witness": witness.code}


def _make_incident(state: Receiving, row: OpenRosaSubmission) -> tuple[str, dict]:
    """The incident, through the web form's service: its rules, its sealed particulars."""
    parsed = state.parsed
    incident = create_incident(
        state.investigation, state.user, incident_input(parsed.values, parsed.typed)
    )
    row.incident_id = incident.id
    return incident.id, {}
