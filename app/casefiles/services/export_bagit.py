"""Case-file export as a BagIt bag (RFC 8493), signed, optionally tarred and age-encrypted.

Layout of the bag (all payload under data/, written once, streamed):

    bagit.txt  bag-info.txt  manifest-sha256.txt  tagmanifest-sha256.txt
    tagmanifest-sha256.txt.minisig      minisign signature over the tag manifest
    data/README.txt                     how to verify, in plain words
    data/report/casefile-report.html|.pdf
    data/items/NNN-<type>-<id>/         metadata.json, assessments.json, and per type:
        original/<original name>        evidence bytes (when originals were asked for)
        provenance.json                 evidence: capture-proof and consistency checks
        redacted/<name>                 redacted copies (when asked for)
        transcript.txt|.pdf             sealed testimony with its addenda
        translations/NN-*.txt|.pdf      its sealed translations; the PDF beside the original
    data/custody/                       custody-ledger.jsonl, checkpoint.json(.minisig)
    data/tools/verify_custody.py        the standalone ledger verifier
    data/exclusions.json                what was left out, and why
    data/translations.json              the sealed translations: hashes, languages, people

The tag manifest covers bagit.txt, bag-info.txt and manifest-sha256.txt, the manifest covers
every payload byte, and the signature covers the tag manifest: a change to any byte of the bag
makes bag validation or the signature check fail.

Memory stays constant whatever the evidence size, and no plaintext rests on disk: blobs are
decrypted chunk by chunk straight into the tar that feeds the age writer, their SHA-256 for
the manifest computed on the way (bag_stream.py); the report and transcripts are rendered in
memory. Only an unencrypted export (a folder, with a stated reason) writes plaintext, and
that is its point.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from app.accesslog.reasons import Reason
from app.casefiles.models import CaseFile, Destination, FileChoice
from app.casefiles.services.bag_files import tree_size
from app.casefiles.services.bag_packaging import EncryptedTar
from app.casefiles.services.bag_stream import BagStream, FolderTarget
from app.casefiles.services.bag_writer import BagWriter, Progress
from app.casefiles.services.destinations import check_destination, rule_for
from app.casefiles.services.errors import CaseFileError, ExportError
from app.casefiles.services.redaction import (
    Exclusion,
    Exporter,
    ExportPlan,
    plan_export,
)
from app.crypto.age import Recipient
from app.crypto.age.errors import KeyFormatError
from app.custody.ledger import append_custody_event
from app.extensions import db
from app.investigations.models import Investigation

FOR_WHOM_MAX = 300
LOCATION_PRECISIONS = (0, 1, 2)  # decimal places of a coarsened position (bag_files.py)


@dataclass(frozen=True)
class ExportRequest:
    files: str = FileChoice.ORIGINALS.value
    for_whom: str = ""
    recipient: str | None = None  # an age public key: the result is a .tar.age for it
    named_witness_ids: tuple[str, ...] = ()
    export_id: str | None = None
    destination: str = Destination.INTERNAL_REVIEW.value
    # Required when no recipient key is given: the delivered bag is then plaintext.
    unencrypted_reason: str | None = None
    location_precision: int | None = None  # redacted exports: GPS rounded to n decimals
    access_reason: Reason | None = None  # why the person exports (the CLI states none)


@dataclass
class ExportResult:
    path: Path
    bag_name: str
    tagmanifest_sha256: str
    output_sha256: str | None  # of the .tar.age, when packed
    output_size: int
    excluded: list[Exclusion] = field(default_factory=list)
    exported_ids: list[str] = field(default_factory=list)
    item_refs: list[list[str]] = field(default_factory=list)
    witness_ids: list[str] = field(default_factory=list)


def validate_request(request: ExportRequest) -> ExportRequest:
    """Clean the options; CaseFileError names the field that is wrong."""
    if request.files not in {choice.value for choice in FileChoice}:
        raise CaseFileError("Choose originals, redacted copies, or both.", "files")
    for_whom = " ".join((request.for_whom or "").split())
    if not for_whom:
        raise CaseFileError("Say whom this export is for.", "for_whom")
    if len(for_whom) > FOR_WHOM_MAX:
        raise CaseFileError("This is too long.", "for_whom")
    recipient = (request.recipient or "").strip() or None
    if recipient:
        try:
            Recipient.parse(recipient)
        except (KeyFormatError, ValueError):
            raise CaseFileError(
                "This is not an age public key (it starts with age1).", "recipient"
            ) from None
    rule_for(request.destination)
    precision = request.location_precision
    if precision is not None and precision not in LOCATION_PRECISIONS:
        raise CaseFileError("Choose how precise the location may be.", "location_precision")
    if precision is not None and request.files != FileChoice.REDACTED.value:
        raise CaseFileError(
            "A coarse location is for redacted exports; originals carry their metadata whole.",
            "location_precision",
        )
    reason = " ".join((request.unencrypted_reason or "").split()) or None
    if recipient is None and reason is None:
        raise CaseFileError(
            "Without a recipient's key the bag is delivered unencrypted: say why that is "
            "needed, or give the recipient's age public key.",
            "unencrypted_reason",
        )
    if reason and len(reason) > FOR_WHOM_MAX:
        raise CaseFileError("This is too long.", "unencrypted_reason")
    return ExportRequest(
        files=request.files,
        for_whom=for_whom,
        recipient=recipient,
        named_witness_ids=tuple(sorted(set(request.named_witness_ids))),
        export_id=request.export_id,
        destination=request.destination,
        unencrypted_reason=None if recipient else reason,
        location_precision=precision,
        access_reason=request.access_reason,
    )


def export_casefile(
    casefile: CaseFile,
    exporter: Exporter,
    request: ExportRequest,
    out_path: Path,
    pack_for: list[Recipient] | None = None,
    progress: Progress | None = None,
) -> ExportResult:
    """Write the bag at `out_path`, or with `pack_for` one age-encrypted tar there.

    Records one `exported` custody entry per exported item (in the caller's transaction:
    commit afterwards); a checkpoint signed for the exported ledger is committed on the way.
    Raises ExportError or CaseFileError; on failure nothing is left at `out_path`.
    """
    request = validate_request(request)
    report = progress or (lambda percent, message: None)
    out_path = Path(out_path)
    if out_path.exists():
        raise ExportError(f"{out_path} exists already; choose a new path.")
    if not out_path.parent.is_dir():
        raise ExportError(f"{out_path.parent} is not a directory.")
    investigation = db.session.get(Investigation, casefile.investigation_id)
    report(1, "Checking consent and witness protection rules.")
    rule = rule_for(request.destination)
    check_destination(casefile, rule)
    plan = plan_export(
        investigation, casefile, exporter, request.named_witness_ids, rule=rule, files=request.files
    )
    bag_name = casefile.reference
    target = FolderTarget(out_path) if pack_for is None else None
    if target is not None:
        out_path.mkdir(mode=0o700)
    packed = EncryptedTar(out_path, pack_for, bag_name) if pack_for is not None else None
    try:
        writer = BagWriter(
            BagStream(target or packed), investigation, casefile, exporter, request, plan, report
        )
        tagmanifest_sha256 = writer.write()
        result = ExportResult(out_path, bag_name, tagmanifest_sha256, None, 0, plan.excluded)
        if packed is not None:
            report(95, "Finishing the encrypted file.")
            result.output_sha256, result.output_size = packed.commit()
        else:
            result.output_size = tree_size(out_path)
    except BaseException:
        (target or packed).discard()
        raise
    result.exported_ids = plan.object_ids
    result.item_refs = plan.item_refs
    result.witness_ids = sorted(plan.witness_ids)
    report(99, "Recording the export in the custody ledger.")
    _record_export(casefile, exporter, request, plan, result)
    return result


def _record_export(
    casefile: CaseFile,
    exporter: Exporter,
    request: ExportRequest,
    plan: ExportPlan,
    result: ExportResult,
) -> None:
    details = {
        "casefile_id": casefile.id,
        "casefile": casefile.reference,
        "export_id": request.export_id or "",
        "tagmanifest_sha256": result.tagmanifest_sha256,
        "output_sha256": result.output_sha256 or "",
        "recipient": request.recipient or "",
        "files": request.files,
        "destination": request.destination,
        "encrypted_to_recipient": bool(request.recipient),
        "named_witnesses": len(plan.named),
    }
    for planned in plan.included:
        append_custody_event(
            casefile.investigation_id,
            exporter.actor,
            "exported",
            planned.case_item.item_type,
            planned.case_item.item_id,
            details,
        )


# --- Writing the bag ----------------------------------------------------------------------------
