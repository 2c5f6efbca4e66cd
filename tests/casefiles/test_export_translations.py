"""A case-file export carries the original testimony, every sealed translation beside it (text
and a side-by-side PDF), and translations.json; drafts stay home; names are scrubbed in both."""

from __future__ import annotations

import io
import json

import pytest
from pypdf import PdfReader

from app.extensions import db
from app.intake.services.translation_sealing import seal_translation
from app.intake.services.translations import (
    TranslationInput,
    TranslationSource,
    start_translation,
)
from tests.casefiles.conftest import HIDDEN_NAME
from tests.casefiles.test_export_bag import cli_export
from tests.casefiles.test_export_protection import find_identities

TRANSLATED = "I saw the second strike hit the entrance of the hospital. TRANSLATION-MARKER"
DRAFT_MARKER = "DRAFT-TRANSLATION-MARKER"


def translate(world, text, target="en", sealed=True):
    interview = world.interview
    translation = start_translation(
        interview,
        world.author,
        TranslationSource("testimony", interview.content_hash),
        TranslationInput(source_language="ar", target_language=target, text=text),
    )
    if sealed:
        seal_translation(translation, interview, world.reviewer)
    db.session.commit()
    return translation


@pytest.fixture
def translated_case(built_case):
    sealed = translate(built_case, f"My name is {HIDDEN_NAME}. {TRANSLATED}")
    translate(built_case, DRAFT_MARKER, target="fr", sealed=False)
    built_case.translation = sealed
    return built_case


def pdf_text(path) -> str:
    return "\n".join(
        page.extract_text() or "" for page in PdfReader(io.BytesIO(path.read_bytes())).pages
    )


def test_the_bag_carries_the_original_and_its_sealed_translation(app, translated_case, tmp_path):
    world, out = translated_case, tmp_path / "bag"
    cli_export(app, world.casefile.reference, out)
    data = out / "data"
    (record,) = json.loads((data / "translations.json").read_text(encoding="utf-8"))
    translation = world.translation
    assert record["translation_id"] == translation.id
    assert record["content_hash"] == translation.content_hash
    assert record["source"]["content_hash"] == world.interview.content_hash
    assert record["interview_content_hash"] == world.interview.content_hash
    assert (record["source_language"], record["target_language"]) == ("ar", "en")
    assert record["method"]["kind"] == "human"
    assert record["people"]["translator"]["id"] == world.author.id
    assert record["people"]["reviser"]["id"] == world.reviewer.id
    assert record["authoritative"] is False
    original = (data / record["item_folder"] / "transcript.txt").read_text(encoding="utf-8")
    assert "I saw the second strike" in original
    text = (data / record["text_file"]).read_text(encoding="utf-8")
    assert TRANSLATED in text and translation.content_hash in text
    side_by_side = pdf_text(data / record["pdf_file"])
    assert "TRANSLATION-MARKER" in side_by_side and "entrance of the hospital" in side_by_side
    report = pdf_text(data / "report" / "casefile-report.pdf")
    assert "TRANSLATION-MARKER" in report


def test_a_draft_translation_never_leaves(app, translated_case, tmp_path):
    out = tmp_path / "bag"
    cli_export(app, translated_case.casefile.reference, out)
    files = [p for p in out.rglob("*") if p.is_file()]
    assert not any(DRAFT_MARKER in p.read_bytes().decode("utf-8", "replace") for p in files)


def test_the_scrubber_covers_translated_text_as_it_covers_the_original(
    app, translated_case, tmp_path
):
    out = tmp_path / "bag"
    cli_export(app, translated_case.casefile.reference, out)
    texts = {}
    for path in (out / "data").rglob("*"):
        if path.is_file() and ("translation" in path.name or "translations" in str(path)):
            raw = pdf_text(path) if path.suffix == ".pdf" else path.read_text(encoding="utf-8")
            texts[str(path)] = raw
    assert len(texts) >= 3  # translations.json, the text and the PDF
    assert find_identities(texts, [HIDDEN_NAME, "Yasmin", "Haddad-Qasimi"]) == []
