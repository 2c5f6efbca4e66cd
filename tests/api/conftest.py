"""API fixtures: one investigation with two field workers, two lawyers (one who may see
identities), an outsider in another investigation, the taxonomies; tokens for each."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from app.extensions import db
from app.intake.services.taxonomy import sync_taxonomies
from tests.api.helpers import ApiClient, issue_token
from tests.helpers.factories import InvestigationFactory, MembershipFactory, UserFactory


@dataclass
class ApiWorld:
    app: Any
    investigation: Any
    other_investigation: Any
    field_a: Any
    field_b: Any
    lawyer: Any  # member, may NOT see identities
    lawyer_identities: Any  # member, may see identities
    outsider: Any  # a field worker of the other investigation only
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def ref(self) -> str:
        return self.investigation.reference

    def path(self, rest: str = "") -> str:
        return f"/investigations/{self.ref}{rest}"

    def api(self, user: Any | None, scope: str = "read write") -> ApiClient:
        """A client with a token of `user` (None: no token at all)."""
        if user is None:
            return ApiClient(self.app.test_client(), None)
        key = f"{user.id}:{scope}"
        if key not in self.tokens:
            self.tokens[key] = issue_token(user, scope)
        return ApiClient(self.app.test_client(), self.tokens[key])


@pytest.fixture
def world(app, app_ctx) -> ApiWorld:
    sync_taxonomies()
    db.session.commit()
    investigation = InvestigationFactory()
    other = InvestigationFactory()
    field_a = UserFactory(role="field", name="Field Worker A")
    field_b = UserFactory(role="field", name="Field Worker B")
    lawyer = UserFactory(role="lawyer", name="Lawyer Plain")
    lawyer_identities = UserFactory(role="lawyer", name="Lawyer Cleared")
    outsider = UserFactory(role="field", name="Outsider")
    for user in (field_a, field_b, lawyer):
        MembershipFactory(user=user, investigation=investigation)
    MembershipFactory(user=lawyer_identities, investigation=investigation, may_see_identities=True)
    MembershipFactory(user=outsider, investigation=other)
    return ApiWorld(
        app, investigation, other, field_a, field_b, lawyer, lawyer_identities, outsider
    )
