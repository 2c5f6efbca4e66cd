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
from tests.vault.vault_support import copy_public_keys, isolated_vault


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


@pytest.fixture
def keys(app, tmp_path, monkeypatch):
    with isolated_vault(app, tmp_path, monkeypatch) as folder:
        yield folder


def pin_of_current_recipient(app) -> str:
    from app.security import org_keys
    from app.security.recipient_pin import fingerprint

    with app.app_context():
        return fingerprint(org_keys.org_recipients()[0])


@pytest.fixture
def nodes(app, keys, tmp_path, monkeypatch):
    """Switches the app between the reading node and one holding the public files only."""
    public = copy_public_keys(keys, tmp_path / "public-only")
    pin = pin_of_current_recipient(app)

    class Nodes:
        def intake(self, intake_only: bool = True) -> None:
            monkeypatch.setitem(app.config, "CUSTOS_KEYS_DIR", public)
            monkeypatch.setitem(app.config, "CUSTOS_INTAKE_ONLY", intake_only)
            # An intake node seals only to the recipient its operator pinned.
            monkeypatch.setitem(app.config, "CUSTOS_ORG_RECIPIENT_FINGERPRINT", pin)
            db.session.expire_all()

        def reader(self) -> None:
            monkeypatch.setitem(app.config, "CUSTOS_KEYS_DIR", keys)
            monkeypatch.setitem(app.config, "CUSTOS_INTAKE_ONLY", False)
            db.session.expire_all()

    return Nodes()
