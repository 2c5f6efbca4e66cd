"""The sealed translations of exported testimony: text files, side-by-side PDFs, translations.json.

Every sealed translation of an exported testimony (and of its addenda) goes out beside the
original, superseded versions included and marked; drafts never do. Their words pass through
the export's identity scrubber exactly as the original transcript does. `translations.json`
at the bag's root lists them: hashes, languages, method, and the people by their part in it.
"""

from __future__ import annotations

from itertools import zip_longest
from typing import Any

from babel import Locale, UnknownLocaleError
from flask import render_template
from sqlalchemy import select
from sqlalchemy.orm import joinedload, undefer

from app.casefiles.services.bag_files import iso_time
from app.casefiles.services.report import TEMPLATE_DIR, _css, pdf_bytes
from app.casefiles.services.scrubber import Scrubber
from app.extensions import db
from app.intake.models import Interview, Translation, TranslationStatus
from app.intake.services.translation_versions import TranslationVersion, versions_of

TRANSLATIONS_FILE = "translations.json"


def direction(code: str) -> str:
    """Text direction of a language: "rtl" when CLDR writes it right to left, else "ltr"."""
    try:
        order = Locale.parse(code).character_order
    except (UnknownLocaleError, ValueError):
        return "ltr"
    return "rtl" if order == "right-to-left" else "ltr"


def sealed_translations(interview: Interview) -> list[TranslationVersion]:
    """Every sealed version of the translations of a testimony in the export, oldest first.

    The testimony itself is in the case file, which the exporter's scope already decided;
    its translations go with it.
    """
    rows = db.session.scalars(
        select(Translation)
        .where(
            Translation.interview_id == interview.id,
            Translation.status == TranslationStatus.SEALED.value,
        )
        .options(
            undefer(Translation.text),
            joinedload(Translation.translator),
            joinedload(Translation.reviser),
            joinedload(Translation.addendum),
        )
        .order_by(Translation.sealed_at, Translation.id)
    )
    return versions_of(interview, list(rows.unique()))


def _person(user: Any) -> dict:
    return {"id": user.id, "email": user.email} if user else {}


def _paragraphs(text: str) -> list[str]:
    return [part.strip() for part in (text or "").split("\n\n") if part.strip()]


def side_by_side(original: str, translated: str) -> list[tuple[str, str]]:
    """Paragraph beside paragraph: the original's first, so each row reads across."""
    return list(zip_longest(_paragraphs(original), _paragraphs(translated), fillvalue=""))


def translation_entry(
    version: TranslationVersion, interview: Interview, scrub: Scrubber, folder: str, number: int
) -> tuple[dict, dict]:
    """(the translations.json record, what the report and PDF print) for one sealed version."""
    t = version.translation
    addendum = t.addendum
    source = f"addendum-{addendum.seq}" if addendum else "testimony"
    stem = f"translations/{number:02d}-{source}-{t.source_language}-{t.target_language}"
    original = scrub.text(addendum.text if addendum else interview.transcript or "")
    text = scrub.text(t.text or "")
    method = {"kind": t.method, "engine": t.engine, "engine_version": t.engine_version}
    record = {
        "translation_id": t.id,
        "interview_id": interview.id,
        "item_folder": folder,
        "text_file": f"{folder}/{stem}.txt",
        "pdf_file": f"{folder}/{stem}.pdf",
        "source": {
            "kind": "addendum" if addendum else "testimony",
            "addendum_seq": addendum.seq if addendum else None,
            "content_hash": t.source_hash,
        },
        "interview_content_hash": interview.content_hash,
        "source_language": t.source_language,
        "target_language": t.target_language,
        "method": method,
        "people": {"translator": _person(t.translator), "reviser": _person(t.reviser)},
        "sealed_at": iso_time(t.sealed_at),
        "content_hash": t.content_hash,
        "supersedes": t.supersedes_id,
        "superseded": version.superseded,
        "translates_earlier_version": version.translates_earlier_version,
        "authoritative": False,
    }
    heading = (
        f"Translation {number}: {'addendum ' + str(addendum.seq) if addendum else 'testimony'}, "
        f"{t.source_language} → {t.target_language}"
        + (" (machine translation)" if t.is_machine else "")
    )
    shown = {
        "heading": heading,
        "stem": stem,
        "source_language": t.source_language,
        "target_language": t.target_language,
        "source_dir": direction(t.source_language),
        "target_dir": direction(t.target_language),
        "machine": t.is_machine,
        "method": f"machine: {t.engine} {t.engine_version}" if t.is_machine else "human",
        "translator": t.translator.email if t.translator else "",
        "reviser": t.reviser.email if t.reviser else "",
        "content_hash": t.content_hash,
        "source_hash": t.source_hash,
        "superseded": version.superseded,
        "earlier_version": version.translates_earlier_version,
        "rows": side_by_side(original, text),
        "original": original,
        "text": text,
    }
    return record, shown


def translation_text_file(shown: dict) -> str:
    lines = [
        shown["heading"],
        "The original is the authoritative text; this translation is not.",
        f"Method: {shown['method']}",
        f"Translator: {shown['translator']}; reviser: {shown['reviser']}",
        f"Translates content hash (SHA-256): {shown['source_hash']}",
        f"Sealed content hash (SHA-256): {shown['content_hash']}",
    ]
    if shown["superseded"]:
        lines.append("Superseded by a corrected version.")
    if shown["earlier_version"]:
        lines.append("Translates an earlier version: addenda added since are not translated.")
    return "\n".join([*lines, "", shown["text"], ""])


def translation_pdf(title: str, shown: dict) -> bytes:
    html = render_template(f"{TEMPLATE_DIR}/translation.html", title=title, t=shown, css=_css())
    return pdf_bytes(html)
