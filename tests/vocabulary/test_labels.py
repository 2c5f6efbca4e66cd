"""The labels of consent purposes and custody actions (app/vocabulary): read once a request in
the reader's language, from the table, else the shipped file, else the code itself; synced
without overwriting an admin's; edited only within the shipped codes."""

from __future__ import annotations

import pytest
from sqlalchemy import delete

from app.custody.ledger import CustodyAction
from app.extensions import db
from app.vocabulary.labels import (
    VOCABULARIES,
    VocabularyLabelError,
    label_of,
    labels,
    shipped,
    sync_vocabulary_labels,
    update_label,
)
from app.vocabulary.models import VocabularyLabel


def test_label_of_falls_back_to_the_shipped_file_then_the_code(app):
    with app.test_request_context(headers={"Accept-Language": "ar"}):
        assert label_of("consent_purpose", "named") == "ذكر الاسم"  # no row: the shipped label
        assert label_of("custody_action", "not_a_real_action") == "not a real action"
    with app.app_context():  # a job or the CLI: English
        assert label_of("custody_action", "testimony_sealed") == "Testimony sealed"


def test_sync_adds_what_is_missing_and_keeps_an_admins_words(app_ctx):
    db.session.execute(delete(VocabularyLabel))  # whatever an earlier test synced
    db.session.commit()
    shipped_counts = {vocabulary: len(shipped(vocabulary)) for vocabulary in VOCABULARIES}
    assert shipped_counts["consent_purpose"] == 5
    assert shipped_counts["custody_action"] == len(CustodyAction)
    assert sync_vocabulary_labels() == shipped_counts
    row = db.session.get(VocabularyLabel, ("custody_action", "received"))
    row.label, row.label_ru = "Taken in", ""
    db.session.commit()
    assert sync_vocabulary_labels() == {"consent_purpose": 0, "custody_action": 0}
    assert (row.label, row.label_ru) == ("Taken in", "Получение")


def test_labels_keep_the_shipped_order(app_ctx):
    codes = [row.code for row in labels("consent_purpose")]
    assert codes == ["interview", "legal_proceedings", "un_sharing", "publication", "named"]


@pytest.mark.parametrize(
    ("vocabulary", "code", "texts"),
    [
        ("weapons", "barrel_bomb", {"label": "Barrel bomb"}),  # not a vocabulary of this table
        ("custody_action", "sold", {"label": "Sold"}),  # not a code of the code base
        ("custody_action", "received", {"label": "  "}),  # English is required
        ("custody_action", "received", {"label": "R", "label_ar": "ب" * 201}),
    ],
)
def test_an_edit_outside_the_rules_is_refused_and_stores_nothing(app_ctx, vocabulary, code, texts):
    with pytest.raises(VocabularyLabelError):
        update_label(vocabulary, code, texts, None)
    assert db.session.scalar(db.select(db.func.count()).select_from(VocabularyLabel)) == 0


def test_an_edit_of_a_code_not_yet_synced_stores_it_with_its_shipped_translations(app_ctx):
    row = update_label("custody_action", "received", {"label": "Taken\x00 in"}, None)
    assert (row.label, row.label_ar) == ("Taken in", "الاستلام")
