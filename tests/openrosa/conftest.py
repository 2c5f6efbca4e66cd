"""OpenRosa fixtures: an investigation with an incident and a witness of field worker A, a
device issued to A, and the scripted phone that uses it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select

from app.custody.models import LedgerEntry
from app.extensions import db
from app.openrosa.devices import issue_device
from app.openrosa.models import OpenRosaSubmission
from app.vault.models import EvidenceItem
from tests.helpers.factories import InvestigationFactory, MembershipFactory, UserFactory
from tests.intake.builders import make_incident, make_witness
from tests.openrosa.phone import Phone


@dataclass
class OpenRosaWorld:
    app: Any
    investigation: Any
    field_a: Any
    incident: Any
    witness: Any

    def phone_for(self, user: Any, investigation: Any | None = None) -> Phone:
        investigation = investigation or self.investigation
        issued = issue_device(user, investigation.id, "Phone", None)
        db.session.commit()
        return Phone(
            self.app.test_client(),
            investigation.reference,
            issued.device.username,
            issued.password,
        )


@pytest.fixture
def world(app, app_ctx) -> OpenRosaWorld:
    investigation = InvestigationFactory()
    field_a = UserFactory(role="field")
    MembershipFactory(user=field_a, investigation=investigation, role="field")
    incident = make_incident(investigation, field_a)
    witness = make_witness(investigation, field_a, full_name="Rania Haddad")
    db.session.commit()
    return OpenRosaWorld(app, investigation, field_a, incident, witness)


@pytest.fixture
def phone(world) -> Phone:
    return world.phone_for(world.field_a)


def stored_counts() -> dict[str, int]:
    """What a refused request must leave unchanged."""
    db.session.expire_all()
    return {
        "evidence": db.session.scalar(select(func.count()).select_from(EvidenceItem)),
        "submissions": db.session.scalar(select(func.count()).select_from(OpenRosaSubmission)),
        "ledger": db.session.scalar(select(func.count()).select_from(LedgerEntry)),
    }


def ledger(action: str) -> list[dict]:
    """The bodies of the ledger entries of one action, in the order they were appended."""
    db.session.expire_all()
    rows = db.session.scalars(
        select(LedgerEntry).where(LedgerEntry.action == action).order_by(LedgerEntry.seq)
    )
    return [json.loads(row.body) for row in rows]
