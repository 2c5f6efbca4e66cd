"""Fixtures of the intake-node tests: a login role with exactly the intake GRANTs, an intake-only
app connected as it with public keys only, and an investigation with a field worker."""

from __future__ import annotations

import shutil
import uuid

import pytest
import sqlalchemy as sa

from app import create_app
from app.extensions import db
from app.intake.services.taxonomy import sync_taxonomies
from app.security import org_keys
from tests.conftest import IsolatedClient, make_config
from tests.helpers.factories import InvestigationFactory, MembershipFactory, UserFactory
from tests.security.intake_node import schema_and_url
from tests.vault.vault_support import copy_public_keys, listed_node_signer, pin_current_recipient


@pytest.fixture
def intake_role(app):
    """A new login role with exactly the intake GRANTs on this run's schema, dropped after."""
    schema, owner_url = schema_and_url(app)
    role = f"custos_intake_{uuid.uuid4().hex[:10]}"
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(sa.text(f'CREATE ROLE "{role}" LOGIN'))
    result = app.test_cli_runner().invoke(
        args=["db", "intake-role", "--name", role, "--schema", schema, "--apply"]
    )
    assert result.exit_code == 0, result.output
    role_url = owner_url.set(username=role, password=None)
    yield role, role_url.render_as_string(hide_password=False)
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(sa.text(f'DROP OWNED BY "{role}"'))
        connection.execute(sa.text(f'DROP ROLE "{role}"'))


@pytest.fixture
def intake_node(app, app_ctx, intake_role, tmp_path, monkeypatch):
    """A second Custos app, intake-only, connected as the intake role, with public keys only."""
    _, role_url = intake_role
    pin = pin_current_recipient(app, monkeypatch)
    instance = tmp_path / "intake-instance"
    instance.mkdir()
    shutil.copy(app.instance_path + "/master.key", instance / "master.key")
    node_keys = copy_public_keys(org_keys.keys_dir(), tmp_path / "public-keys")
    listed_node_signer(app, node_keys)
    node = create_app(
        make_config(
            role_url,
            instance,
            CUSTOS_INTAKE_ONLY=True,
            CUSTOS_KEYS_DIR=node_keys,
            CUSTOS_ORG_RECIPIENT_FINGERPRINT=pin,
            BLOB_DIR=app.config["BLOB_DIR"],
            CUSTOS_JOB_BACKEND="inline",
        )
    )
    node.test_client_class = IsolatedClient
    yield node
    with node.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def field_world(app_ctx):
    sync_taxonomies()
    db.session.commit()
    investigation = InvestigationFactory()
    field = UserFactory(role="field", name="Field Worker")
    MembershipFactory(user=field, investigation=investigation)
    db.session.commit()
    return investigation, field
