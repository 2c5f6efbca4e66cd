"""`flask backup create` then `restore` into a fresh install: custody verify and fixity pass."""

from __future__ import annotations

import json
import shutil

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import undefer_group

from app.backup.services import SEEDED_TABLES
from app.custody.fixity import run_sweep
from app.custody.models import LedgerEntry
from app.custody.verify import verify_ledgers
from app.extensions import db
from app.intake.models import Witness
from app.vault.models import Derivative, EvidenceItem
from app.vault.storage import blob_store
from tests.backup.conftest import WITNESS_NAME, fresh_install, run_cli

AGE_MAGIC = b"age-encryption.org/v1\n"


def table_counts(application) -> dict[str, int]:
    with application.app_context():
        with db.engine.connect() as conn:
            return {
                table.name: conn.execute(select(func.count()).select_from(table)).scalar_one()
                for table in db.metadata.sorted_tables
            }


@pytest.mark.parametrize("container", ["directory", "tar"])
@pytest.mark.parametrize("target", ["sqlite", "postgresql"])
def test_a_restored_backup_passes_custody_verify_and_fixity(
    app, populated, tmp_path, container, target
):
    out = tmp_path / ("backup.tar" if container == "tar" else "backup")
    created = run_cli(app, "backup", "create", str(out))
    assert created.exit_code == 0, created.output
    assert "holds NO keys" in created.output
    before = table_counts(app)
    objects = before["evidence_items"] + before["evidence_derivatives"]
    assert before["evidence_items"] == 2 and before["evidence_derivatives"] >= 1

    with fresh_install(app, tmp_path, target) as restored:
        result = run_cli(restored, "backup", "restore", str(out))
        assert result.exit_code == 0, result.output
        assert table_counts(restored) == before

        verify = run_cli(restored, "custody", "verify")
        assert verify.exit_code == 0, verify.output
        fixity = run_cli(restored, "fixity", "check")
        assert fixity.exit_code == 0, fixity.output
        assert f"checked {objects} objects" in fixity.output and "0 failed" in fixity.output

        with restored.app_context():
            # Encrypted columns opened under the same master key, at the same row ids.
            witness = db.session.scalar(select(Witness).options(undefer_group("identity")))
            assert witness.full_name == WITNESS_NAME
            # New rows get new ids after the restored ones (PostgreSQL sequences moved on).
            assert all(v.ok for v in verify_ledgers())
            sweep, failures = run_sweep()
            assert not failures and sweep.checked == objects
            assert all(v.ok for v in verify_ledgers())


def test_the_backup_holds_blobs_as_stored_and_no_keys(app, populated, tmp_path):
    from app.security.org_keys import keys_dir

    out = tmp_path / "backup"
    assert run_cli(app, "backup", "create", str(out)).exit_code == 0
    manifest = json.loads((out / "manifest.json").read_text())
    store = blob_store()
    stored = {info.key: info.size for info in store.list()}
    assert {b["key"]: b["size"] for b in manifest["blobs"]} == stored
    for blob in manifest["blobs"]:
        data = (out / "blobs" / blob["key"]).read_bytes()
        assert data.startswith(AGE_MAGIC)
        assert data == store.path_for(blob["key"]).read_bytes()
    assert manifest["keys_included"] is False
    assert (
        manifest["alembic_revision"]
        == db.session.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    )
    assert {t["name"]: t["rows"] for t in manifest["tables"]} == table_counts(app)

    secrets = [app.config["CUSTOS_MASTER_KEY_FILE"].read_bytes().strip()]
    secrets += [p.read_bytes().strip() for p in keys_dir().iterdir() if p.is_file()]
    everything = b"".join(p.read_bytes() for p in out.rglob("*") if p.is_file())
    for secret in secrets:
        assert secret not in everything
    assert WITNESS_NAME.encode() not in everything  # the identity travels encrypted


def test_restore_refuses_a_database_that_holds_data(app, populated, tmp_path):
    out = tmp_path / "backup"
    assert run_cli(app, "backup", "create", str(out)).exit_code == 0
    before = table_counts(app)
    result = run_cli(app, "backup", "restore", str(out))
    assert result.exit_code == 1
    assert "empty database" in result.output
    assert table_counts(app) == before


def test_restore_refuses_another_schema_revision(app, populated, tmp_path):
    out = tmp_path / "backup"
    assert run_cli(app, "backup", "create", str(out)).exit_code == 0
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["alembic_revision"] = "0001"
    (out / "manifest.json").write_text(json.dumps(manifest))
    with fresh_install(app, tmp_path, "sqlite") as restored:
        result = run_cli(restored, "backup", "restore", str(out))
        assert result.exit_code == 1
        assert "revision 0001" in result.output
        assert sum(table_counts(restored).values()) == fresh_seed_rows(restored)


def test_a_damaged_blob_stops_the_restore_with_nothing_restored(app, populated, tmp_path):
    out = tmp_path / "backup"
    assert run_cli(app, "backup", "create", str(out)).exit_code == 0
    manifest = json.loads((out / "manifest.json").read_text())
    damaged = out / "blobs" / manifest["blobs"][-1]["key"]
    data = bytearray(damaged.read_bytes())
    data[-10] ^= 0x01
    damaged.write_bytes(bytes(data))
    with fresh_install(app, tmp_path, "sqlite") as restored:
        result = run_cli(restored, "backup", "restore", str(out))
        assert result.exit_code == 1
        assert "does not match its SHA-256" in result.output
        assert sum(table_counts(restored).values()) == fresh_seed_rows(restored)
        with restored.app_context():
            assert list(blob_store().list()) == []


def test_a_damaged_table_file_stops_the_restore_before_anything_is_written(
    app, populated, tmp_path
):
    out = tmp_path / "backup"
    assert run_cli(app, "backup", "create", str(out)).exit_code == 0
    with (out / "tables" / "custody_entries.jsonl").open("ab") as handle:
        handle.write(b"{}\n")
    with fresh_install(app, tmp_path, "sqlite") as restored:
        result = run_cli(restored, "backup", "restore", str(out))
        assert result.exit_code == 1
        assert "custody_entries.jsonl does not match" in result.output
        with restored.app_context():
            assert list(blob_store().list()) == []


def test_create_never_overwrites(app, populated, tmp_path):
    out = tmp_path / "backup"
    out.mkdir()
    result = run_cli(app, "backup", "create", str(out))
    assert result.exit_code == 1 and "already exists" in result.output


def test_a_fresh_database_has_rows_only_in_the_tables_migrations_seed(app, tmp_path):
    """If a migration starts seeding another table, restore must be told (SEEDED_TABLES)."""
    with fresh_install(app, tmp_path, "sqlite") as restored:
        filled = {name for name, rows in table_counts(restored).items() if rows}
    assert filled == set(SEEDED_TABLES)


def test_a_restore_interrupted_after_the_blobs_can_be_run_again(app, populated, tmp_path):
    out = tmp_path / "backup"
    assert run_cli(app, "backup", "create", str(out)).exit_code == 0
    with fresh_install(app, tmp_path, "sqlite") as restored:
        with restored.app_context():
            target = blob_store()
            for blob in json.loads((out / "manifest.json").read_text())["blobs"][:2]:
                path = target.path_for(blob["key"])
                path.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(out / "blobs" / blob["key"], path)
        result = run_cli(restored, "backup", "restore", str(out))
        assert result.exit_code == 0, result.output
        assert "2 already present" in result.output
        assert table_counts(restored) == table_counts(app)


def test_blobs_are_copied_in_constant_memory(app, app_ctx, investigation, tmp_path):
    import os
    import tracemalloc

    from app.backup.services import create_backup
    from app.vault.storage import write_encrypted

    chunk = os.urandom(1024 * 1024)
    write_encrypted(chunk for _ in range(24))  # a 24 MiB blob
    tracemalloc.start()
    try:
        create_backup(tmp_path / "backup.tar")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 1024 * 1024, f"peak {peak:,} bytes while copying a 24 MiB blob"


def fresh_seed_rows(application) -> int:
    counts = table_counts(application)
    return sum(counts[name] for name in SEEDED_TABLES)


def test_ledger_rows_and_derivatives_survive_byte_for_byte(app, populated, tmp_path):
    out = tmp_path / "backup"
    assert run_cli(app, "backup", "create", str(out)).exit_code == 0
    original = [
        (e.seq, bytes(e.body), e.entry_hash)
        for e in db.session.scalars(select(LedgerEntry).order_by(LedgerEntry.id))
    ]
    derivatives = db.session.scalar(select(func.count()).select_from(Derivative))
    assert derivatives >= 1  # the photo's thumbnail
    with fresh_install(app, tmp_path, "sqlite") as restored:
        assert run_cli(restored, "backup", "restore", str(out)).exit_code == 0
        with restored.app_context():
            copied = [
                (e.seq, bytes(e.body), e.entry_hash)
                for e in db.session.scalars(select(LedgerEntry).order_by(LedgerEntry.id))
            ]
            items = db.session.scalars(select(EvidenceItem)).all()
            assert {i.original_filename for i in items} == {"street.jpg", "note.pdf"}
    assert copied == original
