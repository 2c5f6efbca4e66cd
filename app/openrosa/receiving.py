"""What one submission POST has brought so far: the state its parts and records share."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.extensions import db
from app.investigations.models import Investigation
from app.openrosa.encrypted import Envelope
from app.openrosa.models import DeviceCredential, OpenRosaSubmission
from app.openrosa.sealed_keeping import SealedKeeping
from app.openrosa.submission_xml import ParsedSubmission
from app.timeutil import utcnow
from app.vault.incident_links import UploadLink
from app.vault.upload.stream import IntakeWriter


@dataclass
class Receiving:
    investigation: Investigation
    device: DeviceCredential
    user: Any
    xml: bytearray = field(default_factory=bytearray)
    xml_done: bool = False
    form_id: str = ""
    form_version: str = ""
    instance_id: str = ""
    parsed: ParsedSubmission | None = None  # the answers (for an encrypted one: once opened)
    xml_sha256: str = ""  # of the XML part as sent (an encrypted one's manifest)
    row: OpenRosaSubmission | None = None
    link: UploadLink | None = None
    incomplete: bool = False
    stored_now: int = 0
    writer: IntakeWriter | None = None
    current_name: str | None = None
    envelope: Envelope | None = None  # an encrypted submission's key and file openers
    sealed_writers: dict[str, IntakeWriter] = field(default_factory=dict)  # held to the check
    sealed_xml: bytearray = field(default_factory=bytearray)
    keeping: SealedKeeping | None = None  # on an intake node: kept sealed for the reading node
    kept_since: str = ""  # opened on the reading node: when an intake node received it (UTC)

    @property
    def encrypted(self) -> bool:
        return self.envelope is not None

    def received_names(self) -> set[str]:
        return {a.name for a in self.row.attachments} if self.row is not None else set()

    def submission_row(self) -> OpenRosaSubmission:
        """The submission's row, added to the current transaction the first time it is needed."""
        if self.row is None:
            self.row = OpenRosaSubmission(
                investigation_id=self.investigation.id,
                instance_id=self.instance_id,
                form_id=self.form_id,
                device_id=self.device.id,
                user_id=self.user.id,
                xml_sha256=self.xml_sha256,
                received_at=utcnow(),
            )
            db.session.add(self.row)
            db.session.flush()
        return self.row

    def abort_writers(self) -> None:
        """Nothing of a file not yet recorded is kept (each pending blob is removed).

        The request failed: what it has not committed is dropped first, so the commit that
        ends the held files' reservations (app/vault/reservations.py) takes nothing else.
        """
        db.session.rollback()
        writers = [self.writer, *self.sealed_writers.values()]
        self.writer, self.current_name = None, None
        self.sealed_writers.clear()
        for writer in writers:
            if writer is not None:
                writer.abort()
        if self.keeping is not None:
            self.keeping.abort()
