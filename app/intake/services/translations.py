"""Translation drafts: started from the exact sealed text they translate, edited by the translator.

A translation is of a sealed testimony or of one of its addenda, and names the content hash it
was made from: the form carries the hash the translator saw, and a hash that is not the
chosen text's is refused (the text changed, or the request was forged), with nothing stored.
Sealing by a second person is translation_sealing.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.extensions import db
from app.intake.errors import (
    FieldError,
    IntakePermissionError,
    IntakeValidationError,
    SealedTranslationError,
    field_error,
)
from app.intake.models import Interview, Translation, TranslationMethod, TranslationStatus
from app.intake.services.interviews import MAX_TRANSCRIPT
from app.intake.textinput import check_length, clean_line, clean_text, looks_like_row_id
from app.intake.visibility import may_edit_translation
from app.investigations.models import Investigation
from app.investigations.viewer import viewer_of
from app.language_codes import canonical_code
from app.timeutil import utcnow

# The form's value for "the testimony itself" (an addendum is named by its id). Refusals about
# what is translated name the field "original", which no form shows: the whole form's error.
WHOLE_TESTIMONY = "testimony"
MAX_ENGINE = 64
MAX_ENGINE_VERSION = 32


@dataclass
class TranslationInput:
    source_language: str
    target_language: str
    text: str
    method: str = TranslationMethod.HUMAN.value
    engine: str = ""
    engine_version: str = ""


@dataclass
class TranslationSource:
    """What a new translation translates: the testimony or one addendum, and the hash seen."""

    source: str  # WHOLE_TESTIMONY or an addendum id
    source_hash: str
    supersedes_id: str | None = None


def source_hash_of(interview: Interview, addendum_id: str | None) -> str | None:
    """The content hash of the testimony (addendum_id None) or of one of its addenda."""
    if addendum_id is None:
        return interview.content_hash
    for addendum in interview.addenda:
        if addendum.id == addendum_id:
            return addendum.content_hash
    return None


def _clean(data: TranslationInput, errors: list[FieldError]) -> dict[str, Any]:
    source_language = canonical_code(data.source_language or "")
    target_language = canonical_code(data.target_language or "")
    if source_language is None:
        errors.append(FieldError("source_language", "unknown_language"))
    if target_language is None:
        errors.append(FieldError("target_language", "unknown_language"))
    elif source_language == target_language:
        errors.append(FieldError("target_language", "same_language"))
    text = clean_text(data.text)
    if not text:
        errors.append(FieldError("text", "required"))
    check_length(errors, "text", text, MAX_TRANSCRIPT)
    method = (data.method or "").strip()
    engine, version = clean_line(data.engine), clean_line(data.engine_version)
    if method not in {m.value for m in TranslationMethod}:
        errors.append(FieldError("translated_by", "invalid_choice"))
    elif method == TranslationMethod.MACHINE.value and not (engine and version):
        errors.append(FieldError("engine", "engine_required"))
    elif method == TranslationMethod.HUMAN.value and (engine or version):
        errors.append(FieldError("engine", "engine_without_machine"))
    check_length(errors, "engine", engine, MAX_ENGINE)
    check_length(errors, "engine_version", version, MAX_ENGINE_VERSION)
    return dict(
        source_language=source_language,
        target_language=target_language,
        text=text,
        method=method,
        engine=engine or None,
        engine_version=version or None,
    )


def _source(interview: Interview, chosen: TranslationSource) -> tuple[str | None, str]:
    """(addendum id or None, its content hash); refused unless it is this sealed text's hash."""
    if not interview.is_sealed:
        raise field_error("original", "translation_of_draft")
    addendum_id = None if chosen.source == WHOLE_TESTIMONY else chosen.source
    if addendum_id is not None and not looks_like_row_id(addendum_id):
        raise field_error("original", "unknown_source")
    expected = source_hash_of(interview, addendum_id)
    if expected is None:
        raise field_error("original", "unknown_source")
    if (chosen.source_hash or "").strip().lower() != expected:
        raise field_error("original", "source_hash_mismatch")
    return addendum_id, expected


def _superseded(
    interview: Interview, supersedes_id: str | None, addendum_id: str | None, target: str | None
) -> str | None:
    """The sealed version a correction replaces: same text, same target language."""
    if not supersedes_id:
        return None
    previous = (
        db.session.get(Translation, supersedes_id) if looks_like_row_id(supersedes_id) else None
    )
    if (
        previous is None
        or previous.interview_id != interview.id
        or not previous.is_sealed
        or previous.addendum_id != addendum_id
        or previous.target_language != target
    ):
        raise field_error("original", "supersedes_not_sealed")
    return previous.id


def start_translation(
    interview: Interview, user: Any, chosen: TranslationSource, data: TranslationInput
) -> Translation:
    """A new draft by `user` (the translator) of sealed text the caller got through the scope."""
    addendum_id, source_hash = _source(interview, chosen)
    errors: list[FieldError] = []
    values = _clean(data, errors)
    if errors:
        raise IntakeValidationError(errors)
    supersedes_id = _superseded(
        interview, chosen.supersedes_id, addendum_id, values["target_language"]
    )
    translation = Translation(
        investigation_id=interview.investigation_id,
        interview_id=interview.id,
        addendum_id=addendum_id,
        source_hash=source_hash,
        translator_id=user.id,
        supersedes_id=supersedes_id,
        status=TranslationStatus.DRAFT.value,
        **values,
    )
    db.session.add(translation)
    db.session.flush()
    return translation


def update_translation(translation: Translation, user: Any, data: TranslationInput) -> None:
    """The translator changes their draft; what it translates stays as it was started."""
    if translation.is_sealed:
        raise SealedTranslationError()
    investigation = db.session.get(Investigation, translation.investigation_id)
    if not may_edit_translation(viewer_of(investigation, user), translation):
        raise IntakePermissionError("only the translator edits a translation draft")
    errors: list[FieldError] = []
    values = _clean(data, errors)
    if errors:
        raise IntakeValidationError(errors)
    if translation.supersedes_id:
        previous = db.session.get(Translation, translation.supersedes_id)
        if previous.target_language != values["target_language"]:
            raise field_error("target_language", "supersedes_not_sealed")
    for name, value in values.items():
        setattr(translation, name, value)
    translation.updated_at = utcnow()
    db.session.flush()
