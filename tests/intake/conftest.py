"""Intake fixtures: one investigation with two field workers, a lawyer with and one without the
identities flag, an outsider; the taxonomies loaded (the tables are emptied after each test)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from app.extensions import db
from app.intake.services.taxonomy import sync_taxonomies
from tests.helpers.factories import InvestigationFactory, MembershipFactory, UserFactory
from tests.helpers.web import sign_in


@dataclass
class IntakeWorld:
    investigation: Any
    field_a: Any
    field_b: Any
    lawyer: Any  # member, may NOT see identities
    lawyer_identities: Any  # member, may see identities
    outsider: Any  # a field worker of another investigation

    @property
    def ref(self) -> str:
        return self.investigation.reference

    def url(self, path: str) -> str:
        return f"/investigations/{self.ref}{path}"


@pytest.fixture
def world(app_ctx) -> IntakeWorld:
    sync_taxonomies()
    db.session.commit()
    investigation = InvestigationFactory()
    field_a = UserFactory(role="field", name="Field Worker A")
    field_b = UserFactory(role="field", name="Field Worker B")
    lawyer = UserFactory(role="lawyer", name="Lawyer Plain")
    lawyer_identities = UserFactory(role="lawyer", name="Lawyer Cleared")
    outsider = UserFactory(role="field", name="Outsider")
    for user in (field_a, field_b, lawyer):
        MembershipFactory(user=user, investigation=investigation)
    MembershipFactory(user=lawyer_identities, investigation=investigation, may_see_identities=True)
    MembershipFactory(user=outsider, investigation=InvestigationFactory())
    return IntakeWorld(investigation, field_a, field_b, lawyer, lawyer_identities, outsider)


@pytest.fixture
def client_for(app):
    """client_for(user) -> a test client signed in as that user (one per user, cached)."""
    clients: dict[str, Any] = {}

    def _client_for(user):
        if user.id not in clients:
            client = app.test_client()
            sign_in(client, user)
            clients[user.id] = client
        return clients[user.id]

    return _client_for
