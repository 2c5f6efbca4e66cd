"""Normalising free text from forms and API clients before it is validated and stored.

Control characters are removed: NUL is refused by PostgreSQL text columns (a 500 instead of
a clear answer) and the others only ever arrive by accident or to spoof what a reader sees.
Markup is NOT touched: text is stored verbatim and escaped where it is shown.
"""

from __future__ import annotations

import re
import uuid

from app.intake.errors import FieldError, field_error

_CONTROL_EXCEPT_NEWLINE_TAB = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LINE_BREAKS = re.compile(r"[\r\n\t]+")


def clean_text(value: str | None) -> str:
    """Multi-line text: newlines normalised to \\n, other control characters dropped."""
    if value is None:
        return ""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL_EXCEPT_NEWLINE_TAB.sub("", text).strip()


def clean_line(value: str | None) -> str:
    """A one-line value (a place, a name): line breaks become spaces."""
    return _LINE_BREAKS.sub(" ", clean_text(value)).strip()


def check_length(errors: list[FieldError], field: str, value: str, limit: int) -> None:
    if len(value) > limit:
        errors.append(FieldError(field, "too_long"))


def check_required(errors: list[FieldError], field: str, value: object) -> bool:
    if value is None or value == "" or value == []:
        errors.append(FieldError(field, "required"))
        return False
    return True


_ROW_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_TERM_CODE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")


def looks_like_row_id(value: object) -> bool:
    """A row id as ClientIdMixin makes them. Checked before any query: anything else cannot
    match, and some values (a NUL byte) would make PostgreSQL fail instead of answer 'none'."""
    return isinstance(value, str) and bool(_ROW_ID.match(value))


def looks_like_term_code(value: object) -> bool:
    """A taxonomy code (weapons.yaml, targets.yaml)."""
    return isinstance(value, str) and bool(_TERM_CODE.match(value))


def normalise_client_id(client_id: str | None) -> str | None:
    """A client-chosen id for an idempotent create (a retried POST finds its own row)."""
    if client_id is None or client_id == "":
        return None
    try:
        return str(uuid.UUID(str(client_id)))
    except ValueError:
        raise field_error("client_id", "invalid_client_id") from None
