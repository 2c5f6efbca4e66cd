"""A form's questions, and how each kind of answer is read from a submission (ODK XForms types).

Answers arrive as text in the forms of the ODK XForms 1.0 data types
(https://getodk.github.io/xforms-spec/#data-types): `date` YYYY-MM-DD; `time`
HH:MM:SS.sss with the phone's UTC offset; `int`; `geopoint` "latitude longitude altitude
accuracy"; a `select` (several) as its values separated by spaces.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, time

MAX_INT = 10**9
TIME = re.compile(r"^(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:?\d{2})?$")
INT = re.compile(r"^-?\d{1,10}$")


@dataclass(frozen=True)
class Question:
    name: str
    label: str
    # "select1", "select" (several, space-separated), "date", "time", "int", "geopoint",
    # "text" (several lines), "line"
    kind: str
    required: bool = False
    # XPath for the phone only (ODK XForms binds): when the question is asked, and when it
    # must be answered. The server checks the answers with the intake's own rules.
    relevant: str = ""
    required_when: str = ""


@dataclass(frozen=True)
class GeoPoint:
    latitude: float
    longitude: float
    accuracy: float | None = None  # metres, as the phone reports it


class AnswerError(ValueError):
    """The answer is not a value of its question's type (or not one offered)."""


def read_answer(question: Question, raw: str, offered: dict[str, str]) -> object:
    """The typed value of a non-empty answer; AnswerError when it is not one."""
    kind = question.kind
    if kind == "select1":
        if raw not in offered:
            raise AnswerError("not one offered")
        return raw
    if kind == "select":
        chosen = list(dict.fromkeys(raw.split()))
        if any(value not in offered for value in chosen):
            raise AnswerError("not one offered")
        return chosen
    try:
        if kind == "date":
            return date.fromisoformat(raw)
        if kind == "time":
            return _time(raw)
        if kind == "int":
            return _int(raw)
        if kind == "geopoint":
            return _geopoint(raw)
    except ValueError:
        raise AnswerError(f"not a {kind}") from None
    return raw


def _time(raw: str) -> time:
    # The time of day as entered; the offset is the phone's, not necessarily the place's
    # (the web form, too, takes the local time of the place without a zone).
    match = TIME.match(raw)
    if match is None:
        raise ValueError(raw)
    hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return time(hours, minutes, seconds)


def _int(raw: str) -> int:
    if not INT.match(raw) or abs(int(raw)) > MAX_INT:
        raise ValueError(raw)
    return int(raw)


def _geopoint(raw: str) -> GeoPoint:
    parts = [float(part) for part in raw.split()]
    if not 2 <= len(parts) <= 4 or not all(math.isfinite(part) for part in parts):
        raise ValueError(raw)
    accuracy = parts[3] if len(parts) == 4 and parts[3] >= 0 else None
    return GeoPoint(parts[0], parts[1], accuracy)
