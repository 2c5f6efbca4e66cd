"""`keys rotate`: every blob rewrapped to a new identity, payload untouched, crash-safe."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.crypto.age import decrypt_bytes
from app.crypto.age.header import read_source_header
from app.crypto.age.source import BytesSource
from app.custody.models import LedgerEntry
from app.extensions import db
from app.intake.models import Witness
from app.security import key_files, org_keys
from app.vault.rotation import rotate_keys
from app.vault.storage import blob_store, write_encrypted
from app.vault.upload.stream import begin_intake
from tests.helpers.factories import InvestigationFactory, MembershipFactory, UserFactory
from tests.vault.vault_support import decrypt_with_age_cli, isolated_vault, raw_blob, text_bytes


@pytest.fixture
def vault(app, tmp_path, monkeypatch):
    with isolated_vault(app, tmp_path, monkeypatch) as keys:
        yield keys


@pytest.fixture
def stored(app_ctx, vault):
    """Five evidence items and one derivative-style blob, with their plaintexts."""
    investigation = InvestigationFactory()
    user = UserFactory()
    MembershipFactory(user=user, investigation=investigation)
    plaintexts = {}
    for n in range(5):
        data = text_bytes(70_000 + n * 1000)
        writer = begin_intake(investigation, user, f"note-{n}.txt", None, None)
        writer.write(data)
        plaintexts[writer.finish().blob_key] = data
    extra = text_bytes(1234)
    plaintexts[write_encrypted([extra]).key] = extra
    return plaintexts


def payload(blob: bytes) -> bytes:
    header, _ = read_source_header(BytesSource(blob))
    return blob[header.length :]


def test_rotation_rewraps_every_blob_and_leaves_payloads_untouched(app, stored, tmp_path):
    old_identity = org_keys.org_identities()[0]
    before = {key: raw_blob(key) for key in blob_store().list() for key in [key.key]}
    result = app.test_cli_runner().invoke(args=["keys", "rotate"])
    assert result.exit_code == 0, result.output
    assert "Rotation complete" in result.output

    db.session.expire_all()
    new_identity = org_keys.org_identities()[0]
    assert new_identity != old_identity
    assert org_keys.org_recipients() == [new_identity.recipient]
    recipients = [r for r in org_keys.all_recipients()]
    assert recipients == [old_identity.recipient, new_identity.recipient]
    for key, data in stored.items():
        after = raw_blob(key)
        assert payload(after) == payload(before[key])  # same nonce, same chunks
        # The new identity alone opens it, with the reference tool; the old one no longer does.
        assert decrypt_with_age_cli(after, [new_identity], tmp_path) == data
        with pytest.raises(Exception):  # noqa: B017 (any age failure)
            decrypt_bytes(after, [old_identity])
    assert not (org_keys.keys_dir() / key_files.ROTATION_FILE).exists()


def test_rotation_is_recorded_in_each_investigations_ledger(app, stored):
    app.test_cli_runner().invoke(args=["keys", "rotate"])
    db.session.expire_all()
    entries = db.session.scalars(select(LedgerEntry).where(LedgerEntry.action == "key_rotated"))
    assert len(list(entries)) == 1


def test_an_interrupted_rotation_never_makes_a_blob_unreadable_and_a_rerun_finishes(
    app, stored, tmp_path
):
    class Crash(Exception):
        pass

    done = []

    def crash_after_two(key: str, outcome: str) -> None:
        done.append(key)
        if len(done) == 2:
            raise Crash

    with pytest.raises(Crash):
        rotate_keys(crash_after_two)
    assert (org_keys.keys_dir() / key_files.ROTATION_FILE).exists()
    identities = org_keys.org_identities()
    assert len(identities) == 2
    for key, data in stored.items():  # every blob still opens with the kept identities
        assert decrypt_bytes(raw_blob(key), identities) == data

    result = app.test_cli_runner().invoke(args=["keys", "rotate"])
    assert result.exit_code == 0, result.output
    assert "already current" in result.output  # the two done before the crash are skipped
    identities_after = org_keys.org_identities()
    assert len(identities_after) == 2  # the re-run finished the same rotation, no third key
    new_identity = identities_after[0]
    for key, data in stored.items():
        assert decrypt_with_age_cli(raw_blob(key), [new_identity], tmp_path) == data
    assert not (org_keys.keys_dir() / key_files.ROTATION_FILE).exists()


def test_a_store_failure_stops_the_rotation_with_a_message_and_a_rerun_finishes_it(
    app, stored, monkeypatch
):
    from app.vault import rotation
    from app.vault.blobstore.base import BlobStoreError

    real_rewrap, calls = rotation._rewrap_one, []

    def store_fails_on_the_second(*args):
        calls.append(args[1])
        if len(calls) == 2:
            raise BlobStoreError("the object store failed while uploading a part (SlowDown)")
        return real_rewrap(*args)

    monkeypatch.setattr(rotation, "_rewrap_one", store_fails_on_the_second)
    result = app.test_cli_runner().invoke(args=["keys", "rotate"])
    assert result.exit_code == 1 and result.exception.__class__ is SystemExit
    assert "SlowDown" in result.output and "run it again" in result.output
    identities = org_keys.org_identities()
    for key, data in stored.items():
        assert decrypt_bytes(raw_blob(key), identities) == data

    monkeypatch.setattr(rotation, "_rewrap_one", real_rewrap)
    assert app.test_cli_runner().invoke(args=["keys", "rotate"]).exit_code == 0
    assert len(org_keys.org_identities()) == 2  # the same rotation, finished
    for key, data in stored.items():
        assert decrypt_bytes(raw_blob(key), org_keys.org_identities()[:1]) == data


def test_a_second_rotation_adds_a_third_identity(app, stored):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["keys", "rotate"]).exit_code == 0
    assert runner.invoke(args=["keys", "rotate"]).exit_code == 0
    identities = org_keys.org_identities()
    assert len(identities) == 3
    for key, data in stored.items():
        assert decrypt_bytes(raw_blob(key), identities[:1]) == data


def test_an_intake_only_node_cannot_rotate(app, vault, monkeypatch):
    monkeypatch.setitem(app.config, "CUSTOS_INTAKE_ONLY", True)
    result = app.test_cli_runner().invoke(args=["keys", "rotate"])
    assert result.exit_code != 0
    assert "intake-only" in result.output


def test_rotation_reseals_witness_identities_to_the_new_recipient(app, app_ctx, vault):
    from app.intake.services.taxonomy import sync_taxonomies
    from app.security.field_rotation import count_values_needing_rotation
    from app.security.field_sealing import recipient_id
    from tests.intake.builders import make_witness

    sync_taxonomies()
    investigation = InvestigationFactory()
    user = UserFactory(role="field")
    MembershipFactory(user=user, investigation=investigation)
    witness = make_witness(investigation, user, full_name="Rotated Marker-88")
    before = org_keys.all_recipients()[-1]

    report = rotate_keys()

    after = org_keys.all_recipients()[-1]
    assert after != before and report.resealed >= 1
    stored = db.session.execute(
        select(Witness.__table__.c.full_name).where(Witness.id == witness.id)
    ).scalar_one()
    assert bytes(stored)[1:5] == recipient_id(after)
    assert count_values_needing_rotation(db.session, db.metadata) == 0
    db.session.expire_all()
    assert db.session.get(Witness, witness.id).full_name == "Rotated Marker-88"


def test_rotation_keeps_the_sizes_receipts_show_equal_to_what_is_stored(app, app_ctx, vault):
    """A value re-sealed by rotation can change length (here a value written before sealing,
    AES-GCM under the master key, becomes an age file): `sealed_sizes`, which intake receipts
    show, follows it; a field of the row rotation did not touch keeps its size."""
    import sqlalchemy as sa

    from app.intake.services.taxonomy import sync_taxonomies
    from app.security.encrypted_type import current_keyring, field_context
    from tests.intake.builders import make_incident, make_witness

    sync_taxonomies()
    investigation = InvestigationFactory()
    user = UserFactory(role="field")
    MembershipFactory(user=user, investigation=investigation)
    witness = make_witness(investigation, user, full_name="Legacy Marker-89", contact="+90 1")
    incident = make_incident(investigation, user, place_name="Rotated Place Marker-90")
    context = field_context("witnesses", "full_name", witness.id)
    legacy = current_keyring().encrypt("Legacy Marker-89", context)
    table = sa.table(
        "witnesses",
        sa.column("id", sa.String),
        sa.column("full_name", sa.LargeBinary),
        sa.column("sealed_sizes", sa.JSON),
    )
    sizes = dict(witness.sealed_sizes, full_name=len(legacy))
    db.session.execute(
        sa.update(table)
        .where(table.c.id == witness.id)
        .values(full_name=legacy, sealed_sizes=sizes)
    )
    db.session.commit()

    rotate_keys()

    db.session.expire_all()

    def stored_length(table: str, column: str, row_id: str) -> int:
        query = sa.text(f"SELECT length({column}) FROM {table} WHERE id = :id")  # noqa: S608
        return db.session.execute(query, {"id": row_id}).scalar_one()

    after = db.session.get(Witness, witness.id)
    assert after.sealed_sizes["full_name"] == stored_length("witnesses", "full_name", witness.id)
    assert after.sealed_sizes["full_name"] != len(legacy)
    assert after.sealed_sizes["contact"] == stored_length("witnesses", "contact", witness.id)
    assert after.full_name == "Legacy Marker-89"
    from app.intake.models import Incident

    rotated = db.session.get(Incident, incident.id)
    length = stored_length("incidents", "particulars", incident.id)
    assert rotated.sealed_sizes["particulars"] == length
    assert rotated.place_name == "Rotated Place Marker-90"
