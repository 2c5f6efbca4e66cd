"""An interview's languages and interpreter: codes checked against the list, who interpreted.

The interpreter is a person present at the interview (the ICC Rules of Procedure and Evidence,
rule 111, have the record note everyone present): a member of the investigation, or an
external interpreter known by a code whose identity is sealed like a witness's. A free-text
language written before codes existed, that names no language of the list, is fixed here by
a person (flagged until then; for sealed testimony the codes lie outside the seal).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from app.custody.ledger import append_custody_event
from app.extensions import db
from app.intake.errors import FieldError, IntakePermissionError, IntakeValidationError
from app.intake.models import Interview
from app.intake.textinput import check_length, clean_line, looks_like_row_id
from app.intake.visibility import may_add_addendum
from app.investigations.models import Investigation, Membership
from app.investigations.viewer import InvestigationViewer, viewer_of
from app.language_codes import MAX_CODES, canonical_code, join_codes

INTERPRETER_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,31}$")
MAX_INTERPRETER_IDENTITY = 300


@dataclass
class CleanInterpreter:
    present: bool | None
    user_id: str | None
    code: str | None
    identity: str | None
    interpreted_from: str | None
    interpreted_to: str | None
    read_back: bool | None
    read_back_language: str | None


def is_member(viewer: InvestigationViewer, user_id: str) -> bool:
    if not looks_like_row_id(user_id):
        return False
    return (
        db.session.scalar(
            select(Membership.id).where(
                Membership.investigation_id == viewer.investigation.id,
                Membership.user_id == user_id,
            )
        )
        is not None
    )


def clean_languages(values: list[str], errors: list[FieldError], field: str) -> str:
    """The stored form ("ar ku") of codes chosen from the list; every stranger refused."""
    wanted = list(dict.fromkeys(v.strip() for v in values or [] if v and v.strip()))
    codes = [canonical_code(value) for value in wanted]
    if any(code is None for code in codes):
        errors.append(FieldError(field, "unknown_language"))
        return ""
    if len(codes) > MAX_CODES:
        errors.append(FieldError(field, "too_many_languages"))
        return ""
    return join_codes(codes)


def _one_language(value: str | None, errors: list[FieldError], field: str) -> str | None:
    if not (value or "").strip():
        return None
    code = canonical_code(value)
    if code is None:
        errors.append(FieldError(field, "unknown_language"))
    return code


def clean_interpreter(
    data: Any, viewer: InvestigationViewer, errors: list[FieldError]
) -> CleanInterpreter:
    """The interpreter fields of an InterviewInput, checked together."""
    user_id = (data.interpreter_user_id or "").strip() or None
    code = clean_line(data.interpreter_code or "") or None
    identity = clean_line(data.interpreter or "") or None
    check_length(errors, "interpreter", identity or "", MAX_INTERPRETER_IDENTITY)
    source = _one_language(data.interpreted_from, errors, "interpreted_from")
    target = _one_language(data.interpreted_to, errors, "interpreted_to")
    read_back_language = _one_language(data.read_back_language, errors, "read_back_language")
    present = data.interpreter_present
    if present is not True:
        if user_id or code or identity or source or target:
            errors.append(FieldError("interpreter_present", "interpreter_not_present"))
    else:
        if bool(user_id) == bool(code):
            errors.append(FieldError("interpreter_user_id", "interpreter_who"))
        elif user_id and not is_member(viewer, user_id):
            errors.append(FieldError("interpreter_user_id", "unknown_member"))
        if code and not INTERPRETER_CODE.match(code):
            errors.append(FieldError("interpreter_code", "invalid_interpreter_code"))
        if identity and not code:
            errors.append(FieldError("interpreter", "interpreter_identity_needs_code"))
        if not (source and target):
            errors.append(FieldError("interpreted_from", "language_pair_required"))
        elif source == target:
            errors.append(FieldError("interpreted_to", "language_pair_same"))
    if data.read_back is True and not read_back_language:
        errors.append(FieldError("read_back_language", "read_back_language_required"))
    if data.read_back is not True and read_back_language:
        errors.append(FieldError("read_back_language", "read_back_language_without_read_back"))
    return CleanInterpreter(
        present=present,
        user_id=user_id,
        code=code,
        identity=identity,
        interpreted_from=source,
        interpreted_to=target,
        read_back=data.read_back,
        read_back_language=read_back_language,
    )


def apply_interpreter(interview: Interview, clean: CleanInterpreter) -> None:
    interview.interpreter_present = clean.present
    interview.interpreter_user_id = clean.user_id
    interview.interpreter_code = clean.code
    interview.interpreter = clean.identity
    interview.interpreted_from = clean.interpreted_from
    interview.interpreted_to = clean.interpreted_to
    interview.read_back = clean.read_back
    interview.read_back_language = clean.read_back_language


def interviews_with_languages_to_fix(investigation_id: str) -> list[Interview]:
    """Interviews whose free-text language names none of the list (oldest first)."""
    return list(
        db.session.scalars(
            select(Interview)
            .where(
                Interview.investigation_id == investigation_id,
                Interview.language != "",
                Interview.languages == "",
            )
            .order_by(Interview.created_at, Interview.id)
        )
    )


def fix_languages(interview: Interview, user: Any, codes: list[str]) -> str:
    """A person chooses the codes of a language written as free text; returns them stored.

    On sealed testimony (format 1, sealed before codes) the codes lie outside the seal: its
    free text and hash stay as they were, and the choice is recorded in the custody ledger
    with who made it. Its author or a reviewer may choose, as for an addendum.
    """
    investigation = db.session.get(Investigation, interview.investigation_id)
    viewer = viewer_of(investigation, user)
    if not may_add_addendum(viewer, interview):
        raise IntakePermissionError("you may not change this testimony's languages")
    if not interview.language_to_fix:
        raise IntakeValidationError([FieldError("languages", "languages_not_to_fix")])
    errors: list[FieldError] = []
    stored = clean_languages(codes, errors, "languages")
    if not stored and not errors:
        errors.append(FieldError("languages", "required"))
    if errors:
        raise IntakeValidationError(errors)
    interview.languages = stored
    db.session.flush()
    append_custody_event(
        interview.investigation_id,
        user,
        "testimony_languages_recorded",
        "testimony",
        interview.id,
        {"languages": stored.split(), "content_hash": interview.content_hash},
    )
    return stored
