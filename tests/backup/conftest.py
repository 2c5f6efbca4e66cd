"""Backup fixtures: a populated install, and a second, empty install to restore into."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from app.extensions import db
from tests.conftest import backend, postgres_url, require_postgres
from tests.helpers.factories import InvestigationFactory, MembershipFactory, UserFactory
from tests.helpers.instance import migrated_app, private_schema
from tests.helpers.media import jpeg_with_exif

WITNESS_NAME = "Hala Backup-Witness"


@pytest.fixture(autouse=True)
def _organisation_keys(app):
    from app.security import org_keys

    with app.app_context():
        if not org_keys.keys_initialised():
            org_keys.init_keys(org_keys.keys_dir(), org_keys.master_key())


@dataclass
class Populated:
    investigation: Any
    lawyer: Any
    field: Any
    witness: Any
    items: list


@pytest.fixture
def populated(app_ctx) -> Populated:
    """Accounts with 2FA, a witness with an identity and a superseded consent, an incident,
    a photo through the real intake (so a thumbnail and a stripped copy), and a PDF."""
    from app.intake.services.consent import record_consent
    from app.vault.upload.stream import begin_intake
    from tests.intake.builders import consent_input, make_incident, make_witness

    investigation = InvestigationFactory()
    lawyer = UserFactory(role="lawyer")
    field = UserFactory(role="field")
    MembershipFactory(user=lawyer, investigation=investigation, may_see_identities=True)
    MembershipFactory(user=field, investigation=investigation)
    make_incident(investigation, field)
    witness = make_witness(investigation, field, full_name=WITNESS_NAME, contact="+963 11 000 0000")
    record_consent(witness, field, consent_input(publication=False))
    db.session.commit()
    items = []
    for name, data in (("street.jpg", jpeg_with_exif()), ("note.pdf", _pdf())):
        writer = begin_intake(investigation, field, name, None, None)
        writer.write(data)
        items.append(writer.finish())
    return Populated(investigation, lawyer, field, witness, items)


def _pdf() -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    )


@contextmanager
def fresh_install(source: Flask, tmp_path: Path, target: str) -> Iterator[Flask]:
    """A second install with its own, migrated, empty database and blob folder, and a copy
    of the source's keys and master key (restored by the operator, apart from the backup)."""
    from app.security.org_keys import keys_dir

    instance = tmp_path / f"restored-{uuid.uuid4().hex[:8]}"
    instance.mkdir()
    with source.app_context():
        shutil.copytree(keys_dir(), instance / "keys")
    shutil.copy(source.config["CUSTOS_MASTER_KEY_FILE"], instance / "master.key")
    with _database(target, tmp_path) as url, migrated_app(url, instance) as restored:
        yield restored


@contextmanager
def _database(target: str, tmp_path: Path) -> Iterator[str]:
    if target == "sqlite":
        yield f"sqlite:///{tmp_path / f'restored-{uuid.uuid4().hex[:8]}.db'}"
        return
    if backend() == "postgresql":
        url = require_postgres()
    elif postgres_url():
        url = postgres_url()
    else:
        pytest.skip("restoring into PostgreSQL runs in the PostgreSQL pass (TEST_DATABASE_URL)")
    with private_schema(url, "custos_restore") as restore_url:
        yield restore_url


def run_cli(application: Flask, *args: str):
    # Flask's CLI uses the app of the current context when there is one: push this one's.
    with application.app_context():
        return application.test_cli_runner().invoke(args=list(args))
