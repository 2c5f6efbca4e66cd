"""Writes one case file's bag: items (originals, redactions, transcripts), custody, report.

export_bagit.py decides what goes out and where the bag goes (the age writer, or a folder);
this module streams its files into a BagStream, decrypting blobs chunk by chunk, so memory
stays constant and no decrypted byte is written anywhere but into that stream. The custody
part is bag_custody.py; the report, legal records and bag-info are bag_report.py.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.casefiles.models import CaseFile, FileChoice, ItemType
from app.casefiles.services.bag_custody import write_custody
from app.casefiles.services.bag_files import (
    REDACTED_WITHHELD,
    coarse_location,
    iso_time,
    json_bytes,
    json_or_none,
    readme_text,
    safe_name,
)
from app.casefiles.services.bag_packaging import sign_tagmanifest
from app.casefiles.services.bag_report import bag_info, legal_record, write_report
from app.casefiles.services.bag_stream import BagStream
from app.casefiles.services.bag_translations import (
    TRANSLATIONS_FILE,
    sealed_translations,
    translation_entry,
    translation_pdf,
    translation_text_file,
)
from app.casefiles.services.errors import ExportError
from app.casefiles.services.item_extras import evidence_extras
from app.casefiles.services.redaction import (
    Exporter,
    ExportPlan,
    PlannedItem,
    redacted_copies,
)
from app.casefiles.services.report import (
    ReportItem,
    incident_facts,
    item_heading,
    pdf_bytes,
    render_transcript_html,
    transcript_text,
)
from app.investigations.models import Investigation
from app.provenance.exporting import provenance_record

if TYPE_CHECKING:
    from app.casefiles.services.export_bagit import ExportRequest

ROOT = Path(__file__).resolve().parents[3]
VERIFIER = ROOT / "tools" / "verify_custody.py"
_COPY_BLOCK = 1024 * 1024
# The media types redaction writes (redaction.py, media_redaction.py, pdf_redaction.py).
REDACTED_EXTENSIONS = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "video/mp4": ".mp4",
    "audio/flac": ".flac",
    "application/pdf": ".pdf",
}

Progress = Callable[[float, str], None]


class BagWriter:
    def __init__(
        self,
        bag: BagStream,
        investigation: Investigation,
        casefile: CaseFile,
        exporter: Exporter,
        request: ExportRequest,
        plan: ExportPlan,
        report: Progress,
    ) -> None:
        self.bag = bag
        self.investigation = investigation
        self.casefile = casefile
        self.exporter = exporter
        self.request = request
        self.plan = plan
        self.report = report
        self.scrub = plan.scrubber
        self.copied = 0
        self.total_bytes = max(1, self._bytes_to_copy())
        self.moment = datetime.now(UTC)
        self.translations: list[dict] = []  # translations.json (bag_translations.py)

    def write(self) -> str:
        """Stream every file of the bag, then its tag files; returns the tag manifest's SHA-256."""
        from app.security.org_keys import signing_key

        readme = readme_text(
            self.casefile.reference,
            hashlib.sha256(VERIFIER.read_bytes()).hexdigest(),
            signing_key().key_id_hex(),
        )
        self.bag.add_bytes("README.txt", readme.encode("utf-8"))
        report_items = []
        for number, planned in enumerate(self.plan.included, start=1):
            folder = (
                f"items/{number:03d}-{planned.case_item.item_type}-{planned.case_item.item_id[:8]}"
            )
            report_items.append(self._write_item(number, folder, planned))
        self.report(70, "Exporting the custody ledger.")
        custody = write_custody(self)
        counts = custody.pop("per_object")
        for item, planned in zip(report_items, self.plan.included, strict=True):
            item.custody_entries = counts.get(planned.case_item.item_id, 0)
        self.bag.add_bytes("exclusions.json", json_bytes([e.as_dict() for e in self.plan.excluded]))
        self.bag.add_bytes(TRANSLATIONS_FILE, json_bytes(self.translations))
        self.bag.add_bytes("tools/verify_custody.py", VERIFIER.read_bytes())
        self.report(74, "Writing the case-file report (HTML and PDF).")
        write_report(self, report_items, custody)
        self.report(90, "Writing the manifests and signing the tag manifest.")
        reference = self.casefile.reference
        return self.bag.finish(bag_info(self), lambda tags: sign_tagmanifest(tags, reference))

    # -- items --

    def _write_item(self, number: int, folder: str, planned: PlannedItem) -> ReportItem:
        item_type = planned.case_item.item_type
        summary = planned.summary
        item = ReportItem(
            number=number,
            folder=folder,
            item_type=item_type,
            label=item_heading(planned, self.plan),
            detail=self.scrub.text(summary.detail),
            hearsay=summary.hearsay,
        )
        if item_type == ItemType.EVIDENCE.value:
            metadata = self._write_evidence(folder, planned.obj, item)
        elif item_type == ItemType.INTERVIEW.value:
            metadata = self._write_interview(folder, planned, item)
        else:
            metadata = incident_facts(planned.obj, self.scrub)
            metadata = {"item_type": "incident", **metadata}
        metadata, withheld = self.scrub.withhold(metadata)
        if withheld:
            metadata["withheld_fields"] = withheld
            item.facts.append(
                ("Withheld", "fields that would disclose a witness: " + ", ".join(withheld))
            )
        self.bag.add_bytes(f"{folder}/metadata.json", json_bytes(metadata))
        legal = legal_record(self, planned)
        item.links = legal["element_links"]
        item.assessments = legal["assessments"]
        item.annotations = legal["annotations"]
        item.corroborations = legal["corroboration_lines"]
        self.bag.add_bytes(
            f"{folder}/assessments.json",
            json_bytes({k: v for k, v in legal.items() if k != "corroboration_lines"}),
        )
        return item

    def _write_evidence(self, folder: str, evidence: Any, item: ReportItem) -> dict:
        files = self.request.files
        item.hashes.append(("SHA-256 of the original", evidence.sha256))
        original_name = safe_name(self.scrub.text(evidence.original_filename), "original")
        # A camera's file name can carry the capture time; any name is identity information,
        # which an exporter without the identity grant may not read (docs/security.md).
        hidden = self.exporter.user is not None and not self.exporter.may_see_identities
        if files == FileChoice.REDACTED.value or hidden:
            original_name = "original"
        written = []
        if files in (FileChoice.ORIGINALS.value, FileChoice.BOTH.value):
            self._copy_blob(
                evidence.blob_key,
                evidence.sha256,
                evidence.size,
                f"{folder}/original/{original_name}",
            )
            written.append(f"original/{original_name}")
        derivatives = []
        if files in (FileChoice.REDACTED.value, FileChoice.BOTH.value):
            copies = redacted_copies(evidence)
            for index, copy in enumerate(copies, start=1):
                extension = REDACTED_EXTENSIONS.get(copy.media_type, ".bin")
                name = f"redacted-{index}{extension}"
                self._copy_blob(copy.blob_key, copy.sha256, copy.size, f"{folder}/redacted/{name}")
                written.append(f"redacted/{name}")
                item.hashes.append((f"SHA-256 of redacted copy {index}", copy.sha256))
                derivatives.append(
                    {
                        "id": copy.id,
                        "kind": copy.kind,
                        "file": f"redacted/{name}",
                        "media_type": copy.media_type,
                        "size": copy.size,
                        "sha256": copy.sha256,
                        "parent_sha256": evidence.sha256,
                        "created_at": iso_time(copy.created_at),
                    }
                )
        if not written:
            item.facts.append(("File", "withheld: no redacted copy, and originals not requested"))
        else:
            item.facts.append(("Files", ", ".join(written)))
        # Capture proofs and consistency checks: details only beside an unredacted original,
        # and a string that would disclose a witness withheld as in metadata.json.
        full = files != FileChoice.REDACTED.value and not hidden
        provenance, withheld = self.scrub.withhold(provenance_record(evidence, full))
        if withheld:
            provenance["withheld_fields"] = withheld
        self.bag.add_bytes(f"{folder}/provenance.json", json_bytes(provenance))
        record = {
            "item_type": "evidence",
            "id": evidence.id,
            "kind": evidence.kind,
            "media_type": evidence.media_type,
            "size": evidence.size,
            "sha256": evidence.sha256,
            "received_at": iso_time(evidence.received_at),
            "uploaded_by": evidence.uploaded_by.email if evidence.uploaded_by else None,
            "files": written,
            "redacted_copies": derivatives,
            # The Berkeley Protocol record (app/acquisition); who it came from is identity.
            **evidence_extras(evidence, not hidden and files != FileChoice.REDACTED.value),
        }
        if files == FileChoice.REDACTED.value:
            # What the original carries about where, when and on what it was taken, and what
            # the uploader said about it, stays home: withheld whole, never rewritten.
            record["withheld"] = REDACTED_WITHHELD
            item.facts.append(("Left out", REDACTED_WITHHELD))
            coarse = coarse_location(evidence, self.request.location_precision)
            if coarse:
                record["location_coarsened"] = coarse
                item.facts.append(("Location (coarsened)", coarse["text"]))
            return record
        return {
            **record,
            "original_filename": original_name,
            "client_facts": json_or_none(evidence.client_facts),
            "extracted_metadata": json_or_none(evidence.extracted_metadata),
        }

    def _write_interview(self, folder: str, planned: PlannedItem, item: ReportItem) -> dict:
        interview = planned.obj
        addenda = list(interview.addenda)
        text = transcript_text(planned, self.plan, addenda)
        self.bag.add_bytes(f"{folder}/transcript.txt", text.encode("utf-8"))
        title = f"Testimony of {self.plan.witness_label(interview.witness)}"
        self.bag.add_bytes(
            f"{folder}/transcript.pdf", pdf_bytes(render_transcript_html(title, text))
        )
        item.hashes.append(("Sealed content hash", interview.content_hash or ""))
        item.facts.append(("Files", "transcript.txt, transcript.pdf"))
        self._write_translations(folder, interview, item, title)
        return {
            "item_type": "interview",
            "id": interview.id,
            "witness": self.plan.witness_label(interview.witness),
            "conducted_on": interview.conducted_on.isoformat(),
            "languages": (interview.languages or "").split(),
            "language_as_written": interview.language or "",
            # The interpreter by code or staff id, never an external interpreter's identity
            # (sealed like a witness's, and kept out of the bag like one).
            "interpreter": {
                "present": interview.interpreter_present,
                "staff_id": interview.interpreter_user_id,
                "code": interview.interpreter_code,
                "interpreted_from": interview.interpreted_from,
                "interpreted_to": interview.interpreted_to,
                "read_back": interview.read_back,
                "read_back_language": interview.read_back_language,
            },
            "mode": interview.mode,
            "first_hand": interview.first_hand,
            "sealed_at": iso_time(interview.sealed_at),
            "content_hash": interview.content_hash,
            "incidents": [incident.id for incident in interview.incidents],
            "evidence": [link.evidence_id for link in interview.evidence_links],
            "addenda": [
                {"seq": a.seq, "created_at": iso_time(a.created_at), "content_hash": a.content_hash}
                for a in addenda
            ],
        }

    def _write_translations(self, folder: str, interview: Any, item: ReportItem, title: str):
        """Every sealed translation beside the original: text, side-by-side PDF, its record."""
        for number, version in enumerate(sealed_translations(interview), start=1):
            record, shown = translation_entry(version, interview, self.scrub, folder, number)
            self.bag.add_bytes(
                f"{folder}/{shown['stem']}.txt", translation_text_file(shown).encode("utf-8")
            )
            self.bag.add_bytes(f"{folder}/{shown['stem']}.pdf", translation_pdf(title, shown))
            item.translations.append(shown)
            item.hashes.append((f"Sealed translation {number}", shown["content_hash"]))
            self.translations.append(record)

    def _copy_blob(self, blob_key: str, expected_sha256: str, size: int, dest: str) -> None:
        """Stream a blob, decrypted chunk by chunk, into the bag as `dest`; its hash must match
        the one recorded when it was received."""
        digest = self.bag.add_chunks(dest, size, self._blob_chunks(blob_key))
        if digest != expected_sha256:
            # Fixity failure: the bag must never carry bytes that differ from what was received.
            raise ExportError(
                "An evidence file does not match the hash recorded when it was received; the "
                "export was stopped. Run `flask fixity check` and report it."
            )

    def _blob_chunks(self, blob_key: str) -> Iterator[bytes]:
        from app.vault.storage import open_plaintext

        reader = open_plaintext(blob_key)
        try:
            for chunk in reader.iter_all():
                self.copied += len(chunk)
                self.report(5 + 65 * self.copied / self.total_bytes, "Copying evidence files.")
                yield chunk
        finally:
            close = getattr(reader.source, "close", None)
            if close is not None:
                close()

    def _bytes_to_copy(self) -> int:
        total = 0
        for planned in self.plan.included:
            if planned.case_item.item_type != ItemType.EVIDENCE.value:
                continue
            if self.request.files in (FileChoice.ORIGINALS.value, FileChoice.BOTH.value):
                total += planned.obj.size
            if self.request.files in (FileChoice.REDACTED.value, FileChoice.BOTH.value):
                total += sum(copy.size for copy in redacted_copies(planned.obj))
        return total
