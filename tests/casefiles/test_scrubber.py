"""Withhold, never rewrite: whole names of the case file's witnesses are scrubbed from free text
as typed (apostrophes, ampersands, Arabic with diacritics and bidi marks, line breaks), and
nothing else is touched: staff who share a name part, camera models, recorded values."""

from __future__ import annotations

import io
import json
from types import SimpleNamespace

import pytest
from pypdf import PdfReader

from app.casefiles.services import casefiles
from app.casefiles.services.scrubber import Scrubber, identity_replacements
from app.extensions import db
from tests.casefiles.test_export_bag import cli_export
from tests.casefiles.test_export_destinations import export_form
from tests.helpers.factories import MembershipFactory, UserFactory
from tests.intake.builders import make_witness

ARABIC = "ليلى حداد"
# The same name as typed with tashkeel, a tatweel, a right-to-left mark and an isolate.
ARABIC_MARKED = "لَيْلَى\u200f حـدّاد\u2067"


def scrubber_for(*names: str) -> Scrubber:
    pairs = []
    for number, name in enumerate(names, start=1):
        witness = SimpleNamespace(
            code=f"W-{number:04d}",
            full_name=name,
            contact=None,
            current_location=None,
            date_of_birth=None,
        )
        pairs += identity_replacements(witness, named=False)
    return Scrubber(pairs)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Statement of Sa'id Al-Masri & family",
            "Statement of [W-0001 identity withheld] & family",
        ),
        ("Statement of Sa’id Al‐Masri, again", "Statement of [W-0001 identity withheld], again"),
        ("Notes on Sa'id\nAl-Masri's account", "Notes on [W-0001 identity withheld]'s account"),
        (
            f"شهادة {ARABIC_MARKED} عن القصف",
            "شهادة [W-0002 identity withheld]\u2067 عن القصف",
        ),
    ],
)
def test_whole_names_are_found_as_typed(text, expected):
    assert scrubber_for("Sa'id Al-Masri", ARABIC).text(text) == expected


def test_parts_of_names_and_longer_words_are_left_alone():
    scrub = scrubber_for("Layla Nasser", "Yusuf Karimi")
    for text in (
        "Exported by Layla Haddad <layla.haddad@example.org>",
        "Uploaded by yusuf.k@example.org",
        "Camera: Generated image (fictional)",
        "Nasser Street checkpoint",
        "Layla Nassers",
    ):
        assert scrub.text(text) == text


def test_recorded_values_are_withheld_whole_never_edited():
    scrub = scrubber_for("Layla Nasser")
    record = {"make": "Canon", "artist": "Photo by Layla Nasser", "tags": ["a", "Layla Nasser"]}
    clean, withheld = scrub.withhold(record)
    assert clean == {"make": "Canon", "artist": None, "tags": ["a", None]}
    assert withheld == ["artist", "tags[1]"]


@pytest.fixture
def tricky_case(built_case):
    """A case file whose title and notes name a witness with an apostrophe, in Arabic with
    marks, across a line; a lawyer who shares a name part with a witness; a witness of the
    investigation outside the case file."""
    from app.casefiles.services import assessments
    from app.intake.services.sealing import seal_testimony
    from tests.intake.builders import consent_input, make_interview

    world = built_case
    said = make_witness(world.investigation, world.field, full_name="Sa'id Al-Masri")
    arabic = make_witness(world.investigation, world.field, full_name=ARABIC)
    outsider = make_witness(
        world.investigation, world.field, full_name="Layla Nasser", consent=consent_input()
    )
    for witness in (said, arabic):
        interview = make_interview(
            world.investigation, world.field, witness, incidents=[world.incident]
        )
        seal_testimony(interview, world.field)
        item = casefiles.add_item(
            world.casefile, world.investigation, world.author, "interview", interview.id
        )
        assessments.annotate_item(
            world.casefile,
            world.author,
            item,
            f"Heard from Sa'id\nAl-Masri & {ARABIC_MARKED}; "
            "Layla Nasser (not in this case file) was present.",
        )
    lawyer = UserFactory(role="lawyer", email="layla.haddad@example.org", name="Layla Haddad")
    MembershipFactory(user=lawyer, investigation=world.investigation, may_see_identities=True)
    world.casefile.title = f"Sa'id Al-Masri & {ARABIC_MARKED}: the market strike"
    db.session.commit()
    world.extra = SimpleNamespace(said=said, arabic=arabic, outsider=outsider, lawyer=lawyer)
    return world


def test_the_report_and_bag_hold_no_whole_name_and_leave_staff_and_outsiders_alone(
    app, tricky_case, tmp_path
):
    world = tricky_case
    bag = tmp_path / "bag"
    cli_export(app, world.casefile.reference, bag, "--by", "layla.haddad@example.org")
    html = (bag / "data/report/casefile-report.html").read_text()
    pdf = "".join(
        p.extract_text() or ""
        for p in PdfReader(io.BytesIO((bag / "data/report/casefile-report.pdf").read_bytes())).pages
    )
    for text in (html, pdf):
        for needle in ("Masri", "حداد", "ﺣﺪاد", "Sa&#39;id", "Sa'id"):
            assert needle not in text, needle
    assert f"[{world.extra.said.code} identity withheld] &amp; [{world.extra.arabic.code}" in html
    # Staff stay as recorded, and a witness outside the case file is nobody's to hide here.
    info = (bag / "bag-info.txt").read_text()
    assert "Exported-By: Layla Haddad <layla.haddad@example.org>" in info
    assert "Layla Haddad" in html
    assert "Layla Nasser (not in this case file)" in html


def test_the_form_offers_only_the_case_files_witnesses(tricky_case, signed_in):
    world = tricky_case
    page = export_form(signed_in(world.author), world)
    assert world.extra.outsider.id not in page and "Layla Nasser" not in page
    assert world.hearsay_witness.id in page  # in the case file, consented to being named


def test_metadata_that_would_disclose_a_witness_is_withheld_and_listed(app, tricky_case, tmp_path):
    from app.vault.upload.stream import begin_intake
    from tests.helpers.media import jpeg_with_exif

    world = tricky_case
    data = jpeg_with_exif()
    facts = {"captured_by": "Sa'id Al-Masri", "device": "Generated image (fictional)"}
    writer = begin_intake(world.investigation, world.field, "x.jpg", facts, len(data))
    writer.write(data)
    item = writer.finish()
    casefiles.add_item(world.casefile, world.investigation, world.author, "evidence", item.id)
    db.session.commit()
    bag = tmp_path / "bag"
    cli_export(app, world.casefile.reference, bag)
    [metadata] = [
        m
        for p in bag.glob("data/items/*/metadata.json")
        if (m := json.loads(p.read_text())).get("id") == item.id
    ]
    assert metadata["client_facts"] == {
        "captured_by": None,
        "device": "Generated image (fictional)",
    }
    assert metadata["withheld_fields"] == ["client_facts.captured_by"]
