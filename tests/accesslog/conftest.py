"""Access-log fixtures: an investigation with a witness, testimony and evidence, and its people."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from app.extensions import db
from app.intake.services.taxonomy import sync_taxonomies
from tests.helpers.factories import InvestigationFactory, MembershipFactory, UserFactory
from tests.intake.builders import make_interview, make_witness
from tests.vault.test_reading import add_evidence, text_bytes

NAME = "Amal Example"


@dataclass
class ReadWorld:
    investigation: Any
    field: Any
    lawyer: Any  # no identity grant
    cleared: Any  # lawyer with the identity grant
    admin: Any  # an admin member
    witness: Any
    interview: Any
    item: Any

    def url(self, rest: str) -> str:
        return f"/investigations/{self.investigation.reference}{rest}"


@pytest.fixture
def reads(app_ctx) -> ReadWorld:
    sync_taxonomies()
    investigation = InvestigationFactory()
    field = UserFactory(role="field", email="field@example.org")
    lawyer = UserFactory(role="lawyer", email="plain@example.org")
    cleared = UserFactory(role="lawyer", email="cleared@example.org")
    admin = UserFactory(role="admin", email="admin@example.org")
    MembershipFactory(user=field, investigation=investigation)
    MembershipFactory(user=lawyer, investigation=investigation)
    MembershipFactory(user=cleared, investigation=investigation, may_see_identities=True)
    MembershipFactory(user=admin, investigation=investigation, role="lead")
    witness = make_witness(investigation, field, full_name=NAME, contact="+963 11 555 0101")
    interview = make_interview(investigation, field, witness)
    item = add_evidence(investigation, field, text_bytes(3000), "notes.txt")
    db.session.commit()
    return ReadWorld(investigation, field, lawyer, cleared, admin, witness, interview, item)
