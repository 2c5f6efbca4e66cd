"""Registering witnesses under a pseudonym code, their encrypted identity and protection risk."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.intake.errors import FieldError, IntakePermissionError, IntakeValidationError
from app.intake.models import RiskLevel, Witness
from app.intake.models.witnesses import IDENTITY_FIELDS
from app.intake.numbering import insert_with_next_number, witness_code
from app.intake.services.consent import ConsentInput, add_consent_record, validate_consent
from app.intake.services.replay import replayed
from app.intake.textinput import check_length, clean_line, normalise_client_id
from app.intake.visibility import may_edit_witness
from app.investigations.models import Investigation
from app.investigations.viewer import viewer_of
from app.timeutil import utcnow

RISK_LEVELS = tuple(level.value for level in RiskLevel)
IDENTITY_LIMITS = {"full_name": 200, "contact": 500, "current_location": 500}
_DOB = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


@dataclass
class WitnessInput:
    risk_level: str
    full_name: str = ""
    date_of_birth: str = ""  # YYYY, YYYY-MM or YYYY-MM-DD: often only the year is known
    contact: str = ""
    current_location: str = ""


def _validate_identity(values: Mapping[str, str | None], errors: list[FieldError]) -> dict:
    cleaned: dict[str, str | None] = {}
    for name, raw in values.items():
        if name not in IDENTITY_FIELDS:
            raise ValueError(f"{name!r} is not an identity field")
        value = clean_line(raw)
        if name == "date_of_birth":
            if value and not _valid_date_of_birth(value):
                errors.append(FieldError(name, "invalid_date_of_birth"))
        else:
            check_length(errors, name, value, IDENTITY_LIMITS[name])
        cleaned[name] = value or None
    return cleaned


def _valid_date_of_birth(value: str) -> bool:
    match = _DOB.match(value)
    if not match:
        return False
    year, month, day = (int(part) if part else 1 for part in match.groups())
    try:
        born = date(year, month, day)
    except ValueError:
        return False
    return 1880 <= year and born <= utcnow().date()


def _validate_risk(risk_level: str, errors: list[FieldError]) -> None:
    if not risk_level:
        errors.append(FieldError("risk_level", "required"))
    elif risk_level not in RISK_LEVELS:
        errors.append(FieldError("risk_level", "invalid_choice"))


def register_witness(
    investigation: Investigation,
    user: Any,
    data: WitnessInput,
    consent: ConsentInput | None = None,
    *,
    client_id: str | None = None,
) -> Witness:
    """A new witness with the next free code (W-0001, ...), optionally with their consent.

    Any member may register a witness; a field worker then sees only the witnesses they
    registered. Identity and consent are validated together, so nothing is stored unless
    everything is valid.
    """
    viewer = viewer_of(investigation, user)
    existing = replayed(Witness, client_id, investigation.id, user)
    if existing is not None:
        return existing
    errors: list[FieldError] = []
    _validate_risk(data.risk_level, errors)
    identity = _validate_identity({name: getattr(data, name) for name in IDENTITY_FIELDS}, errors)
    if consent is not None:
        try:
            validate_consent(consent, viewer)
        except IntakeValidationError as exc:
            # Named as the consent part of the registration: consent_language, ...
            errors.extend(FieldError(f"consent_{e.field}", e.code) for e in exc.errors)
    if errors:
        raise IntakeValidationError(errors)

    row_id = normalise_client_id(client_id)
    now = utcnow()

    def build(number: int) -> Witness:
        witness = Witness(
            investigation_id=investigation.id,
            number=number,
            code=witness_code(number),
            risk_level=data.risk_level,
            created_by_id=user.id,
            created_at=now,
            updated_at=now,
            **identity,
        )
        if row_id:
            witness.id = row_id
        return witness

    witness = insert_with_next_number(
        Witness.number, Witness.investigation_id, investigation.id, build
    )
    if consent is not None:
        add_consent_record(witness, viewer, consent, first=True)
    return witness


def update_witness(
    witness: Witness, user: Any, risk_level: str, identity: Mapping[str, str | None]
) -> Witness:
    """Change the risk level and the identity fields named in `identity` (others unchanged).

    A value of None or "" clears a field. Callers that cannot show the current identity to
    this user pass only the fields the user typed something into (write, never read back).
    """
    investigation = db.session.get(Investigation, witness.investigation_id)
    viewer = viewer_of(investigation, user)
    if not may_edit_witness(viewer, witness):
        raise IntakePermissionError("you may not change this witness")
    errors: list[FieldError] = []
    _validate_risk(risk_level, errors)
    cleaned = _validate_identity(identity, errors)
    if errors:
        raise IntakeValidationError(errors)
    witness.risk_level = risk_level
    for name, value in cleaned.items():
        setattr(witness, name, value)
    witness.updated_at = utcnow()
    db.session.flush()
    return witness


def identity_recorded(witness: Witness) -> dict[str, bool]:
    """Which identity fields hold a value, without decrypting (or revealing) any of them."""
    columns = [getattr(Witness, name).is_not(None) for name in IDENTITY_FIELDS]
    row = db.session.execute(select(*columns).where(Witness.id == witness.id)).one()
    return dict(zip(IDENTITY_FIELDS, (bool(v) for v in row), strict=True))
