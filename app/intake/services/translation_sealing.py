"""Sealing a translation: a second person revises it; its hash and the original's go to the ledger.

The content hash is SHA-256 over RFC 8785 canonical JSON of the translation's document: its
words, its languages and method, who translated and who revised it, and the content hash of
exactly what it translates (and of the testimony that text belongs to). The ledger entry
`translation_sealed` names those hashes, never the words. After sealing nothing changes (the
ORM guard backs this up); a correction is a new version that supersedes this one.
"""

from __future__ import annotations

import hashlib
from typing import Any

from app.crypto.canonical import canonical_json
from app.custody.ledger import append_custody_event
from app.extensions import db
from app.intake.errors import (
    IntakePermissionError,
    SealedTranslationError,
    field_error,
)
from app.intake.models import Interview, Translation, TranslationStatus
from app.intake.services.sealing import CUSTODY_OBJECT, _readable, _stamp
from app.intake.services.translations import source_hash_of
from app.intake.visibility import may_revise_translation
from app.investigations.models import Investigation
from app.investigations.viewer import viewer_of
from app.timeutil import utcnow

TRANSLATION_FORMAT = "custos-testimony-translation-v1"


def translation_document(translation: Translation, interview: Interview) -> dict[str, Any]:
    """Everything the translation's seal covers, as plain JSON values."""
    previous = (
        db.session.get(Translation, translation.supersedes_id)
        if translation.supersedes_id
        else None
    )
    return {
        "format": TRANSLATION_FORMAT,
        "translation_id": translation.id,
        "investigation_id": translation.investigation_id,
        "interview_id": interview.id,
        "interview_content_hash": interview.content_hash,
        "source": {
            "kind": "addendum" if translation.addendum_id else "testimony",
            "addendum_id": translation.addendum_id,
            "content_hash": translation.source_hash,
        },
        "source_language": translation.source_language,
        "target_language": translation.target_language,
        "method": {
            "kind": translation.method,
            "engine": translation.engine,
            "engine_version": translation.engine_version,
        },
        "translator_id": translation.translator_id,
        "reviser_id": translation.reviser_id,
        "supersedes": (
            {"translation_id": previous.id, "content_hash": previous.content_hash}
            if previous
            else None
        ),
        "text": translation.text or "",
        "sealed_at": _stamp(translation.sealed_at) if translation.sealed_at else None,
    }


def translation_content_hash(translation: Translation, interview: Interview) -> str:
    document = _readable(translation_document(translation, interview))
    return hashlib.sha256(canonical_json(document)).hexdigest()


def verify_sealed_translation(translation: Translation, interview: Interview) -> bool:
    """Whether the stored translation still hashes to the hash recorded when it was sealed."""
    return translation.is_sealed and (
        translation_content_hash(translation, interview) == translation.content_hash
    )


def seal_translation(translation: Translation, interview: Interview, user: Any) -> str:
    """The reviser seals a draft: its content hash here and in the custody ledger; returns it.

    Refused when already sealed, when the reviser is the translator, or when what it translates
    no longer has the hash it was started from.
    """
    if translation.is_sealed:
        raise SealedTranslationError()
    investigation = db.session.get(Investigation, translation.investigation_id)
    viewer = viewer_of(investigation, user)
    if viewer.is_author(translation.translator_id):
        raise field_error("confirm", "reviser_is_translator")
    if not may_revise_translation(viewer, translation):
        raise IntakePermissionError("you may not revise this translation")
    if source_hash_of(interview, translation.addendum_id) != translation.source_hash:
        raise field_error("confirm", "source_hash_mismatch")
    if not (translation.text or "").strip():
        raise field_error("confirm", "required")

    translation.reviser_id = user.id
    translation.sealed_at = utcnow()
    content_hash = translation_content_hash(translation, interview)
    translation.content_hash = content_hash
    translation.status = TranslationStatus.SEALED.value
    db.session.flush()
    document = translation_document(translation, interview)
    # Ids, codes and hashes only: the words stay encrypted here (the ledger travels in exports).
    append_custody_event(
        interview.investigation_id,
        user,
        "translation_sealed",
        CUSTODY_OBJECT,
        interview.id,
        {
            "format": TRANSLATION_FORMAT,
            "translation_id": translation.id,
            "content_hash": content_hash,
            "interview_content_hash": interview.content_hash,
            "source": document["source"],
            "source_language": translation.source_language,
            "target_language": translation.target_language,
            "method": document["method"],
            "translator_id": translation.translator_id,
            "reviser_id": translation.reviser_id,
            "supersedes": document["supersedes"],
        },
    )
    return content_hash
