"""Reading a submission's XML: parsed without entities, checked against the form it claims.

The document is parsed with defusedxml (no DTD, no entity expansion: a "billion laughs" or an
external entity in a submission is refused, never resolved). Names are compared without
namespaces, since apps differ in whether they keep the form's default namespace on the
instance. Every value of a select question must be one the form offered this user; the files
it names must be plain file names (they are matched against the parts of the POST).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from app.openrosa.questions import AnswerError, read_answer
from app.openrosa.xforms import PHOTO_FIELD, PHOTO_GROUP, VIDEO_FIELD, BuiltForm

MAX_XML_BYTES = 4 * 1024 * 1024  # a transcript of 1,000,000 characters, with room to spare
INSTANCE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9:._-]{0,99}$")
FILE_NAME = re.compile(r"^[^/\\\x00-\x1f]{1,255}$")


class SubmissionRejected(ValueError):
    """The submission is not one this server can accept; nothing was stored."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass
class ParsedSubmission:
    form_id: str
    form_version: str
    instance_id: str
    values: dict[str, str]  # every answer as sent (stripped), "" when unanswered
    typed: dict[str, Any]  # the answers read as their type (a date, a time, a list...)
    photos: list[str] = field(default_factory=list)
    video: str | None = None

    @property
    def file_names(self) -> list[str]:
        return [*self.photos, *([self.video] if self.video else [])]


def local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def child_element(element, name: str):
    return next((c for c in element if local_name(c.tag) == name), None)


def child_text(element, name: str) -> str:
    found = child_element(element, name)
    return (found.text or "").strip() if found is not None else ""


def parse_document(xml: bytes):
    """The document's root element, parsed without DTDs or entities; 400 when malformed."""
    from defusedxml import DefusedXmlException  # on first use: 0.8 MB a web worker need not hold
    from defusedxml.ElementTree import ParseError, fromstring

    try:
        return fromstring(xml, forbid_dtd=True)
    except (ParseError, DefusedXmlException, ValueError):
        raise SubmissionRejected("The submission is not well-formed XML.") from None


def instance_id_of(root) -> str:
    meta = child_element(root, "meta")
    instance_id = child_text(meta, "instanceID") if meta is not None else ""
    if not INSTANCE_ID.match(instance_id):
        raise SubmissionRejected("The submission has no valid meta/instanceID.")
    return instance_id


def parse_submission(xml: bytes, forms: dict[str, BuiltForm]) -> ParsedSubmission:
    """The checked submission; SubmissionRejected (400) saying what is wrong otherwise."""
    return parse_instance(parse_document(xml), forms)


def parse_instance(root, forms: dict[str, BuiltForm]) -> ParsedSubmission:
    form_id = root.get("id", "")
    if form_id not in forms:
        raise SubmissionRejected("This server does not publish that form to this device.", 404)
    form = forms[form_id]
    instance_id = instance_id_of(root)
    values: dict[str, str] = {}
    typed: dict[str, Any] = {}
    for question in form.questions:
        value = child_text(root, question.name)
        if question.required and not value:
            raise SubmissionRejected(f"The answer to “{question.label}” is missing.")
        if value:
            try:
                typed[question.name] = read_answer(
                    question, value, form.choices.get(question.name, {})
                )
            except AnswerError as wrong:
                raise SubmissionRejected(f"The answer to “{question.label}” is {wrong}.") from None
        values[question.name] = value
    if not form.with_media:
        return ParsedSubmission(form_id, root.get("version", ""), instance_id, values, typed)
    photos = [
        (p.text or "").strip()
        for group in root
        if local_name(group.tag) == PHOTO_GROUP
        for p in group
        if local_name(p.tag) == PHOTO_FIELD and (p.text or "").strip()
    ]
    video = child_text(root, VIDEO_FIELD) or None
    names = [*photos, *([video] if video else [])]
    if any(not FILE_NAME.match(name) for name in names) or len(set(names)) != len(names):
        raise SubmissionRejected("The submission names a file that is not a plain file name.")
    return ParsedSubmission(
        form_id=form_id,
        form_version=root.get("version", ""),
        instance_id=instance_id,
        values=values,
        typed=typed,
        photos=photos,
        video=video,
    )
