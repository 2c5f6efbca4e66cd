"""An intake node under its own PostgreSQL role (app/security/intake_role.py): intake works
through the real routes, and the database itself refuses to show what was written or to
change the custody ledger."""

from __future__ import annotations

import hashlib
import io
import shutil
import uuid

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy import select

from app import create_app
from app.custody.models import LedgerEntry
from app.custody.signer_keys import CustodySigner
from app.custody.verify import verify_ledgers
from app.extensions import db
from app.intake.models.interviews import Interview
from app.intake.models.witnesses import Witness
from app.intake.services.taxonomy import sync_taxonomies
from app.security import org_keys
from app.vault.models import EvidenceItem
from tests.conftest import IsolatedClient, backend, make_config
from tests.helpers.factories import InvestigationFactory, MembershipFactory, UserFactory
from tests.helpers.web import csrf_token, post_form, sign_in
from tests.intake.helpers import interview_form, witness_form
from tests.vault.vault_support import (
    copy_public_keys,
    listed_node_signer,
    pin_current_recipient,
    text_bytes,
)

pytestmark = pytest.mark.skipif(
    backend() != "postgresql", reason="database roles are a PostgreSQL feature"
)

MARKER = "The marker sentence of the intake-role drill."


def _schema_and_url(app) -> tuple[str, str]:
    url = sa.engine.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    schema = url.query["options"].split("search_path=")[1]
    return schema, url


@pytest.fixture
def intake_role(app):
    """A new login role with exactly the intake GRANTs on this run's schema, dropped after."""
    schema, owner_url = _schema_and_url(app)
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


def _submit_everything(node, investigation, field) -> dict[str, str]:
    """Sign in on the intake node and submit a witness, an interview and a file."""
    client = node.test_client()
    sign_in(client, field)
    base = f"/investigations/{investigation.reference}"
    witness = post_form(
        client, f"{base}/witnesses/new", witness_form(), page=f"{base}/witnesses/new"
    )
    assert witness.status_code == 302, witness.get_data(as_text=True)[:2000]
    witness_id = witness.headers["Location"].rsplit("/", 1)[1]
    data = interview_form(witness_id, transcript=MARKER)
    data["interviewer_id"] = field.id
    interview = post_form(client, f"{base}/interviews/new", data, page=f"{base}/interviews/new")
    assert interview.status_code == 302, interview.get_data(as_text=True)[:2000]
    upload_url = f"{base}/evidence/upload"
    upload = client.post(
        upload_url,
        data={
            "csrf_token": csrf_token(client, upload_url),
            "files": [(io.BytesIO(text_bytes(20_000)), "statement.txt")],
        },
        content_type="multipart/form-data",
    )
    # An intake node answers an upload with its receipt (size, SHA-256, custody entry).
    assert upload.status_code == 200, upload.get_data(as_text=True)[:2000]
    assert hashlib.sha256(text_bytes(20_000)).hexdigest() in upload.get_data(as_text=True)
    return {"witness": witness_id, "interview": interview.headers["Location"].rsplit("/", 1)[1]}


def test_the_receipt_pages_shown_after_saving_work_under_the_role(
    app_ctx, intake_node, field_world
):
    """The pages a field worker lands on after saving are built from columns the role may
    read: they answer 200 with the sizes stored, and never the words."""
    investigation, field = field_world
    client = intake_node.test_client()
    sign_in(client, field)
    base = f"/investigations/{investigation.reference}"
    saved = post_form(client, f"{base}/witnesses/new", witness_form(), page=f"{base}/witnesses/new")
    page = client.get(saved.headers["Location"])
    body = page.get_data(as_text=True)
    assert page.status_code == 200, body[:2000]
    stored = db.session.get(Witness, saved.headers["Location"].rsplit("/", 1)[1]).sealed_sizes
    assert stored["full_name"] > 0
    assert f"sealed, {stored['full_name']} bytes stored" in body
    data = interview_form(saved.headers["Location"].rsplit("/", 1)[1], transcript=MARKER)
    data["interviewer_id"] = field.id
    saved = post_form(client, f"{base}/interviews/new", data, page=f"{base}/interviews/new")
    page = client.get(saved.headers["Location"])
    body = page.get_data(as_text=True)
    assert page.status_code == 200, body[:2000]
    interview = db.session.get(Interview, saved.headers["Location"].rsplit("/", 1)[1])
    assert f"sealed, {interview.sealed_sizes['transcript']} bytes stored" in body
    assert "Receipt" in body and MARKER not in body


def _as_role(role_url: str, sql: str):
    """Run one statement as the intake role on a connection of its own; return the rows."""
    url = sa.engine.make_url(role_url)
    options = url.query["options"]
    dsn = f"host={url.host} port={url.port} dbname={url.database} user={url.username}"
    with psycopg.connect(dsn, options=options.replace("%3D", "=")) as connection:
        return connection.execute(sql).fetchall()


def test_an_intake_node_under_its_role_takes_a_witness_an_interview_and_a_file(
    app_ctx, intake_node, field_world
):
    investigation, field = field_world
    ids = _submit_everything(intake_node, investigation, field)
    db.session.expire_all()
    assert db.session.get(Witness, ids["witness"]).investigation_id == investigation.id
    assert db.session.get(Interview, ids["interview"]).transcript == MARKER
    item = db.session.scalars(
        select(EvidenceItem).where(EvidenceItem.investigation_id == investigation.id)
    ).one()
    assert item.size == 20_000
    actions = db.session.scalars(
        select(LedgerEntry.action).where(LedgerEntry.investigation_id == investigation.id)
    ).all()
    assert {"consent_recorded", "received"} <= set(actions)
    # Signed at intake, by the node's own listed key: nothing it wrote is left unsigned.
    (verdict,) = verify_ledgers(investigation.reference)
    assert verdict.ok, verdict.problem
    assert verdict.signed_seq == verdict.entries
    assert verdict.signed_key == db.session.scalars(select(CustodySigner.key_id)).one()


def test_the_database_refuses_the_intake_role_a_transcript(
    app_ctx, intake_role, intake_node, field_world
):
    investigation, field = field_world
    _submit_everything(intake_node, investigation, field)
    _, role_url = intake_role
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        _as_role(role_url, "SELECT transcript FROM interviews")
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        _as_role(role_url, "SELECT full_name, contact FROM witnesses")
    assert _as_role(role_url, "SELECT count(*) FROM interviews WHERE status = 'draft'") == [(1,)]


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE custody_entries SET action = 'forged'",
        "DELETE FROM custody_entries",
        "DELETE FROM custody_entry_origins",
        "DELETE FROM custody_tree_nodes",
        "UPDATE custody_entry_origins SET digest = digest",
        "DELETE FROM audit_events",
        "UPDATE interviews SET status = 'sealed'",
        "DELETE FROM witnesses",
    ],
)
def test_the_database_refuses_the_intake_role_changes_to_the_ledger_and_content(
    app_ctx, intake_role, intake_node, field_world, sql
):
    investigation, field = field_world
    _submit_everything(intake_node, investigation, field)
    _, role_url = intake_role
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        _as_role(role_url, sql)
    db.session.expire_all()
    assert db.session.scalar(select(sa.func.count()).select_from(LedgerEntry)) >= 2


def test_create_makes_a_login_role_with_the_password_typed(app, tmp_path):
    schema, owner_url = _schema_and_url(app)
    role = f"custos_intake_{uuid.uuid4().hex[:10]}"
    result = app.test_cli_runner().invoke(
        args=["db", "intake-role", "--name", role, "--schema", schema, "--create", "--apply"],
        input="it's-a-long-secret\nit's-a-long-secret\n",
    )
    try:
        assert result.exit_code == 0, result.output
        assert "it's-a-long-secret" not in result.output
        with app.app_context(), db.engine.begin() as connection:
            can_login = connection.execute(
                sa.text("SELECT rolcanlogin FROM pg_roles WHERE rolname = :r"), {"r": role}
            ).scalar_one()
        assert can_login is True
        assert _as_role(owner_url.set(username=role).render_as_string(), "SELECT 1") == [(1,)]
    finally:
        with app.app_context(), db.engine.begin() as connection:
            connection.execute(sa.text(f'DROP OWNED BY "{role}"'))
            connection.execute(sa.text(f'DROP ROLE "{role}"'))
