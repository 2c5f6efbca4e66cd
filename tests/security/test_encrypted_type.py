"""EncryptedText through the ORM: what reaches the database, what comes back, what is refused."""

from __future__ import annotations

import os
import secrets
import uuid
import warnings
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import DeclarativeBase, Mapped, deferred, mapped_column

from app.security.encrypted_type import (
    ClientIdMixin,
    EncryptedText,
    Sealed,
    init_field_encryption,
)
from app.security.field_crypto import FieldDecryptionError, FieldKeyring, key_id_for
from app.security.field_rotation import count_values_needing_rotation, reencrypt_all


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)


class WitnessRecord(ClientIdMixin, db.Model):
    __tablename__ = "fieldenc_record"

    label: Mapped[str] = mapped_column(sa.String(40), default="")
    witness_name: Mapped[str | None] = mapped_column(EncryptedText)
    statement: Mapped[str | None] = mapped_column(EncryptedText)
    notes: Mapped[str | None] = deferred(mapped_column(EncryptedText))


class Alias(ClientIdMixin, db.Model):
    """Same column name as WitnessRecord, so only the table name tells their ciphertexts apart."""

    __tablename__ = "fieldenc_alias"

    witness_name: Mapped[str | None] = mapped_column(EncryptedText)


def backends() -> list[str]:
    """The Makefile's per-backend runs pick one with CUSTOS_TEST_DB; a bare run does what it can."""
    chosen = os.environ.get("CUSTOS_TEST_DB")
    if chosen:
        return [chosen]
    return ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


ARABIC = "أمل حداد، شاهدة من حلب"


@pytest.fixture(params=backends())
def database_uri(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fields.db'}"
        return
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but TEST_DATABASE_URL is not set")
        pytest.skip("PostgreSQL run skipped: TEST_DATABASE_URL is not set")
    schema = f"fieldenc_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(url)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in url else "?"
    yield f"{url}{separator}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def master() -> bytes:
    return secrets.token_bytes(32)


@pytest.fixture
def field_app(database_uri: str, master: bytes) -> Iterator[Flask]:
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = database_uri
    db.init_app(app)
    init_field_encryption(app, FieldKeyring(master))
    with app.app_context():
        db.create_all()
        yield app
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


def use_keyring(app: Flask, keyring: FieldKeyring) -> None:
    """Switch keys as a restarted server would, with nothing cached from before."""
    db.session.commit()
    db.session.expunge_all()
    init_field_encryption(app, keyring)


def raw(table: str, column: str, row_id: str) -> bytes | None:
    value = db.session.execute(
        sa.text(f"SELECT {column} FROM {table} WHERE id = :id"), {"id": row_id}
    ).scalar_one()
    return None if value is None else bytes(value)


def copy_raw(source: tuple[str, str, str], target: tuple[str, str, str]) -> None:
    """Move a ciphertext with SQL alone, as someone with database access could."""
    blob = raw(*source)
    table, column, row_id = target
    db.session.execute(
        sa.text(f"UPDATE {table} SET {column} = :blob WHERE id = :id"),
        {"blob": blob, "id": row_id},
    )
    db.session.commit()
    db.session.expunge_all()


def add_record(**values: str | None) -> str:
    record = WitnessRecord(**values)
    db.session.add(record)
    db.session.commit()
    row_id = record.id
    db.session.expunge_all()
    return row_id


# --- What reaches the database -------------------------------------------------------------------


def test_stored_bytes_do_not_contain_the_plaintext(field_app):
    row_id = add_record(witness_name="Amal Haddad", statement=ARABIC)
    stored_name = raw("fieldenc_record", "witness_name", row_id)
    stored_statement = raw("fieldenc_record", "statement", row_id)
    assert b"Amal" not in stored_name
    assert ARABIC.encode() not in stored_statement
    assert "حلب".encode() not in stored_statement


def test_stored_value_carries_the_current_key_id(field_app, master):
    row_id = add_record(witness_name="Amal Haddad")
    stored = raw("fieldenc_record", "witness_name", row_id)
    assert stored[:1] == b"\x01"
    assert stored[1:5] == key_id_for(master)


def test_row_id_exists_before_the_first_flush(field_app):
    record = WitnessRecord(witness_name="Amal Haddad")
    assert uuid.UUID(record.id)


def test_none_is_stored_as_null(field_app):
    row_id = add_record(witness_name=None)
    assert raw("fieldenc_record", "witness_name", row_id) is None
    assert db.session.get(WitnessRecord, row_id).witness_name is None


# --- What comes back -----------------------------------------------------------------------------


def test_round_trip(field_app):
    row_id = add_record(witness_name="Amal Haddad")
    assert db.session.get(WitnessRecord, row_id).witness_name == "Amal Haddad"


def test_arabic_text_round_trips(field_app):
    row_id = add_record(statement=ARABIC)
    assert db.session.get(WitnessRecord, row_id).statement == ARABIC


def test_app_code_sees_text_after_flush_and_after_commit(field_app):
    record = WitnessRecord(witness_name="Amal Haddad")
    db.session.add(record)
    db.session.flush()
    assert record.witness_name == "Amal Haddad"
    db.session.commit()
    assert record.witness_name == "Amal Haddad"  # expired, reloaded, opened


def test_loading_does_not_mark_the_object_dirty(field_app):
    row_id = add_record(witness_name="Amal Haddad", statement=ARABIC)
    record = db.session.get(WitnessRecord, row_id)
    assert record.witness_name == "Amal Haddad"
    assert not db.session.dirty
    assert not sa.inspect(record).modified


def test_deferred_column_opens_on_first_access(field_app):
    row_id = add_record(notes="met at the checkpoint")
    record = db.session.get(WitnessRecord, row_id)
    assert "notes" not in sa.inspect(record).dict
    assert record.notes == "met at the checkpoint"
    assert not db.session.dirty


def test_updating_a_value_seals_it_afresh(field_app):
    row_id = add_record(witness_name="Amal Haddad")
    before = raw("fieldenc_record", "witness_name", row_id)
    db.session.get(WitnessRecord, row_id).witness_name = "Amal H."
    db.session.commit()
    after = raw("fieldenc_record", "witness_name", row_id)
    assert after != before
    assert b"Amal" not in after
    db.session.expunge_all()
    assert db.session.get(WitnessRecord, row_id).witness_name == "Amal H."


def test_changing_another_column_leaves_the_ciphertext_alone(field_app):
    row_id = add_record(witness_name="Amal Haddad")
    before = raw("fieldenc_record", "witness_name", row_id)
    db.session.get(WitnessRecord, row_id).label = "interview 2"
    db.session.commit()
    assert raw("fieldenc_record", "witness_name", row_id) == before


def test_setting_a_value_to_none_clears_it(field_app):
    row_id = add_record(witness_name="Amal Haddad")
    db.session.get(WitnessRecord, row_id).witness_name = None
    db.session.commit()
    assert raw("fieldenc_record", "witness_name", row_id) is None


def test_failed_flush_leaves_text_in_the_object(field_app):
    row_id = add_record(witness_name="Amal Haddad")
    duplicate = WitnessRecord(id=row_id, witness_name="someone else")
    db.session.add(duplicate)
    with pytest.raises(IntegrityError):
        db.session.flush()
    assert duplicate.witness_name == "someone else"
    db.session.rollback()


def test_partial_flush_keeps_the_other_objects_changes(field_app):
    changed_id = add_record(witness_name="Amal Haddad")
    other_id = add_record(label="first")
    changed = db.session.get(WitnessRecord, changed_id)
    other = db.session.get(WitnessRecord, other_id)
    changed.witness_name = "Amal H."
    other.label = "second"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # flush(objects) is deprecated
        db.session.flush([other])
    assert changed.witness_name == "Amal H."
    db.session.commit()
    db.session.expunge_all()
    assert db.session.get(WitnessRecord, changed_id).witness_name == "Amal H."


# --- Ciphertext moved where it does not belong ---------------------------------------------------


def test_ciphertext_copied_to_another_row_fails_loudly(field_app):
    source = add_record(witness_name="Amal Haddad")
    target = add_record(witness_name="Yusuf Karim")
    copy_raw(
        ("fieldenc_record", "witness_name", source),
        ("fieldenc_record", "witness_name", target),
    )
    with pytest.raises(FieldDecryptionError) as raised:
        db.session.get(WitnessRecord, target)
    assert "fieldenc_record.witness_name" in str(raised.value)
    assert "Amal" not in str(raised.value)


def test_object_that_failed_to_open_keeps_failing(field_app):
    source = add_record(witness_name="Amal Haddad")
    target = add_record(witness_name="Yusuf Karim")
    record = db.session.get(WitnessRecord, target)  # held by app code across the tampering
    copy_raw(
        ("fieldenc_record", "witness_name", source),
        ("fieldenc_record", "witness_name", target),
    )
    db.session.add(record)
    db.session.expire(record)
    for _ in range(2):  # never the ciphertext (nor anything else) on a second look
        with pytest.raises(FieldDecryptionError):
            _ = record.witness_name


def test_ciphertext_copied_to_another_column_fails_loudly(field_app):
    row_id = add_record(witness_name="Amal Haddad", statement="I saw the convoy")
    copy_raw(
        ("fieldenc_record", "witness_name", row_id),
        ("fieldenc_record", "statement", row_id),
    )
    with pytest.raises(FieldDecryptionError, match="fieldenc_record.statement"):
        db.session.get(WitnessRecord, row_id)


def test_ciphertext_copied_to_another_table_fails_loudly(field_app):
    row_id = add_record(witness_name="Amal Haddad")
    db.session.add(Alias(id=row_id, witness_name="A.H."))
    db.session.commit()
    copy_raw(
        ("fieldenc_record", "witness_name", row_id),
        ("fieldenc_alias", "witness_name", row_id),
    )
    with pytest.raises(FieldDecryptionError, match="fieldenc_alias.witness_name"):
        db.session.get(Alias, row_id)


# --- Keys ----------------------------------------------------------------------------------------


def test_wrong_master_key_fails_loudly(field_app):
    row_id = add_record(witness_name="Amal Haddad")
    use_keyring(field_app, FieldKeyring(secrets.token_bytes(32)))
    with pytest.raises(FieldDecryptionError, match="which this server does not hold"):
        db.session.get(WitnessRecord, row_id)


def test_previous_key_still_opens_and_reencrypt_all_moves_to_the_current_key(field_app, master):
    row_id = add_record(witness_name="Amal Haddad", statement=ARABIC)
    untouched = add_record(witness_name=None)
    new_master = secrets.token_bytes(32)
    use_keyring(field_app, FieldKeyring(new_master, [master]))
    assert db.session.get(WitnessRecord, row_id).witness_name == "Amal Haddad"
    assert count_values_needing_rotation(db.session, db.metadata) == 2

    assert reencrypt_all(db.session, db.metadata) == {"fieldenc_alias": 0, "fieldenc_record": 2}
    db.session.commit()

    assert raw("fieldenc_record", "witness_name", row_id)[1:5] == key_id_for(new_master)
    assert raw("fieldenc_record", "statement", row_id)[1:5] == key_id_for(new_master)
    assert raw("fieldenc_record", "witness_name", untouched) is None
    use_keyring(field_app, FieldKeyring(new_master))
    record = db.session.get(WitnessRecord, row_id)
    assert (record.witness_name, record.statement) == ("Amal Haddad", ARABIC)


def test_reencrypt_all_leaves_current_values_alone(field_app):
    row_id = add_record(witness_name="Amal Haddad")
    before = raw("fieldenc_record", "witness_name", row_id)
    assert sum(reencrypt_all(db.session, db.metadata).values()) == 0
    assert raw("fieldenc_record", "witness_name", row_id) == before


# --- Plaintext that tries to go around the ORM ---------------------------------------------------


def assert_refused_as_plaintext(raised: pytest.ExceptionInfo[StatementError]) -> None:
    assert isinstance(raised.value.orig, TypeError)
    assert "refusing to store plaintext in an encrypted column" in str(raised.value.orig)


def test_core_insert_of_plain_text_is_refused(field_app):
    with pytest.raises(StatementError) as raised:
        db.session.execute(
            sa.insert(WitnessRecord.__table__).values(id=str(uuid.uuid4()), witness_name="Amal")
        )
    assert_refused_as_plaintext(raised)
    db.session.rollback()
    assert db.session.execute(sa.text("SELECT count(*) FROM fieldenc_record")).scalar() == 0


def test_orm_bulk_insert_of_plain_text_is_refused(field_app):
    with pytest.raises(StatementError) as raised:
        db.session.execute(
            sa.insert(WitnessRecord), [{"id": str(uuid.uuid4()), "witness_name": "Amal"}]
        )
    assert_refused_as_plaintext(raised)
    db.session.rollback()


def test_bulk_update_of_plain_text_is_refused(field_app):
    row_id = add_record(witness_name="Amal Haddad")
    before = raw("fieldenc_record", "witness_name", row_id)
    with pytest.raises(StatementError) as raised:
        db.session.execute(
            sa.update(WitnessRecord)
            .where(WitnessRecord.id == row_id)
            .values(witness_name="Amal")
            .execution_options(synchronize_session=False)
        )
    assert_refused_as_plaintext(raised)
    db.session.rollback()
    assert raw("fieldenc_record", "witness_name", row_id) == before


def test_searching_an_encrypted_column_for_text_is_refused(field_app):
    with pytest.raises(StatementError):
        db.session.scalars(
            sa.select(WitnessRecord).where(WitnessRecord.witness_name == "Amal")
        ).all()
    db.session.rollback()


def test_sealed_values_from_a_column_query_stay_sealed(field_app):
    row_id = add_record(witness_name="Amal Haddad")
    value = db.session.scalars(
        sa.select(WitnessRecord.witness_name).where(WitnessRecord.id == row_id)
    ).one()
    assert isinstance(value, Sealed)
    assert b"Amal" not in value
