"""Reading, syncing and editing the labels of consent purposes and custody actions.

A page asks `label_of("custody_action", "received")`: the label in the reader's language from
the table, read once per request; a code the table lacks (a fresh database before `flask
taxonomy sync`) takes the shipped label from app/taxonomy/<vocabulary>.yaml, and a code
nowhere labelled shows as itself, so a page never fails for want of a label.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from flask import g, has_request_context
from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.label_translations import LABEL_LANGUAGES, in_reader_language
from app.service_errors import ServiceError
from app.timeutil import utcnow
from app.vocabulary.models import VocabularyLabel

TAXONOMY_DIR = Path(__file__).resolve().parents[1] / "taxonomy"
# vocabulary -> its shipped file; the file's top-level key is the vocabulary's name.
VOCABULARIES = {
    "consent_purpose": "consent_purposes.yaml",
    "custody_action": "custody_actions.yaml",
}
MAX_LABEL = 200
# Control characters only ever arrive by accident or to spoof a page; NUL cannot be stored.
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class VocabularyLabelError(ServiceError):
    """An edit refused: unknown vocabulary or code, an empty or overlong label."""

    status = 400


@lru_cache(maxsize=len(VOCABULARIES))
def shipped(vocabulary: str) -> tuple[dict[str, Any], ...]:
    """The shipped entries of a vocabulary, in order: {code, label, label_ar, label_ru,
    position}."""
    import yaml  # on first use: about 1 MB a web worker need not hold

    path = TAXONOMY_DIR / VOCABULARIES[vocabulary]
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))[vocabulary]
    return tuple(
        {
            "code": str(entry["code"]),
            "label": str(entry["label"]),
            **{f"label_{lang}": str(entry.get(f"label_{lang}") or "") for lang in LABEL_LANGUAGES},
            "position": position * 10,
        }
        for position, entry in enumerate(entries)
    )


def labels(vocabulary: str) -> list[Any]:
    """Every label of a vocabulary in order: the rows, then shipped codes the table lacks."""
    rows = {row.code: row for row in _rows(vocabulary)}
    extra = [SimpleNamespace(**e) for e in shipped(vocabulary) if e["code"] not in rows]
    return sorted([*rows.values(), *extra], key=lambda row: (row.position, row.code))


def label_of(vocabulary: str, code: str) -> str:
    """The code's label in the reader's language, English where it has no translation."""
    for row in _cached(vocabulary):
        if row.code == code:
            return in_reader_language(row, "label")
    return code.replace("_", " ")


def _cached(vocabulary: str) -> list[Any]:
    # One query per vocabulary and request: a ledger page of 100 entries asks 100 times. Only
    # a request's: a job's app context may live on after an admin's edit.
    if not has_request_context():
        return labels(vocabulary)
    cache = g.setdefault("vocabulary_labels", {})
    if vocabulary not in cache:
        cache[vocabulary] = labels(vocabulary)
    return cache[vocabulary]


def _rows(vocabulary: str) -> list[VocabularyLabel]:
    return list(
        db.session.scalars(select(VocabularyLabel).where(VocabularyLabel.vocabulary == vocabulary))
    )


def sync_vocabulary_labels() -> dict[str, int]:
    """Add every shipped code the table lacks and shipped translations nobody has written yet;
    never overwrite an admin's label."""
    added = {}
    for vocabulary in VOCABULARIES:
        known = {row.code: row for row in _rows(vocabulary)}
        count = 0
        for entry in shipped(vocabulary):
            row = known.get(entry["code"])
            if row is None:
                db.session.add(VocabularyLabel(vocabulary=vocabulary, **entry))
                count += 1
                continue
            for lang in LABEL_LANGUAGES:
                field = f"label_{lang}"
                if not getattr(row, field) and entry[field]:
                    setattr(row, field, entry[field])
        added[vocabulary] = count
    db.session.flush()
    return added


def update_label(
    vocabulary: str, code: str, texts: dict[str, str | None], actor: Any
) -> VocabularyLabel:
    """Set a code's label in English (required) and in each interface language (empty: the
    reader sees English); a language left out (None) keeps its label."""
    known = shipped(vocabulary) if vocabulary in VOCABULARIES else ()
    entry = next((e for e in known if e["code"] == code), None)
    if entry is None:
        raise VocabularyLabelError(_("No such label."))
    cleaned = {
        field: " ".join(CONTROL.sub(" ", value).split())
        for field, value in texts.items()
        if field in ("label", *(f"label_{lang}" for lang in LABEL_LANGUAGES)) and value is not None
    }
    if "label" in cleaned and not cleaned["label"]:
        raise VocabularyLabelError(
            _("Give the English label: it is shown where no other is."), "label"
        )
    if any(len(value) > MAX_LABEL for value in cleaned.values()):
        raise VocabularyLabelError(_("A label has at most %(n)s characters.", n=MAX_LABEL))
    row = db.session.get(VocabularyLabel, (vocabulary, code))
    if row is None:
        row = VocabularyLabel(vocabulary=vocabulary, **entry)
        db.session.add(row)
    for field, value in cleaned.items():
        setattr(row, field, value)
    row.updated_at = utcnow()
    row.updated_by_id = getattr(actor, "id", None)
    db.session.flush()
    return row
