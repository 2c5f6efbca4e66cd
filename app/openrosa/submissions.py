"""An OpenRosa submission POST read as it arrives: its XML checked first, its files streamed
into the vault's one intake, encrypted ones opened on the way (issue 22, item 4).

The body is read as it arrives (the vault's multipart decoder): `xml_submission_file` first,
checked against the form before any attachment byte is stored; then each attachment the XML
names streams into an IntakeWriter (hashed, encrypted, ledger `received` with the channel and
the instanceID) and, in the transaction that records it, is tied to the incident chosen in
the form and to the submission's row. When the last POST of the submission arrives (no
`*isIncomplete*` part: ODK Collect splits a large submission across several POSTs, each with
the XML), the record is made (app/openrosa/records.py).

An encrypted submission (ODK encrypted forms, app/openrosa/encrypted.py) sends a manifest as
its XML and each file as `<name>.enc`. Each is decrypted as it streams, straight into its
IntakeWriter (no plaintext reaches the disk but as the vault's age ciphertext); the writers
are held open until every file has come and the manifest's MD5s match, then recorded; a
mismatch aborts them all, so nothing of a tampered submission is stored. It must therefore
arrive in one POST. An intake node that publishes the reading node's form key cannot open it:
it keeps the manifest and the `.enc` files as they came (app/openrosa/sealed_keeping.py), and
the reading node later sends them through this same code (app/openrosa/sealed_opening.py).

instanceID is the idempotency key: a file the submission already holds is read past and not
stored again, and a resent whole submission creates nothing new and answers as the first did.
A POST cut off mid-way keeps only the attachments that arrived whole (each atomic, each
recorded against the submission), so the app's retry sends the rest and completes it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from werkzeug.exceptions import ClientDisconnected
from werkzeug.sansio.multipart import Data, Field, File

from app.extensions import db
from app.investigations.models import Investigation
from app.investigations.viewer import viewer_of
from app.openrosa.encrypted import (
    Envelope,
    is_encrypted_manifest,
    plain_name,
    read_manifest,
)
from app.openrosa.form_key import form_private_key, keeps_sealed
from app.openrosa.models import DeviceCredential, OpenRosaSubmission
from app.openrosa.receiving import Receiving
from app.openrosa.records import complete_submission, is_complete, record_attachment
from app.openrosa.sealed_keeping import begin_keeping
from app.openrosa.submission_xml import (
    MAX_XML_BYTES,
    SubmissionRejected,
    parse_document,
    parse_instance,
)
from app.openrosa.xforms import FORM_KEY_UNUSABLE, published_forms
from app.security.org_keys import KeyStoreError, ReadsDisabled
from app.vault.incident_links import UploadLink
from app.vault.upload.multipart import MalformedUpload
from app.vault.upload.stream import IntakeRefused, IntakeWriter, begin_intake

CHANNEL = "openrosa"
BROKE_OFF_NOTHING_KEPT = (
    "The encrypted submission broke off before it ended; nothing of it is kept. Send it again."
)
XML_PART = "xml_submission_file"
INCOMPLETE_PART = "*isIncomplete*"


@dataclass
class SubmissionOutcome:
    """What the device is told: 201 and a message, the same for a resend."""

    submission: OpenRosaSubmission | None
    complete: bool
    stored_now: int
    kept_sealed: bool = False

    @property
    def message(self) -> str:
        row = self.submission
        if self.kept_sealed:
            return (
                "Received, still encrypted: it becomes a record on the Custos website once "
                "the organisation opens it."
            )
        if not self.complete:
            return "Part of the submission received; the rest is expected."
        if row is not None and row.witness_id is not None:
            return "Received: the witness and their consent. Find them on the Custos website."
        if row is not None and row.incident_id is not None:
            return (
                "Received: the incident report. Update the interview form to choose this "
                "incident there."
            )
        count = len(row.attachments) if row else 0
        return (
            f"Received: an interview draft with {count} file(s). "
            "Review and seal it on the Custos website."
        )


def receive_submission(
    investigation: Investigation,
    device: DeviceCredential,
    user: Any,
    events: Iterable[Any],
    kept_since: str = "",
) -> SubmissionOutcome:
    """Store what this POST brings (its multipart events, as app/vault/upload/multipart.py
    reads them); SubmissionRejected (with its status) when it is refused. kept_since: when an
    intake node received it, for a submission it kept sealed (said in the ledger)."""
    state = Receiving(investigation, device, user, kept_since=kept_since)
    try:
        _read_parts(state, events)
        if not state.xml_done:
            raise SubmissionRejected("The request has no xml_submission_file part.")
        if state.keeping is not None:
            stored = state.keeping.finish()
            return SubmissionOutcome(None, True, stored, kept_sealed=True)
        if state.encrypted and not is_complete(state.row):
            _open_sealed(state)
    except (MalformedUpload, ClientDisconnected):
        state.abort_writers()
        if state.encrypted or state.keeping is not None:
            # Its files are held until all have come (or kept only all together): none stays.
            raise SubmissionRejected(BROKE_OFF_NOTHING_KEPT) from None
        raise SubmissionRejected(
            "The submission broke off before it ended; what arrived whole is kept. Send it "
            "again to complete it."
        ) from None
    except BaseException:
        state.abort_writers()
        raise
    if not state.incomplete:
        complete_submission(state)
    return SubmissionOutcome(state.row, is_complete(state.row), state.stored_now)


def _read_parts(state: Receiving, events: Iterable[Any]) -> None:
    part: str | None = None
    field_value = bytearray()
    for event in events:
        if isinstance(event, (Field, File)):
            part = event.name
            field_value = bytearray()
            if part != XML_PART and not state.xml_done:
                raise SubmissionRejected("The xml_submission_file part must come first.")
            if isinstance(event, File) and part != XML_PART:
                _start_part(state, event.filename or event.name)
        elif isinstance(event, Data):
            if part == XML_PART:
                _take_xml(state, event.data, event.more_data)
            elif state.current_name is not None:
                _part_data(state, event.data, event.more_data)
            elif part == INCOMPLETE_PART:
                field_value += event.data[:16]
                if not event.more_data:
                    state.incomplete = bytes(field_value).strip().lower() == b"yes"
    if state.incomplete and (state.encrypted or state.keeping is not None):
        state.abort_writers()
        raise SubmissionRejected(
            "An encrypted submission must arrive in one request; this server accepts "
            "requests as large as X-OpenRosa-Accept-Content-Length says.",
            413,
        )


# --- The XML part ----------------------------------------------------------------------------


def _take_xml(state: Receiving, data: bytes, more: bool) -> None:
    if state.xml_done:
        raise SubmissionRejected("The request carries two xml_submission_file parts.")
    state.xml += data
    if len(state.xml) > MAX_XML_BYTES:
        raise SubmissionRejected("The submission's XML is too large.", 413)
    if more:
        return
    state.xml_done = True
    state.xml_sha256 = hashlib.sha256(state.xml).hexdigest()
    root = parse_document(bytes(state.xml))
    forms = _forms(state)
    if not is_encrypted_manifest(root):
        state.parsed = parse_instance(root, forms)
        state.form_id, state.form_version = state.parsed.form_id, state.parsed.form_version
        state.instance_id = state.parsed.instance_id
        state.link = _link(state)
        _find_earlier(state)
        return
    manifest = read_manifest(root)
    if manifest.form_id not in forms:
        raise SubmissionRejected("This server does not publish that form to this device.", 404)
    state.form_id, state.form_version = manifest.form_id, manifest.version
    state.instance_id = manifest.instance_id
    if keeps_sealed():
        state.keeping = begin_keeping(
            state.investigation, state.device, state.user, manifest, bytes(state.xml)
        )
        return
    _find_earlier(state)
    if is_complete(state.row):
        return  # a resend: every part is read past
    try:
        state.envelope = Envelope(manifest, form_private_key())
    except (ReadsDisabled, KeyStoreError):
        raise SubmissionRejected(
            "This server cannot open encrypted submissions; ask for the form again."
        ) from None


def _forms(state: Receiving):
    try:
        return published_forms(viewer_of(state.investigation, state.user))
    except KeyStoreError:
        raise SubmissionRejected(FORM_KEY_UNUSABLE, 503) from None


def _link(state: Receiving) -> UploadLink | None:
    values = state.parsed.values
    if not values.get("incident"):
        return None
    return UploadLink(incident_id=values["incident"], shows=values["shows"], note="")


def _find_earlier(state: Receiving) -> None:
    """The row of this instanceID, if an earlier POST made it; 409 if it was another document."""
    state.row = db.session.scalar(
        select(OpenRosaSubmission).where(
            OpenRosaSubmission.investigation_id == state.investigation.id,
            OpenRosaSubmission.instance_id == state.instance_id,
        )
    )
    if state.row is not None and (
        state.row.xml_sha256 != state.xml_sha256 or state.row.user_id != state.user.id
    ):
        raise SubmissionRejected(
            "A different submission with this instanceID was received before.", 409
        )


# --- The file parts --------------------------------------------------------------------------


def _start_part(state: Receiving, name: str) -> None:
    """Store the part if the XML names it and the submission does not hold it yet."""
    state.current_name = None
    if state.keeping is not None:
        state.current_name = name if state.keeping.start(name) else None
        return
    if state.encrypted:
        _start_sealed_part(state, name)
        return
    if state.parsed is None:
        return  # a complete encrypted submission sent again: nothing to read
    if name not in state.parsed.file_names or name in state.received_names():
        return  # read past it: not asked for, or already stored by an earlier POST
    state.writer = _begin(state, name)
    state.current_name = name


def _begin(state: Receiving, name: str, held: bool = False) -> IntakeWriter:
    details: dict[str, Any] = {"instance_id": state.instance_id}
    if state.encrypted:
        details["encrypted"] = True
    if state.kept_since:
        details["kept_sealed_since"] = state.kept_since
    try:
        return begin_intake(
            state.investigation,
            state.user,
            name,
            None,
            None,
            on_recorded=lambda item: record_attachment(state, name, item),
            channel=CHANNEL,
            received_details=details,
            held=held,
        )
    except IntakeRefused as refused:
        raise SubmissionRejected(refused.message, refused.status) from None


def _start_sealed_part(state: Receiving, name: str) -> None:
    manifest = state.envelope.manifest
    if name not in manifest.files:
        return  # read past it: the manifest does not name it
    state.envelope.opener(name)  # refuses a second copy of the same file
    # Every file is opened (the check needs its MD5); one recorded by an earlier try is not
    # stored again.
    if name != manifest.xml_file and plain_name(name) not in state.received_names():
        state.sealed_writers[name] = _begin(state, plain_name(name), held=True)
    state.current_name = name


def _part_data(state: Receiving, data: bytes, more: bool) -> None:
    if state.keeping is not None:
        state.keeping.write(data, more)
        if not more:
            state.current_name = None
        return
    if state.encrypted:
        _sealed_data(state, data, more)
        return
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


def _sealed_data(state: Receiving, data: bytes, more: bool) -> None:
    """Decrypt into the file's held writer (or, for submission.xml.enc, into memory)."""
    name = state.current_name
    opener = state.envelope.openers[name]
    plain = opener.update(data) if data else b""
    if not more:
        plain += opener.finish()
        state.current_name = None
    if name == state.envelope.manifest.xml_file:
        state.sealed_xml += plain
        if len(state.sealed_xml) > MAX_XML_BYTES:
            raise SubmissionRejected("The submission's XML is too large.", 413)
        return
    writer = state.sealed_writers.get(name)
    try:
        if plain and writer is not None:
            writer.write(plain)
    except IntakeRefused as refused:
        raise SubmissionRejected(refused.message, refused.status) from None


def _open_sealed(state: Receiving) -> None:
    """Every file came and matches the manifest: read the answers, then record the files."""
    envelope = state.envelope
    envelope.check()
    parsed = parse_instance(parse_document(bytes(state.sealed_xml)), _forms(state))
    if (parsed.form_id, parsed.instance_id) != (state.form_id, state.instance_id):
        raise SubmissionRejected("The encrypted submission's manifest does not match it.")
    media = {plain_name(name) for name in envelope.manifest.media}
    if not media <= set(parsed.file_names):
        raise SubmissionRejected("The encrypted submission's manifest does not match it.")
    state.parsed = parsed
    state.link = _link(state)
    writers, state.sealed_writers = state.sealed_writers, {}
    try:
        for name in envelope.manifest.media:
            writer = writers.pop(name, None)
            if writer is not None:
                writer.finish()
                state.stored_now += 1
    except IntakeRefused as refused:
        raise SubmissionRejected(refused.message, refused.status) from None
    finally:
        for writer in writers.values():
            writer.abort()
