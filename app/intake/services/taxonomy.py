"""Weapon and target taxonomies: loading the shipped YAML seed files and admins' edits."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.intake.errors import FieldError, IntakeValidationError, field_error
from app.intake.models import Incident, TargetType, WeaponType
from app.label_translations import LABEL_LANGUAGES
from app.timeutil import utcnow
from app.vocabulary.labels import sync_vocabulary_labels

TAXONOMY_DIR = Path(__file__).resolve().parents[2] / "taxonomy"
FILES = {WeaponType: ("weapons.yaml", "weapons"), TargetType: ("targets.yaml", "targets")}
CODE_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,39}$")


def read_seed(model: type[WeaponType] | type[TargetType]) -> list[dict[str, Any]]:
    """The terms of a shipped taxonomy file, in order, as {code, label, label_ar, label_ru,
    position}."""
    import yaml  # on first use: about 1 MB a web worker need not hold

    filename, key = FILES[model]
    data = yaml.safe_load((TAXONOMY_DIR / filename).read_text(encoding="utf-8"))
    terms = []
    for position, entry in enumerate(data[key]):
        code, label = str(entry["code"]), str(entry["label"])
        if not CODE_PATTERN.match(code):
            raise ValueError(f"{filename}: bad code {code!r}")
        translations = {
            f"label_{lang}": str(entry.get(f"label_{lang}") or "") for lang in LABEL_LANGUAGES
        }
        terms.append({"code": code, "label": label, **translations, "position": position * 10})
    return terms


def sync_taxonomies() -> dict[str, int]:
    """Add every shipped term (weapons, targets, consent purposes, custody actions) the database
    lacks and shipped translations of labels nobody has translated yet; never overwrite an
    admin's label, translation or retirement."""
    added = {}
    for model in FILES:
        known = {term.code: term for term in db.session.scalars(select(model))}
        new = [term for term in read_seed(model) if term["code"] not in known]
        for term in new:
            db.session.add(model(**term, active=True))
        for term in read_seed(model):
            if term["code"] in known:
                _fill_missing_translations(known[term["code"]], term)
        added[model.__tablename__] = len(new)
    db.session.flush()
    return {**added, **sync_vocabulary_labels()}


def _fill_missing_translations(row: WeaponType | TargetType, term: dict[str, Any]) -> None:
    for lang in LABEL_LANGUAGES:
        field = f"label_{lang}"
        if not getattr(row, field) and term[field]:
            setattr(row, field, term[field])


def active_weapons() -> list[WeaponType]:
    return list(
        db.session.scalars(
            select(WeaponType).where(WeaponType.active.is_(True)).order_by(WeaponType.position)
        )
    )


def active_targets() -> list[TargetType]:
    return list(
        db.session.scalars(
            select(TargetType).where(TargetType.active.is_(True)).order_by(TargetType.position)
        )
    )


def choices_for(incident: Incident | None = None) -> tuple[list[WeaponType], list[TargetType]]:
    """Active weapons and targets; a retired one stays selectable on the incident that has it."""
    weapons = {w.code: w for w in active_weapons()}
    targets = {t.code: t for t in active_targets()}
    if incident is not None:
        if incident.weapon is not None:
            weapons.setdefault(incident.weapon.code, incident.weapon)
        for target in incident.targets:
            targets.setdefault(target.code, target)
    return list(weapons.values()), list(targets.values())


def all_weapons() -> list[WeaponType]:
    return list(db.session.scalars(select(WeaponType).order_by(WeaponType.position)))


def _translations(translations: dict[str, str | None] | None) -> dict[str, str]:
    """{"label_ar": ..., "label_ru": ...} from admins' input, for the languages given (None or
    missing: not given); an empty one means "show the English label"."""
    given = {lang: value for lang, value in (translations or {}).items() if value is not None}
    cleaned = {
        f"label_{lang}": value.strip() for lang, value in given.items() if lang in LABEL_LANGUAGES
    }
    too_long = [
        FieldError(field, "too_long") for field, value in cleaned.items() if len(value) > 120
    ]
    if too_long:
        raise IntakeValidationError(too_long)
    return cleaned


def add_weapon_type(
    code: str, label: str, actor: Any, translations: dict[str, str] | None = None
) -> WeaponType:
    """A new weapon type (admins). The code is permanent; the label can change later."""
    code = (code or "").strip().lower()
    label = (label or "").strip()
    errors = []
    if not CODE_PATTERN.match(code):
        errors.append(FieldError("code", "invalid_code"))
    elif db.session.get(WeaponType, code) is not None:
        errors.append(FieldError("code", "code_taken"))
    if not label:
        errors.append(FieldError("label", "required"))
    elif len(label) > 120:
        errors.append(FieldError("label", "too_long"))
    if errors:
        raise IntakeValidationError(errors)
    translated = _translations(translations)
    last = max((w.position for w in all_weapons()), default=0)
    weapon = WeaponType(
        code=code,
        label=label,
        **translated,
        position=last + 10,
        active=True,
        updated_by_id=getattr(actor, "id", None),
        updated_at=utcnow(),
    )
    db.session.add(weapon)
    db.session.flush()
    return weapon


def update_weapon_type(
    code: str, label: str, active: bool, actor: Any, translations: dict[str, str] | None = None
) -> WeaponType:
    """Relabel (in each language) or retire/restore a weapon type; incidents keep pointing at it
    either way. A language left out of `translations` keeps its label."""
    weapon = db.session.get(WeaponType, code) if CODE_PATTERN.match(code or "") else None
    if weapon is None:
        raise field_error("code", "invalid_choice")
    label = (label or "").strip()
    if not label:
        raise field_error("label", "required")
    if len(label) > 120:
        raise field_error("label", "too_long")
    for field, value in _translations(translations).items():
        setattr(weapon, field, value)
    weapon.label = label
    weapon.active = bool(active)
    weapon.updated_by_id = getattr(actor, "id", None)
    weapon.updated_at = utcnow()
    db.session.flush()
    return weapon
