"""No plaintext at rest: while an encrypted export runs, no file under the export folder holds
a decrypted byte of evidence or testimony; the bag is streamed straight into age."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from app.casefiles.services import casefiles
from app.casefiles.services.export_bagit import ExportRequest, export_casefile
from app.casefiles.services.exports import exporter_for
from app.crypto.age import AgeReader, FileSource, Identity
from app.extensions import db
from app.vault.upload.stream import begin_intake

EVIDENCE_MARKER = b"PLAINTEXT-EVIDENCE-MARKER-7731"
TESTIMONY_MARKER = b"second strike hit the entrance"
BLOCK = 1024 * 1024


def marked_evidence(world, blocks: int):
    """A field log of `blocks` MiB, the marker in every line: several chunks to stream."""
    line = b"Log: " + EVIDENCE_MARKER + b" shelling near the market.\n"
    block = (line * (BLOCK // len(line) + 1))[:BLOCK]
    writer = begin_intake(world.investigation, world.field, "log.txt", None, blocks * BLOCK)
    for _ in range(blocks):
        writer.write(block)
    return writer.finish()


def case_with_marked_evidence(world, blocks: int):
    """built_case's case file, plus the marked field log of `blocks` MiB."""
    evidence = marked_evidence(world, blocks)
    casefiles.add_item(world.casefile, world.investigation, world.author, "evidence", evidence.id)
    db.session.commit()
    return evidence


def encrypted_export(world, identity, out: Path, progress=None):
    """Export built_case's case file for review, encrypted to `identity`, at `out`."""
    return export_casefile(
        world.casefile,
        exporter_for(world.investigation, world.author),
        ExportRequest(for_whom="Internal review", recipient=str(identity.recipient)),
        out,
        pack_for=[identity.recipient],
        progress=progress,
    )


class ExportFolderWatch:
    """The job's progress hook: at each step, pause and read every file under the folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.scans = 0
        self.largest_partial = 0
        self.found: list[tuple[str, str]] = []

    def __call__(self, percent: float, message: str) -> None:
        self.scans += 1
        for path in self.folder.rglob("*"):
            if not path.is_file():
                continue
            data = path.read_bytes()
            if path.name.endswith(".tmp"):
                self.largest_partial = max(self.largest_partial, len(data))
            for marker in (EVIDENCE_MARKER, TESTIMONY_MARKER):
                if marker in data:
                    self.found.append((path.name, marker.decode()))


def test_during_an_encrypted_export_no_file_under_the_export_folder_holds_plaintext(
    app, built_case, export_dir
):
    world = built_case
    case_with_marked_evidence(world, blocks=6)
    export_dir.mkdir(parents=True)
    identity = Identity.generate()
    watch = ExportFolderWatch(export_dir)
    out = export_dir / "export.tar.age"

    encrypted_export(world, identity, out, progress=watch)
    db.session.commit()

    assert watch.scans > 6  # paused at every chunk of the evidence, and at every stage
    assert watch.largest_partial > 2 * BLOCK  # the scans saw the encrypted file growing
    assert watch.found == []
    assert [p.name for p in export_dir.iterdir()] == ["export.tar.age"]
    # The markers are in the bag, once decrypted: the scan looked for what was really there.
    plain = b"".join(AgeReader.open(FileSource(out), [identity]).iter_all())
    with tarfile.open(fileobj=io.BytesIO(plain)) as tar:
        contents = b"".join(tar.extractfile(m).read() for m in tar.getmembers() if m.isfile())
    assert EVIDENCE_MARKER in contents and TESTIMONY_MARKER in contents


# The abandoned tar stream must not try to flush into its closed file later, from a finaliser.
@pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")
def test_a_failed_encrypted_export_leaves_nothing_in_the_export_folder(
    app, built_case, export_dir, monkeypatch
):
    from app.casefiles.services import bag_report
    from app.casefiles.services.errors import ExportError

    world = built_case
    export_dir.mkdir(parents=True)
    identity = Identity.generate()

    def broken_report(*args, **kwargs):
        raise ExportError("the report renderer failed")

    monkeypatch.setattr(bag_report, "render_report_html", broken_report)
    try:
        encrypted_export(world, identity, export_dir / "export.tar.age")
    except ExportError:
        pass
    else:
        raise AssertionError("the export should have failed")
    db.session.rollback()
    assert list(export_dir.iterdir()) == []
