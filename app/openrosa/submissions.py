"""An OpenRosa submission becomes Custos records: attachments through the vault's one intake,
the interview as a draft its author reviews and seals on the web (issue 22, item 4).

The body is read as it arrives (the vault's multipart decoder): `xml_submission_file` first,
checked against the form before any attachment byte is stored; then each attachment the XML
names streams into an IntakeWriter (hashed, encrypted, ledger `received` with the channel and
the instanceID) and, in the transaction that records it, is tied to the incident chosen in
the form and to the submission's row. When the last POST of the submission arrives (no
`*isIncomplete*` part: ODK Collect splits a large submission across several POSTs, each with
the XML), the interview draft is made, its files attached, and the ledger gets
`received_via_openrosa` on it, in one transaction.

instanceID is the idempotency key: a file the submission already holds is read past and not
stored again, and a resent whole submission creates nothing new and answers as the first did.
A POST cut off mid-way keeps only the attachments that arrived whole (each atomic, each
recorded against the submission), so the app's retry sends the rest and completes it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from werkzeug.exceptions import ClientDisconnected
from werkzeug.sansio.multipart import Data, Field, File

from app.custody.ledger import append_custody_event
from app.extensions import db
from app.intake.errors import IntakeValidationError, SealedTestimonyError
from app.intake.models import Interview
from app.intake.models.interviews import EvidenceRole
from app.intake.services.consent import ConsentInput
from app.intake.services.interviews import (
    RECORDING_KINDS,
    InterviewInput,
    create_interview,
    link_evidence,
)
from app.intake.services.witnesses import WitnessInput, register_witness
from app.investigations.models import Investigation
from app.investigations.viewer import viewer_of
from app.language_codes import codes_from_text
from app.openrosa.models import DeviceCredential, OpenRosaAttachment, OpenRosaSubmission
from app.openrosa.submission_xml import (
    MAX_XML_BYTES,
    ParsedSubmission,
    SubmissionRejected,
    parse_submission,
)
from app.openrosa.xforms import CONSENT_PURPOSES, WITNESS_FORM_ID, published_forms
from app.timeutil import utcnow
from app.vault.incident_links import UploadLink
from app.vault.models import EvidenceItem
from app.vault.upload.multipart import MalformedUpload, iter_multipart_events
from app.vault.upload.stream import IntakeRefused, IntakeWriter, begin_intake

CHANNEL = "openrosa"
XML_PART = "xml_submission_file"
INCOMPLETE_PART = "*isIncomplete*"


@dataclass
class SubmissionOutcome:
    """What the device is told: 201 and a message, the same for a resend."""

    submission: OpenRosaSubmission | None
    complete: bool
    stored_now: int

    @property
    def message(self) -> str:
        if not self.complete:
            return "Part of the submission received; the rest is expected."
        if self.submission is not None and self.submission.witness_id is not None:
            return "Received: the witness and their consent. Find them on the Custos website."
        count = len(self.submission.attachments) if self.submission else 0
        return (
            f"Received: an interview draft with {count} file(s). "
            "Review and seal it on the Custos website."
        )


@dataclass
class _Receiving:
    investigation: Investigation
    device: DeviceCredential
    user: Any
    xml: bytearray = field(default_factory=bytearray)
    parsed: ParsedSubmission | None = None
    xml_sha256: str = ""
    row: OpenRosaSubmission | None = None
    link: UploadLink | None = None
    incomplete: bool = False
    stored_now: int = 0
    writer: IntakeWriter | None = None
    current_name: str | None = None


def receive_submission(
    investigation: Investigation,
    device: DeviceCredential,
    user: Any,
    read: Callable[[int], bytes],
    boundary: bytes,
) -> SubmissionOutcome:
    """Store what this POST brings; SubmissionRejected (with its status) when it is refused."""
    state = _Receiving(investigation, device, user)
    part: str | None = None
    field_value = bytearray()
    try:
        for event in iter_multipart_events(read, boundary):
            if isinstance(event, (Field, File)):
                part = event.name
                field_value = bytearray()
                if part != XML_PART and state.parsed is None:
                    raise SubmissionRejected("The xml_submission_file part must come first.")
                if isinstance(event, File) and part != XML_PART:
                    _start_attachment(state, event.filename or event.name)
            elif isinstance(event, Data):
                if part == XML_PART:
                    _take_xml(state, event.data, event.more_data)
                elif state.current_name is not None:
                    _attachment_data(state, event.data, event.more_data)
                elif part == INCOMPLETE_PART:
                    field_value += event.data[:16]
                    if not event.more_data:
                        state.incomplete = bytes(field_value).strip().lower() == b"yes"
    except (MalformedUpload, ClientDisconnected):
        _abort(state)
        raise SubmissionRejected(
            "The submission broke off before it ended; what arrived whole is kept. Send it "
            "again to complete it."
        ) from None
    except BaseException:
        _abort(state)
        raise
    if state.parsed is None:
        raise SubmissionRejected("The request has no xml_submission_file part.")
    if not state.incomplete:
        _complete(state)
    return SubmissionOutcome(state.row, _is_complete(state.row), state.stored_now)


def _abort(state: _Receiving) -> None:
    if state.writer is not None:
        state.writer.abort()
        state.writer = None


def _is_complete(row: OpenRosaSubmission | None) -> bool:
    return row is not None and row.completed_at is not None


def _take_xml(state: _Receiving, data: bytes, more: bool) -> None:
    if state.parsed is not None:
        raise SubmissionRejected("The request carries two xml_submission_file parts.")
    state.xml += data
    if len(state.xml) > MAX_XML_BYTES:
        raise SubmissionRejected("The submission's XML is too large.", 413)
    if more:
        return
    viewer = viewer_of(state.investigation, state.user)
    state.parsed = parse_submission(bytes(state.xml), published_forms(viewer))
    state.xml_sha256 = hashlib.sha256(state.xml).hexdigest()
    state.row = db.session.scalar(
        select(OpenRosaSubmission).where(
            OpenRosaSubmission.investigation_id == state.investigation.id,
            OpenRosaSubmission.instance_id == state.parsed.instance_id,
        )
    )
    if state.row is not None and (
        state.row.xml_sha256 != state.xml_sha256 or state.row.user_id != state.user.id
    ):
        raise SubmissionRejected(
            "A different submission with this instanceID was received before.", 409
        )
    values = state.parsed.values
    if values.get("incident"):
        state.link = UploadLink(incident_id=values["incident"], shows=values["shows"], note="")


def _received_names(state: _Receiving) -> set[str]:
    return {a.name for a in state.row.attachments} if state.row is not None else set()


def _start_attachment(state: _Receiving, name: str) -> None:
    """Store the part if the XML names it and the submission does not hold it yet."""
    assert state.parsed is not None
    state.current_name = None
    if name not in state.parsed.file_names or name in _received_names(state):
        return  # read past it: not asked for, or already stored by an earlier POST
    try:
        state.writer = begin_intake(
            state.investigation,
            state.user,
            name,
            None,
            None,
            on_recorded=lambda item: _recorded(state, name, item),
            channel=CHANNEL,
            received_details={"instance_id": state.parsed.instance_id},
        )
    except IntakeRefused as refused:
        raise SubmissionRejected(refused.message, refused.status) from None
    state.current_name = name


def _attachment_data(state: _Receiving, data: bytes, more: bool) -> None:
    writer = state.writer
    assert writer is not None
    try:
        if data:
            writer.write(data)
        if not more:
            state.writer, state.current_name = None, None
            writer.finish()
            state.stored_now += 1
    except IntakeRefused as refused:
        state.writer, state.current_name = None, None
        raise SubmissionRejected(refused.message, refused.status) from None


def _submission_row(state: _Receiving) -> OpenRosaSubmission:
    """The submission's row, added to the current transaction the first time it is needed."""
    assert state.parsed is not None
    if state.row is None:
        state.row = OpenRosaSubmission(
            investigation_id=state.investigation.id,
            instance_id=state.parsed.instance_id,
            form_id=state.parsed.form_id,
            device_id=state.device.id,
            user_id=state.user.id,
            xml_sha256=state.xml_sha256,
            received_at=utcnow(),
        )
        db.session.add(state.row)
        db.session.flush()
    return state.row


def _recorded(state: _Receiving, name: str, item: EvidenceItem) -> None:
    """In the item's own transaction: tie it to the incident and to the submission."""
    assert state.link is not None
    state.link.apply(item)
    row = _submission_row(state)
    db.session.add(OpenRosaAttachment(submission_id=row.id, name=name, evidence_id=item.id))
    db.session.flush()
    db.session.expire(row, ["attachments"])
    if row.interview_id is not None:
        _attach(db.session.get(Interview, row.interview_id), state, item)


def _attach(interview: Interview, state: _Receiving, item: EvidenceItem) -> None:
    """The video is the interview's recording, the photos its attachments."""
    assert state.parsed is not None
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


def _complete(state: _Receiving) -> None:
    """The last POST: make the record (once), in one transaction with its ledger entry."""
    if _is_complete(state.row):
        return  # a resend of a complete submission: nothing new to make
    assert state.parsed is not None
    try:
        row = _submission_row(state)
        if state.parsed.form_id == WITNESS_FORM_ID:
            kind, record_id, details = "witness", *_make_witness(state, row)
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


def _make_interview(state: _Receiving, row: OpenRosaSubmission) -> tuple[str, dict]:
    """The interview draft, with every file received attached."""
    parsed = state.parsed
    values = parsed.values
    interview = create_interview(
        state.investigation,
        state.user,
        InterviewInput(
            witness_id=values["witness"],
            conducted_on=parsed.dates["conducted_on"],
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
    items = [db.session.get(EvidenceItem, a.evidence_id) for a in row.attachments]
    for item in items:
        _attach(interview, state, item)
    return interview.id, {
        "evidence": sorted(
            ({"evidence_id": i.id, "sha256": i.sha256} for i in items),
            key=lambda e: e["evidence_id"],
        ),
        "missing_files": len(set(parsed.file_names) - _received_names(state)),
    }


def _make_witness(state: _Receiving, row: OpenRosaSubmission) -> tuple[str, dict]:
    """The witness and their consent, through the same service (and sealing) as the web."""
    values, dates = state.parsed.values, state.parsed.dates
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
            obtained_on=dates["consent_obtained_on"],
            language=values["consent_language"],
        ),
    )
    row.witness_id = witness.id
    return witness.id, {"witness": witness.code}
