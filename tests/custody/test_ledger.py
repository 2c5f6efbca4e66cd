"""Appending to the custody ledger: the chain, the body, the refusals and append-only rows."""

from __future__ import annotations

import json
import re

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from app.admin import services
from app.custody.chain import GENESIS_HASH, body_digest, entry_hash
from app.custody.ledger import CustodyAction, append_custody_event
from app.custody.models import AppendOnlyError, Checkpoint, LedgerEntry, LedgerHead
from app.extensions import db
from tests.conftest import backend
from tests.helpers.factories import InvestigationFactory, UserFactory

TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")


def entries_of(investigation) -> list[LedgerEntry]:
    return list(
        db.session.scalars(
            select(LedgerEntry)
            .where(LedgerEntry.investigation_id == investigation.id)
            .order_by(LedgerEntry.seq)
        )
    )


def test_appends_form_a_chain_from_the_genesis_hash(app_ctx, investigation, append_entries):
    append_entries(investigation, 3)
    entries = entries_of(investigation)
    assert [e.seq for e in entries] == [1, 2, 3]
    prev = GENESIS_HASH
    for entry in entries:
        assert entry.prev_hash == prev
        assert entry.body_sha256 == body_digest(entry.body)
        assert entry.entry_hash == entry_hash(entry.seq, prev, entry.body_sha256)
        prev = entry.entry_hash
    head = db.session.get(LedgerHead, investigation.id)
    assert (head.seq, head.head_hash) == (3, prev)


def test_body_is_the_canonical_record_of_who_did_what_to_which_object_when(app_ctx, investigation):
    lawyer = UserFactory(role="lawyer", email="lina@example.org", name="Lina Haddad")
    entry = append_custody_event(
        investigation.id, lawyer, "downloaded", "evidence", "ev-1", {"sha256": "ab" * 32}
    )
    db.session.commit()
    body = json.loads(entry.body)
    assert body == {
        "investigation": investigation.reference,
        "actor": {"type": "user", "id": lawyer.id, "email": "lina@example.org", "role": "lawyer"},
        "action": "downloaded",
        "object": {"type": "evidence", "id": "ev-1"},
        "time": body["time"],
        "details": {"sha256": "ab" * 32},
    }
    assert TIMESTAMP.fullmatch(body["time"])
    assert b"Lina Haddad" not in entry.body  # staff are named by id, email and role only
    # Stored bytes are exactly the RFC 8785 form: sorted keys, no whitespace.
    assert entry.body.startswith(b'{"action":"downloaded","actor":{"email":')
    assert (entry.action, entry.object_type, entry.object_id, entry.actor_id) == (
        "downloaded",
        "evidence",
        "ev-1",
        lawyer.id,
    )


@pytest.mark.parametrize(
    ("actor", "expected"),
    [
        ("system:fixity", {"type": "system", "id": "system:fixity"}),
        (None, {"type": "system", "id": "system"}),
    ],
)
def test_system_actors(app_ctx, investigation, actor, expected):
    entry = append_custody_event(investigation.id, actor, "fixity_verified", "evidence", "e", {})
    db.session.commit()
    assert json.loads(entry.body)["actor"] == expected


def test_every_listed_action_is_accepted_and_an_unknown_one_is_a_value_error(
    app_ctx, investigation
):
    for action in CustodyAction:
        append_custody_event(investigation.id, None, action, "evidence", "e", {})
    with pytest.raises(ValueError, match="unknown custody action 'deleted'"):
        append_custody_event(investigation.id, None, "deleted", "evidence", "e", {})
    db.session.commit()
    assert len(entries_of(investigation)) == len(CustodyAction)


@pytest.mark.parametrize(
    ("actor", "details", "message"),
    [
        ("fixity", {}, "system actor"),
        (None, {"witness_name": "A. B."}, "may name a person"),
        (None, {"nested": [{"original_filename": "a.jpg"}]}, "may name a person"),
        (None, {"n": float("nan")}, None),
        (None, ["not", "a", "dict"], "details must be a dict"),
        (None, {"blob": "x" * 9000}, "limited to"),
    ],
)
def test_refuses_bad_actors_and_details_that_could_leak_or_break_json(
    app_ctx, investigation, actor, details, message
):
    with pytest.raises(ValueError, match=message):
        append_custody_event(investigation.id, actor, "viewed", "evidence", "e", details)
    db.session.rollback()
    assert entries_of(investigation) == []


def test_each_ledger_is_numbered_on_its_own(app_ctx, append_entries):
    first, second = InvestigationFactory(), InvestigationFactory()
    append_entries(first, 2)
    append_entries(second, 1)
    append_entries(first, 1)
    assert [e.seq for e in entries_of(first)] == [1, 2, 3]
    assert [e.seq for e in entries_of(second)] == [1]
    assert entries_of(second)[0].prev_hash == GENESIS_HASH


def test_a_rolled_back_transaction_leaves_no_entry_and_no_checkpoint(app_ctx, investigation):
    append_custody_event(investigation.id, None, "viewed", "evidence", "e", {})
    db.session.rollback()
    assert entries_of(investigation) == []
    assert db.session.scalar(select(sa.func.count()).select_from(Checkpoint)) == 0
    append_custody_event(investigation.id, None, "viewed", "evidence", "e", {})
    db.session.commit()
    assert [e.seq for e in entries_of(investigation)] == [1]


def test_the_orm_refuses_to_update_an_entry(app_ctx, investigation, append_entries):
    entry = append_entries(investigation, 1)[0]
    entry.action = "exported"
    with pytest.raises(AppendOnlyError, match="refusing UPDATE"):
        db.session.commit()
    db.session.rollback()
    assert entries_of(investigation)[0].action == "viewed"


def test_the_orm_refuses_to_delete_an_entry(app_ctx, investigation, append_entries):
    entry = append_entries(investigation, 1)[0]
    db.session.delete(entry)
    with pytest.raises(AppendOnlyError, match="refusing DELETE"):
        db.session.commit()
    db.session.rollback()
    assert len(entries_of(investigation)) == 1


@pytest.mark.parametrize(
    "statement",
    [
        sa.update(LedgerEntry).values(action="exported"),
        sa.delete(LedgerEntry),
        sa.update(Checkpoint).values(seq=99),
        sa.delete(Checkpoint),
    ],
    ids=["update-entries", "delete-entries", "update-checkpoints", "delete-checkpoints"],
)
def test_the_orm_refuses_bulk_update_and_delete(app_ctx, investigation, append_entries, statement):
    append_entries(investigation, 1)
    with pytest.raises(AppendOnlyError):
        db.session.execute(statement)
    db.session.rollback()
    assert len(entries_of(investigation)) == 1


@pytest.mark.skipif(backend() != "postgresql", reason="PostgreSQL only: the trigger of 0003")
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE custody_entries SET action = 'exported'",
        "DELETE FROM custody_entries",
        "UPDATE custody_checkpoints SET seq = 99",
        "DELETE FROM custody_checkpoints",
    ],
)
def test_postgresql_refuses_raw_sql_update_and_delete(
    app_ctx, investigation, append_entries, run_sql, sql
):
    append_entries(investigation, 2)
    with pytest.raises(sa.exc.IntegrityError, match="custody ledger is append-only"):
        run_sql(sql)
    assert [e.action for e in entries_of(investigation)] == ["viewed", "viewed"]


def test_membership_grant_change_and_revoke_are_custody_entries(app_ctx, investigation):
    admin = UserFactory(role="admin")
    lawyer = UserFactory(role="lawyer")
    membership = services.grant_membership(investigation, lawyer, actor=admin)
    db.session.commit()
    services.change_membership(membership, admin, role="lead", may_see_identities=True)
    db.session.commit()
    services.revoke_membership(membership, admin)
    db.session.commit()
    entries = entries_of(investigation)
    assert [e.action for e in entries] == ["access_granted", "access_granted", "access_revoked"]
    assert {(e.object_type, e.object_id, e.actor_id) for e in entries} == {
        ("user", lawyer.id, admin.id)
    }
    changed = json.loads(entries[1].body)["details"]
    assert changed == {
        "membership_id": membership.id,
        "role": "lead",
        "may_see_identities": True,
        "changed": True,
    }
