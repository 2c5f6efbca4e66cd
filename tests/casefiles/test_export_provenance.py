"""Exported bags carry what each file says about itself: `provenance.json` per evidence item
with its capture-proof and consistency checks, in full beside an original, verdicts and codes
only in a redacted export."""

from __future__ import annotations

import json

from app.casefiles.services import casefiles
from app.extensions import db
from app.vault.upload.stream import begin_intake
from tests.casefiles.test_export_bag import cli_export
from tests.provenance.c2pa_vectors import make_authority, signed_jpeg


def add_signed_photo(world, monkeypatch, tmp_path, app):
    authority = make_authority()
    anchors = tmp_path / "anchors.pem"
    anchors.write_text(authority.root_pem)
    monkeypatch.setitem(app.config, "CUSTOS_C2PA_TRUST_ANCHORS", str(anchors))
    data = signed_jpeg(authority)
    writer = begin_intake(world.investigation, world.field, "signed.jpg", None, len(data))
    writer.write(data)
    item = writer.finish()
    casefiles.add_item(world.casefile, world.investigation, world.author, "evidence", item.id)
    db.session.commit()
    return item


def provenance_of(bag, item) -> dict:
    (path,) = bag.glob(f"data/items/*-evidence-{item.id[:8]}/provenance.json")
    return json.loads(path.read_text())


def test_an_export_of_originals_carries_each_check_in_full(app, built_case, tmp_path, monkeypatch):
    item = add_signed_photo(built_case, monkeypatch, tmp_path, app)
    bag = tmp_path / "bag"
    cli_export(app, built_case.casefile.reference, bag, "--files", "originals")
    record = provenance_of(bag, item)
    (check,) = record["provenance_checks"]
    assert (check["kind"], check["verdict"]) == ("c2pa", "trusted")
    assert check["signer"]["subject"] == "Test Root Signer"
    assert record["sha256"] == item.sha256 and len(record["consistency_checks"]) == 1
    (consistency,) = record["consistency_checks"]
    assert {c["source"] for c in consistency["checks"]} == {"file", "c2pa"}
    claim = next(c for c in consistency["checks"] if c["source"] == "c2pa")
    assert claim["detail"]["proof_verdict"] == "trusted"
    assert claim["detail"]["proof_check_id"] == check["check_id"]
    assert list(bag.glob(f"data/items/*-evidence-{item.id[:8]}/original/*"))


def test_a_redacted_export_carries_verdicts_and_codes_only(app, built_case, tmp_path, monkeypatch):
    item = add_signed_photo(built_case, monkeypatch, tmp_path, app)
    bag = tmp_path / "redacted"
    cli_export(app, built_case.casefile.reference, bag, "--files", "redacted")
    (check,) = provenance_of(bag, item)["provenance_checks"]
    assert check["verdict"] == "trusted" and check["result_sha256"]
    assert "signer" not in check and "manifest" not in check
    assert "Test Root Signer" not in json.dumps(provenance_of(bag, item))
    (consistency,) = provenance_of(bag, item)["consistency_checks"]
    assert "checks" not in consistency  # the claims' times and places stay out
