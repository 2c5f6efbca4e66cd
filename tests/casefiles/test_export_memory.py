"""Exports stream: a large evidence file goes into the bag without being held in memory."""

from __future__ import annotations

import hashlib
import tracemalloc

from app.casefiles.services import casefiles
from app.casefiles.services.export_bagit import ExportRequest, export_casefile
from app.casefiles.services.redaction import Exporter
from app.crypto.age import Identity
from app.extensions import db
from app.vault.models import EvidenceItem
from app.vault.upload.stream import begin_intake
from tests.casefiles.conftest import crime

BIG = 48 * 1024 * 1024
SMALL = 2 * 1024 * 1024
BLOCK = 1024 * 1024
# Once the report renderer has loaded its fonts (a one-off, the small export), exporting a
# 48 MiB file may not allocate more than a quarter of it at any moment.
BIG_PEAK_BUDGET = BIG // 4


def text_evidence(investigation, user, size: int) -> tuple[EvidenceItem, str]:
    line = b"Field log line: shelling reported near the market, no names recorded.\n"
    block = (line * (BLOCK // len(line) + 1))[:BLOCK]
    writer = begin_intake(investigation, user, "field-log.txt", None, size)
    digest = hashlib.sha256()
    for _ in range(size // BLOCK):
        writer.write(block)
        digest.update(block)
    item_id = writer.finish().id
    db.session.expire_all()
    return db.session.get(EvidenceItem, item_id), digest.hexdigest()


def export_peak(world, size: int, out) -> tuple[int, int]:
    """(peak Python allocation during the export, size of the .tar.age) for one file of `size`."""
    evidence, digest = text_evidence(world.investigation, world.field, size)
    assert evidence.sha256 == digest
    casefile = casefiles.create_casefile(
        world.investigation, world.author, f"Logs {size}", "Context?", [crime("8(2)(e)(i)").id]
    )
    casefiles.add_item(casefile, world.investigation, world.author, "evidence", evidence.id)
    db.session.commit()
    tracemalloc.start()
    try:
        result = export_casefile(
            casefile,
            Exporter(actor="system:test", label="test"),
            ExportRequest(files="originals", for_whom="memory test", unencrypted_reason="test"),
            out,
            pack_for=[Identity.generate().recipient],
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    db.session.commit()
    return peak, result.output_size


def test_a_large_file_exports_in_constant_memory(world, tmp_path):
    small_peak, _ = export_peak(world, SMALL, tmp_path / "small.tar.age")
    big_peak, big_size = export_peak(world, BIG, tmp_path / "big.tar.age")
    assert big_size > BIG
    print(
        f"export peak: {SMALL >> 20} MiB file {small_peak / 2**20:.1f} MiB, "
        f"{BIG >> 20} MiB file {big_peak / 2**20:.1f} MiB"
    )
    assert big_peak < BIG_PEAK_BUDGET, f"peak Python allocation {big_peak / 2**20:.1f} MiB"
