"""A redacted-only export holds no device metadata, GPS position or stated fact anywhere in the
bag (or a coarsened position on request), and says truthfully what it left out."""

from __future__ import annotations

import json

from app.casefiles.services import casefiles
from app.casefiles.services.redaction import Rectangle, create_redacted_copy
from app.extensions import db
from app.vault.upload.stream import begin_intake
from tests.casefiles.test_export_bag import cli_export
from tests.casefiles.test_export_protection import bag_texts, find_identities
from tests.helpers.media import jpeg_with_exif

# What the photo and its uploader say about where, when and with what (tests/helpers/media.py):
# 36°12'7.5"N 37°8'3.25"E = 36.2020833, 37.1342361; Canon EOS 5D Mark IV; FieldCam 1.0.
# (Full digits: the ledger's timestamps hold seconds such as 37.134...)
DISCLOSING = [
    "Canon",
    "EOS 5D",
    "FieldCam",
    "36.2020833",
    "37.1342361",
    "36.2020811",
    "37.1342399",
    "412.5",
    "2024-05-01T10:15",
    "2024:05:01",
    "STATED-ROOFTOP-MARKER",
    "STATED-CAPTURER-MARKER",
    "PXL_20240501",
]


def evidence_texts(bag):
    """Every file of the bag but the shipped verifier, which is the same code in every bag (its
    word "Canonical" is not the camera make "Canon")."""
    return {n: t for n, t in bag_texts(bag).items() if not n.startswith("data/tools/")}


def gps_photo(world):
    data = jpeg_with_exif()
    facts = {
        "location": "STATED-ROOFTOP-MARKER near the hospital",
        "captured_by": "STATED-CAPTURER-MARKER",
        "latitude": 36.2020811,
        "longitude": 37.1342399,
    }
    writer = begin_intake(
        world.investigation, world.field, "PXL_20240501_101530.jpg", facts, len(data)
    )
    writer.write(data)
    item = writer.finish()
    casefiles.add_item(world.casefile, world.investigation, world.author, "evidence", item.id)
    db.session.commit()
    return item


def test_a_redacted_only_export_holds_no_gps_device_or_stated_location_anywhere(
    app, built_case, tmp_path
):
    world = built_case
    photo = gps_photo(world)
    create_redacted_copy(world.casefile, world.author, photo, [Rectangle(0.1, 0.1, 0.2, 0.2)])
    db.session.commit()
    full = tmp_path / "full"
    cli_export(app, world.casefile.reference, full, "--files", "originals")
    assert {n for _, n in find_identities(evidence_texts(full), DISCLOSING)} >= {
        "Canon",
        "36.2020833",
        "STATED-ROOFTOP-MARKER",
    }  # the originals' export carries them: the check below looks for what is really there

    redacted = tmp_path / "redacted"
    cli_export(app, world.casefile.reference, redacted, "--files", "redacted")
    assert find_identities(evidence_texts(redacted), DISCLOSING) == []
    assert list(redacted.glob("data/items/*-evidence-*/redacted/redacted-1.jpg"))
    metadata = [json.loads(p.read_text()) for p in redacted.glob("data/items/*/metadata.json")]
    assert any("GPS position" in m.get("withheld", "") for m in metadata)


def test_a_redacted_export_can_carry_a_coarsened_location(app, built_case, tmp_path):
    world = built_case
    photo = gps_photo(world)
    create_redacted_copy(world.casefile, world.author, photo, [Rectangle(0.1, 0.1, 0.2, 0.2)])
    db.session.commit()
    bag = tmp_path / "bag"
    cli_export(
        app, world.casefile.reference, bag, "--files", "redacted", "--location-precision", "1"
    )
    texts = evidence_texts(bag)
    assert find_identities(texts, DISCLOSING) == []
    coarse = [
        m["location_coarsened"]
        for p in bag.glob("data/items/*/metadata.json")
        if "location_coarsened" in (m := json.loads(p.read_text()))
    ]
    assert coarse  # the case's photos were taken at the same place (tests/helpers/media.py)
    assert {(c["latitude"], c["longitude"]) for c in coarse} == {(36.2, 37.1)}
    assert "about 11 km" in texts["data/report/casefile-report.html"]


def test_redacted_copies_that_do_not_exist_are_reported_as_left_out(app, built_case, tmp_path):
    world = built_case
    bag = tmp_path / "bag"
    cli_export(app, world.casefile.reference, bag, "--files", "redacted")
    exclusions = json.loads((bag / "data" / "exclusions.json").read_text())
    assert any(
        e["item_id"] == world.photo.id and "no redacted copy exists" in e["reason"]
        for e in exclusions
    )
    report = (bag / "data/report/casefile-report.html").read_text()
    assert "Nothing was left out" not in report
    assert "no redacted copy exists" in report
    assert not list(bag.glob("data/items/*-evidence-*/original"))


def test_a_coarse_location_is_refused_for_originals(app, built_case, tmp_path):
    result = app.test_cli_runner().invoke(
        args=[
            *("case", "export", built_case.casefile.reference, "--out", str(tmp_path / "b")),
            *("--unencrypted-reason", "x", "--location-precision", "1"),
        ]
    )
    assert result.exit_code != 0 and "coarse location is for redacted exports" in result.output
    assert not (tmp_path / "b").exists()
