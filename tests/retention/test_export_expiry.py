"""Export expiry leaves a bag a legal hold covers (its case file, investigation or an item)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.casefiles.models import CaseExport
from app.casefiles.services.export_lifecycle import expire_exports
from app.extensions import db
from app.retention import holds
from app.timeutil import utcnow
from tests.retention.conftest import stored_item
from tests.retention.support import casefile_with, finished_export


@pytest.fixture
def old_export(world, tmp_path):
    bag = tmp_path / "bag.tar"
    item = stored_item(world)
    export = finished_export(
        world,
        casefile_with(world, "CF-T-EXP"),
        bag,
        finished_at=utcnow() - timedelta(days=400),
        expires_at=utcnow() - timedelta(days=1),
        item_refs=[["evidence", item.id]],
    )
    return export, bag, item


def hold(world, target_type: str, target: str = "") -> None:
    holds.place_hold(
        world.viewer(world.asker), holds.HoldInput(target_type, target, "Court", "EXP-1", "Keep")
    )
    db.session.commit()


@pytest.mark.parametrize("target_type", ["casefile", "investigation", "evidence"])
def test_a_held_export_outlives_its_retention(app, world, old_export, target_type):
    export, bag, item = old_export
    target = {"casefile": "CF-T-EXP", "investigation": "", "evidence": item.id}[target_type]
    hold(world, target_type, target)
    assert expire_exports() == 0
    assert bag.exists()
    assert db.session.get(CaseExport, export.id).withdrawn_at is None


def test_an_unheld_export_still_expires(app, world, old_export):
    export, bag, _ = old_export
    assert expire_exports() == 1
    assert not bag.exists()


def test_an_exports_page_says_an_item_in_it_was_destroyed_since(app, world, old_export, signed_in):
    from app.casefiles.services.export_lifecycle import export_notes
    from tests.retention.test_disposition import destroy

    export, _, item = old_export
    item_id, sha256 = item.id, item.sha256
    export.expires_at = None
    db.session.commit()
    assert export_notes(export) == []
    destroy(world, item)
    [line] = export_notes(export)
    assert item_id in line and sha256 in line
    page = signed_in(world.asker).get(
        f"/investigations/{world.investigation.reference}/cases/CF-T-EXP/exports/{export.id}"
    )
    assert page.status_code == 200
    assert sha256 in page.get_data(as_text=True)
