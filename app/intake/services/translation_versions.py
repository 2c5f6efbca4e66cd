"""The translations of one testimony as a reader sees them: current, superseded, out of date.

A translation of the testimony "translates an earlier version" while an addendum of the
testimony has no sealed translation into the same language: the reader must know the
translated text is not the whole record. A sealed version is superseded once a sealed
correction names it. The original always comes first and is the authoritative text.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import joinedload, undefer

from app.extensions import db
from app.intake.models import Interview, Translation
from app.intake.visibility import visible_translations
from app.investigations.viewer import InvestigationViewer


@dataclass(frozen=True)
class TranslationVersion:
    translation: Translation
    superseded: bool  # a sealed correction replaces it
    untranslated_addenda: tuple[int, ...]  # addenda (by number) with no sealed translation

    @property
    def translates_earlier_version(self) -> bool:
        return bool(self.untranslated_addenda)


def translation_versions(
    viewer: InvestigationViewer, interview: Interview, with_text: bool = False
) -> list[TranslationVersion]:
    """Every version the viewer may see of the translations of this testimony, oldest first."""
    stmt = (
        visible_translations(select(Translation), viewer)
        .where(Translation.interview_id == interview.id)
        .options(
            joinedload(Translation.translator),
            joinedload(Translation.reviser),
            joinedload(Translation.addendum),
        )
        .order_by(Translation.created_at, Translation.id)
    )
    if with_text:
        stmt = stmt.options(undefer(Translation.text))
    rows = list(db.session.scalars(stmt).unique())
    return versions_of(interview, rows)


def versions_of(interview: Interview, rows: list[Translation]) -> list[TranslationVersion]:
    """The states of these translations of `interview` (rows already chosen by the caller)."""
    sealed = [row for row in rows if row.is_sealed]
    superseded = {row.supersedes_id for row in sealed if row.supersedes_id}
    translated = {(row.addendum_id, row.target_language) for row in sealed if row.addendum_id}
    return [
        TranslationVersion(
            translation=row,
            superseded=row.id in superseded,
            untranslated_addenda=()
            if row.addendum_id
            else tuple(
                addendum.seq
                for addendum in interview.addenda
                if (addendum.id, row.target_language) not in translated
            ),
        )
        for row in rows
    ]
