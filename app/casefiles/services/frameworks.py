"""Legal frameworks as data: validate a framework document, load the shipped ones, add uploads.

A framework document is the YAML/JSON shape of app/taxonomy/legal/*.yaml (see the schema
comment there). Loading only ever adds: a framework code that exists is left alone, so a case
file's characterization never changes under it; a new version of a framework is a new code.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.casefiles.models import ElementKind, LegalCrime, LegalElement, LegalFramework
from app.casefiles.services.errors import CaseFileError
from app.extensions import db
from app.label_translations import LABEL_LANGUAGES

LEGAL_DIR = Path(__file__).resolve().parents[2] / "taxonomy" / "legal"
CODE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MAX_DOCUMENT_BYTES = 512 * 1024
MAX_CRIMES = 200
MAX_ELEMENTS = 30
ELEMENT_KINDS = {kind.value for kind in ElementKind}


@dataclass(frozen=True)
class ElementSpec:
    code: str
    kind: str
    text: str
    citation: str
    text_ar: str = ""
    text_ru: str = ""


@dataclass(frozen=True)
class CrimeSpec:
    code: str
    title: str
    context: str
    citation: str
    counterpart: str | None
    note: str
    elements: tuple[ElementSpec, ...]
    title_ar: str = ""
    title_ru: str = ""


@dataclass(frozen=True)
class FrameworkSpec:
    code: str
    title: str
    source: str
    url: str
    crimes: tuple[CrimeSpec, ...]
    title_ar: str = ""
    title_ru: str = ""


class FrameworkDocumentError(CaseFileError):
    """The uploaded document is not a valid framework; the message says where."""


def parse_document(raw: bytes | str) -> FrameworkSpec:
    """Parse YAML or JSON text (JSON is YAML) into a validated framework."""
    import yaml  # on first use: about 1 MB a web worker need not hold

    if isinstance(raw, bytes):
        if len(raw) > MAX_DOCUMENT_BYTES:
            raise FrameworkDocumentError("The file is larger than 512 KiB.", "document")
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise FrameworkDocumentError("The file is not UTF-8 text.", "document") from None
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise FrameworkDocumentError(f"The file is not valid YAML or JSON{where}.") from None
    except (ValueError, OverflowError):
        # A scalar YAML reads as a date or number it cannot hold (0000-00-00, 9999-99-99).
        raise FrameworkDocumentError("The file holds a date or number out of range.") from None
    return validate_document(data)


def validate_document(data: Any) -> FrameworkSpec:
    if not isinstance(data, dict):
        raise FrameworkDocumentError(
            "The document must be a mapping with 'framework' and 'crimes'."
        )
    head = _mapping(data.get("framework"), "framework")
    code = _text(head, "code", "framework", 64)
    if not CODE_PATTERN.match(code):
        raise FrameworkDocumentError(
            "framework.code must be lowercase letters, digits, '.', '_' or '-' (2-64)."
        )
    contextual = data.get("contextual") or {}
    if not isinstance(contextual, dict):
        raise FrameworkDocumentError("'contextual' must map a context name to a list of elements.")
    crimes_raw = data.get("crimes")
    if not isinstance(crimes_raw, list) or not crimes_raw:
        raise FrameworkDocumentError("'crimes' must be a non-empty list.")
    if len(crimes_raw) > MAX_CRIMES:
        raise FrameworkDocumentError(f"At most {MAX_CRIMES} crimes per framework.")
    crimes = []
    seen = set()
    for number, raw_crime in enumerate(crimes_raw, start=1):
        where = f"crimes[{number}]"
        crime = _mapping(raw_crime, where)
        crime_code = _text(crime, "code", where, 40)
        if crime_code in seen:
            raise FrameworkDocumentError(f"{where}: the code {crime_code!r} appears twice.")
        seen.add(crime_code)
        context = _text(crime, "context", where, 40, required=False)
        elements = [
            _element(raw, f"{where}.elements[{i}]", contextual=False)
            for i, raw in enumerate(_list(crime.get("elements"), f"{where}.elements"), start=1)
        ]
        if context and context in contextual:
            elements += [
                _element(raw, f"contextual.{context}[{i}]", contextual=True)
                for i, raw in enumerate(_list(contextual[context], f"contextual.{context}"), 1)
            ]
        if len(elements) > MAX_ELEMENTS:
            raise FrameworkDocumentError(f"{where}: at most {MAX_ELEMENTS} elements.")
        codes = [element.code for element in elements]
        if len(set(codes)) != len(codes):
            raise FrameworkDocumentError(f"{where}: element codes must be unique.")
        crimes.append(
            CrimeSpec(
                code=crime_code,
                title=_text(crime, "title", where, 300),
                title_ar=_text(crime, "title_ar", where, 300, required=False),
                title_ru=_text(crime, "title_ru", where, 300, required=False),
                context=context,
                citation=_text(crime, "citation", where, 300),
                counterpart=_text(crime, "counterpart", where, 40, required=False) or None,
                note=_text(crime, "note", where, 4000, required=False),
                elements=tuple(elements),
            )
        )
    return FrameworkSpec(
        code=code,
        title=_text(head, "title", "framework", 300),
        title_ar=_text(head, "title_ar", "framework", 300, required=False),
        title_ru=_text(head, "title_ru", "framework", 300, required=False),
        source=_text(head, "source", "framework", 1000, required=False),
        url=_text(head, "url", "framework", 500, required=False),
        crimes=tuple(crimes),
    )


def _element(raw: Any, where: str, contextual: bool) -> ElementSpec:
    element = _mapping(raw, where)
    kind = ElementKind.CONTEXTUAL.value if contextual else _text(element, "kind", where, 16)
    if kind not in ELEMENT_KINDS:
        raise FrameworkDocumentError(
            f"{where}.kind must be one of {', '.join(sorted(ELEMENT_KINDS))}."
        )
    return ElementSpec(
        code=_text(element, "code", where, 16),
        kind=kind,
        text=_text(element, "text", where, 4000),
        text_ar=_text(element, "text_ar", where, 4000, required=False),
        text_ru=_text(element, "text_ru", where, 4000, required=False),
        citation=_text(element, "citation", where, 300, required=False),
    )


def _mapping(value: Any, where: str) -> dict:
    if not isinstance(value, dict):
        raise FrameworkDocumentError(f"{where} must be a mapping.")
    return value


def _list(value: Any, where: str) -> list:
    if not isinstance(value, list) or not value:
        raise FrameworkDocumentError(f"{where} must be a non-empty list.")
    return value


def _text(data: dict, key: str, where: str, limit: int, required: bool = True) -> str:
    value = data.get(key)
    if value is None or value == "":
        if required:
            raise FrameworkDocumentError(f"{where}.{key} is required.")
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise FrameworkDocumentError(f"{where}.{key} must be text.")
    value = " ".join(value.split())
    if len(value) > limit:
        raise FrameworkDocumentError(f"{where}.{key} is longer than {limit} characters.")
    return value


# --- Storing ------------------------------------------------------------------------------------


def store_framework(spec: FrameworkSpec, origin: str, actor: Any = None) -> LegalFramework:
    """Add a framework with its crimes and elements (refused if the code exists)."""
    if db.session.scalar(select(LegalFramework.id).where(LegalFramework.code == spec.code)):
        raise FrameworkDocumentError(
            f"A framework with the code {spec.code!r} exists; give the new version its own code.",
            "document",
        )
    framework = LegalFramework(
        code=spec.code,
        title=spec.title,
        title_ar=spec.title_ar,
        title_ru=spec.title_ru,
        source=spec.source,
        url=spec.url,
        origin=origin,
        active=True,
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(framework)
    db.session.flush()
    for position, crime_spec in enumerate(spec.crimes):
        crime = LegalCrime(
            framework_id=framework.id,
            code=crime_spec.code,
            title=crime_spec.title,
            title_ar=crime_spec.title_ar,
            title_ru=crime_spec.title_ru,
            context=crime_spec.context,
            citation=crime_spec.citation,
            counterpart=crime_spec.counterpart,
            note=crime_spec.note,
            position=position * 10,
        )
        db.session.add(crime)
        db.session.flush()
        for element_position, element in enumerate(crime_spec.elements):
            db.session.add(
                LegalElement(
                    crime_id=crime.id,
                    code=element.code,
                    kind=element.kind,
                    text=element.text,
                    text_ar=element.text_ar,
                    text_ru=element.text_ru,
                    citation=element.citation or crime_spec.citation,
                    position=element_position * 10,
                )
            )
    db.session.flush()
    return framework


def shipped_documents() -> list[Path]:
    return sorted(LEGAL_DIR.glob("*.yaml"))


def load_shipped_frameworks() -> list[str]:
    """Add every shipped framework the database lacks, and the shipped translations of a
    loaded one that nobody has written yet; returns the codes added."""
    added = []
    known = set(db.session.scalars(select(LegalFramework.code)))
    for path in shipped_documents():
        spec = parse_document(path.read_bytes())
        if spec.code not in known:
            store_framework(spec, origin="shipped")
            added.append(spec.code)
        else:
            _fill_missing_translations(spec)
    return added


def _fill_missing_translations(spec: FrameworkSpec) -> None:
    """Shipped titles and element texts in Arabic and Russian, where the row has none: an
    admin's translation is never overwritten, the English text never touched."""
    framework = framework_by_code(spec.code)
    if framework is None:
        return
    pairs: list[tuple[Any, Any, str]] = [(framework, spec, "title")]
    crimes = {crime.code: crime for crime in framework.crimes}
    for crime_spec in spec.crimes:
        crime = crimes.get(crime_spec.code)
        if crime is None:
            continue
        pairs.append((crime, crime_spec, "title"))
        elements = {element.code: element for element in crime.elements}
        pairs += [(elements[e.code], e, "text") for e in crime_spec.elements if e.code in elements]
    for row, shipped, field in pairs:
        for lang in LABEL_LANGUAGES:
            name = f"{field}_{lang}"
            if not getattr(row, name) and getattr(shipped, name):
                setattr(row, name, getattr(shipped, name))


def add_uploaded_framework(raw: bytes | str, actor: Any) -> LegalFramework:
    """An administrator's framework (YAML or JSON), validated, stored as data."""
    return store_framework(parse_document(raw), origin="uploaded", actor=actor)


def all_frameworks() -> list[LegalFramework]:
    return list(db.session.scalars(select(LegalFramework).order_by(LegalFramework.code)))


def framework_by_code(code: str) -> LegalFramework | None:
    return db.session.scalar(
        select(LegalFramework)
        .where(LegalFramework.code == code)
        .options(selectinload(LegalFramework.crimes).selectinload(LegalCrime.elements))
    )


def set_framework_active(framework: LegalFramework, active: bool) -> None:
    """Retire or restore a framework: retired ones are no longer offered for new case files."""
    framework.active = bool(active)
    db.session.flush()


def crime_choices() -> list[LegalCrime]:
    """The crimes a case file can be characterised as (active frameworks), in order."""
    return list(
        db.session.scalars(
            select(LegalCrime)
            .join(LegalFramework)
            .where(LegalFramework.active.is_(True))
            .order_by(LegalFramework.code, LegalCrime.position)
            .options(selectinload(LegalCrime.framework))
        )
    )


def example_document() -> str:
    """A small valid document, shown on the admin page as a starting point."""
    return json.dumps(
        {
            "framework": {"code": "rome-statute-art7", "title": "Rome Statute, article 7"},
            "crimes": [
                {
                    "code": "7(1)(a)",
                    "title": "Murder as a crime against humanity",
                    "citation": "Rome Statute art. 7(1)(a); Elements of Crimes art. 7(1)(a)",
                    "elements": [
                        {"code": "1", "kind": "material", "text": "..."},
                    ],
                }
            ],
        },
        indent=2,
    )
