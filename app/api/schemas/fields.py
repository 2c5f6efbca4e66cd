"""Reading a JSON request body into typed values, refusing wrong shapes with named field errors.

Only the shape is checked here (types, formats, unknown names); what the values mean (a date
in the future, a witness the user cannot see) is the intake services' job, so the API and the
web forms refuse the same things with the same codes.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, time
from typing import Any

from flask import current_app, request

from app.api.errors import ApiError, validation_failed

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME = re.compile(r"^\d{2}:\d{2}(:\d{2})?$")
# Ids, codes and choices end up in SQL comparisons as they are; control characters (NUL above
# all, which PostgreSQL refuses) never belong in one.
_CODE = re.compile(r"^[^\x00-\x1f\x7f]{0,64}$")
MAX_LIST_ITEMS = 200


@dataclass(frozen=True)
class Field:
    """One accepted body field: its kind and whether it must be present."""

    kind: str  # text, code, codes, texts, integer, number, boolean, date, time, object
    required: bool = False
    fields: dict[str, Field] | None = None  # of an object


def _problem(code: str, message: str) -> list[dict[str, str]]:
    return [{"code": code, "message": message}]


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def json_body(optional: bool = False) -> dict[str, Any]:
    """The request body as a JSON object, read with a size limit.

    optional: an empty body (no Content-Type needed) is an empty object.
    """
    limit = int(current_app.config["CUSTOS_API_MAX_JSON_BYTES"])
    if request.content_length is not None and request.content_length > limit:
        raise ApiError(413, "too_large", f"The request body is larger than {limit} bytes.")
    raw = request.stream.read(limit + 1)
    if len(raw) > limit:
        raise ApiError(413, "too_large", f"The request body is larger than {limit} bytes.")
    if optional and not raw.strip():
        return {}
    if request.mimetype != "application/json":
        raise ApiError(
            415, "unsupported_media_type", "Send the body as JSON (Content-Type: application/json)."
        )
    try:
        data = json.loads(raw, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        raise ApiError(400, "invalid_json", "The body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_json", "The body must be a JSON object.")
    return data


def read_fields(body: dict[str, Any], spec: dict[str, Field]) -> dict[str, Any]:
    """Typed values of the fields in `spec`; absent optional fields are left out."""
    problems: dict[str, list[dict[str, str]]] = {}
    values: dict[str, Any] = {}
    for name in body:
        if name not in spec:
            problems[name] = _problem("unknown_field", "This field is not part of this request.")
    for name, field in spec.items():
        if name not in body or body[name] is None:
            if field.required:
                problems[name] = _problem("required", "This field is required.")
            continue
        if field.kind == "object":
            values[name] = _nested(name, body[name], field, problems)
            continue
        try:
            values[name] = _convert(field.kind, body[name])
        except _Wrong as wrong:
            problems[name] = _problem(wrong.code, wrong.message)
    if problems:
        raise validation_failed(problems)
    return values


def _nested(name: str, value: Any, field: Field, problems: dict) -> dict[str, Any]:
    """An object field's own fields; their problems are named `name.field`."""
    if not isinstance(value, dict):
        problems[name] = _problem("invalid_type", "Expected an object.")
        return {}
    try:
        return read_fields(value, field.fields or {})
    except ApiError as exc:
        for inner, found in (exc.fields or {}).items():
            problems[f"{name}.{inner}"] = found
        return {}


class _Wrong(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _convert(kind: str, value: Any) -> Any:
    converter = _CONVERTERS[kind]
    return converter(value)


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise _Wrong("invalid_type", "Expected a string.")
    try:
        # JSON's \ud800-style escapes can carry lone surrogates, which are not text and
        # cannot be stored (or encrypted) as UTF-8.
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise _Wrong("invalid_text", "The text holds characters that are not Unicode.") from None
    return value


def _code(value: Any) -> str:
    if not isinstance(value, str) or not _CODE.match(value):
        raise _Wrong("invalid_type", "Expected a short string without control characters.")
    return _text(value)


def _list_of(item: Any) -> Any:
    def convert(value: Any) -> list:
        if not isinstance(value, list):
            raise _Wrong("invalid_type", "Expected a list.")
        if len(value) > MAX_LIST_ITEMS:
            raise _Wrong("too_many_items", f"At most {MAX_LIST_ITEMS} items are accepted.")
        return [item(element) for element in value]

    return convert


def _integer(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Wrong("invalid_type", "Expected a whole number.")
    return value


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Wrong("invalid_type", "Expected a number.")
    try:
        return float(value)
    except OverflowError:
        raise _Wrong("invalid_type", "This number is too large.") from None


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _Wrong("invalid_type", "Expected true or false.")
    return value


def _date(value: Any) -> date:
    if not isinstance(value, str) or not _DATE.match(value):
        raise _Wrong("invalid_date", "Write dates as YYYY-MM-DD.")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _Wrong("invalid_date", "This date does not exist.") from None


def _time(value: Any) -> time:
    if not isinstance(value, str) or not _TIME.match(value):
        raise _Wrong("invalid_time", "Write times as HH:MM or HH:MM:SS.")
    try:
        return time.fromisoformat(value)
    except ValueError:
        raise _Wrong("invalid_time", "This time does not exist.") from None


_CONVERTERS = {
    "text": _text,
    "code": _code,
    "codes": _list_of(_code),
    "texts": _list_of(_text),
    "integer": _integer,
    "number": _number,
    "boolean": _boolean,
    "date": _date,
    "time": _time,
}


def safe_query_text(name: str, limit: int) -> str:
    """A free-text query parameter: cut to `limit`, refused if it holds control characters."""
    value = request.args.get(name, "")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise ApiError(
            400,
            "invalid_query",
            "Some query parameters are not valid.",
            {name: _problem("invalid_characters", "Control characters are not accepted.")},
        )
    return value[:limit]
