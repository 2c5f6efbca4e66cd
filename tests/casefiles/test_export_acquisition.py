"""Each evidence item's acquisition record (Berkeley Protocol) is in its metadata.json in a bag;
who it came from only where the identity may go out."""

from __future__ import annotations

import json

from app.acquisition.services import record_acquisition
from app.extensions import db
from app.investigations.models import Membership
from app.investigations.viewer import InvestigationViewer
from tests.casefiles.test_export_bag import cli_export

SOURCE = "SOURCE-MARKER Abu Khalil"


def record_for(world) -> None:
    membership = db.session.query(Membership).filter_by(user_id=world.author.id).one()
    viewer = InvestigationViewer(
        investigation=world.investigation, user=world.author, membership=membership
    )
    record_acquisition(
        viewer,
        world.photo,
        {
            "online_link": "https://video.example/watch?v=42",
            "online_title": "Hospital gate after the strike",
            "acquired_at": "2016-04-28T07:00:00",
            "method": "from_source",
            "acquired_from": SOURCE,
            "generation": "copy",
            "original_location": "the source's phone",
            "edited": "no",
            "hashes_at_acquisition": "md5:0123456789abcdef0123456789abcdef",
        },
    )
    db.session.commit()


def evidence_metadata(bag) -> dict:
    (path,) = bag.glob("data/items/*-evidence-*/metadata.json")
    return json.loads(path.read_text())


def test_the_bag_carries_each_items_acquisition_record(app, built_case, tmp_path):
    record_for(built_case)
    cli_export(app, built_case.casefile.reference, tmp_path / "bag", "--files", "originals")
    record = evidence_metadata(tmp_path / "bag")["berkeley_protocol"]
    assert record["online_link"] == "https://video.example/watch?v=42"
    assert record["online_title"] == "Hospital gate after the strike"
    assert record["acquired_at"] == "2016-04-28T07:00:00Z"
    assert (record["method"], record["generation"], record["edited"]) == (
        "from_source",
        "copy",
        "no",
    )
    assert record["original_location"] == "the source's phone"
    assert record["acquired_from"] == SOURCE
    assert record["hashes_at_acquisition"] == "md5:0123456789abcdef0123456789abcdef"
    assert record["hashes_at_receipt"] == {"sha256": built_case.photo.sha256}
    assert record["recorded"] is True


def test_a_redacted_export_withholds_who_the_item_came_from(app, built_case, tmp_path):
    record_for(built_case)
    cli_export(app, built_case.casefile.reference, tmp_path / "bag", "--files", "redacted")
    record = evidence_metadata(tmp_path / "bag")["berkeley_protocol"]
    assert "acquired_from" not in record and record["withheld"] == ["acquired_from"]
    assert record["online_title"] == "Hospital gate after the strike"
    texts = [p.read_bytes() for p in (tmp_path / "bag").rglob("*") if p.is_file()]
    assert not any(b"SOURCE-MARKER" in text for text in texts)


def test_an_item_with_no_record_exports_what_custos_knows(app, built_case, tmp_path):
    cli_export(app, built_case.casefile.reference, tmp_path / "bag", "--files", "originals")
    record = evidence_metadata(tmp_path / "bag")["berkeley_protocol"]
    assert record["recorded"] is False
    assert record["hashes_at_receipt"] == {"sha256": built_case.photo.sha256}
    assert record["acquired_at"].endswith("Z")
