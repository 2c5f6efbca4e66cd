"""Media processing does not hold the investigation's ledger while it works.

An item's processing (metadata, thumbnails, PDQ hashes, proof and capture checks) can take
seconds; if its first ledger entry locked the investigation's head row for all of that, every
other writer of the investigation would wait, down to a lawyer opening an item page. Under
load that was the slowest page of the step load (docs/performance.md).
"""

from __future__ import annotations

import json
import threading

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from app.custody.ledger import append_custody_event
from app.custody.models import LedgerEntry
from app.extensions import db
from app.security import org_keys
from app.vault import hooks
from app.vault.processing import process_new_evidence
from app.vault.upload import stream
from app.vault.upload.stream import begin_intake
from tests.conftest import backend
from tests.helpers.factories import InvestigationFactory, MembershipFactory, UserFactory
from tests.helpers.media import jpeg_with_exif
from tests.security.intake_channels import custody_actions

WAIT = 30  # seconds: only reached when something is broken


@pytest.fixture
def unprocessed_photo(app_ctx, monkeypatch):
    """A photo recorded by the real intake, its processing not yet run."""
    if not org_keys.keys_initialised():
        org_keys.init_keys(org_keys.keys_dir(), org_keys.master_key())
    investigation = InvestigationFactory()
    user = UserFactory(role="field")
    MembershipFactory(user=user, investigation=investigation)
    monkeypatch.setattr(stream, "run_post_intake", lambda evidence_id: None)
    data = jpeg_with_exif()
    writer = begin_intake(investigation, user, "market.jpg", None, len(data))
    writer.write(data)
    return writer.finish().id, investigation


@pytest.fixture
def slow_step(monkeypatch):
    """A processing step that waits, mid-processing, until the test lets it go."""
    started, release = threading.Event(), threading.Event()

    def step(item, reader) -> None:
        started.set()
        release.wait(WAIT)

    monkeypatch.setitem(hooks._processing, "slow_for_the_test", step)
    yield started, release
    release.set()


@pytest.mark.postgres_only
@pytest.mark.skipif(
    backend() != "postgresql",
    reason="PostgreSQL's row lock on the head; SQLite has one write lock for the whole database",
)
def test_a_page_view_is_recorded_while_an_item_of_the_investigation_is_processed(
    app, unprocessed_photo, slow_step
):
    item_id, investigation = unprocessed_photo
    started, release = slow_step
    failures: list[BaseException] = []

    def process() -> None:
        with app.app_context():
            try:
                process_new_evidence(item_id)
            except BaseException as exc:  # noqa: BLE001 (reported by the test, not lost in the thread)
                failures.append(exc)
            finally:
                db.session.remove()

    worker = threading.Thread(target=process)
    worker.start()
    try:
        assert started.wait(WAIT), "processing never reached its steps"
        # Processing has extracted the metadata and made the thumbnails by now. A lawyer's
        # view of another item is recorded at once, not after the processing commits.
        db.session.execute(sa.text("SET LOCAL lock_timeout = '3s'"))
        append_custody_event(
            investigation.id, "system:test-viewer", "viewed", "evidence", "another-item", {}
        )
        db.session.commit()
    finally:
        release.set()
        worker.join(WAIT)
    assert not failures, failures
    recorded = custody_actions(item_id)
    assert recorded.count("metadata_extracted") == 1
    assert recorded.count("derivative_created") == 2  # the thumbnail and the stripped copy
    body = db.session.scalar(
        select(LedgerEntry.body).where(
            LedgerEntry.object_id == item_id, LedgerEntry.action == "metadata_extracted"
        )
    )
    view_seq = db.session.scalar(
        select(LedgerEntry.seq).where(LedgerEntry.object_id == "another-item")
    )
    extracted_seq = db.session.scalar(
        select(LedgerEntry.seq).where(
            LedgerEntry.object_id == item_id, LedgerEntry.action == "metadata_extracted"
        )
    )
    assert json.loads(body)["details"]["status"] == "ok"
    assert view_seq < extracted_seq  # the view went in while the item was being processed
    result = app.test_cli_runner().invoke(args=["custody", "verify", investigation.reference])
    assert result.exit_code == 0, result.stderr


def test_a_failed_processing_appends_nothing(app_ctx, unprocessed_photo, monkeypatch):
    item_id, _ = unprocessed_photo

    def broken(item, reader) -> None:
        raise RuntimeError("a step that fails")

    monkeypatch.setitem(hooks._processing, "broken_for_the_test", broken)
    before = custody_actions(item_id)
    with pytest.raises(RuntimeError):
        process_new_evidence(item_id)
    db.session.rollback()
    assert custody_actions(item_id) == before == ["received"]
