"""The ledger inside an investigation: field researchers read only entries about what they may
see, others by role and a pseudonymous handle; lawyers and admins of it read everything."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest

from app.extensions import db
from app.investigations.viewer import viewer_of
from tests.helpers.factories import InvestigationFactory, MembershipFactory, UserFactory
from tests.intake.builders import make_witness
from tests.vault.test_reading import add_evidence, text_bytes


@dataclass
class LedgerWorld:
    investigation: Any
    field_a: Any
    field_b: Any
    lawyer: Any
    admin: Any
    a_item: Any
    a_witness: Any
    b_item: Any

    def ledger(self, query: str = "") -> str:
        return f"/investigations/{self.investigation.reference}/custody{query}"


@pytest.fixture
def ledger_world(app_ctx):
    investigation = InvestigationFactory()
    field_a = UserFactory(role="field", email="field.a@example.org")
    field_b = UserFactory(role="field", email="field.b@example.org")
    lawyer = UserFactory(role="lawyer", email="lawyer@example.org")
    admin = UserFactory(role="admin", email="admin@example.org")
    for user in (field_a, field_b, lawyer):
        MembershipFactory(user=user, investigation=investigation)
    MembershipFactory(user=admin, investigation=investigation, role="field")
    a_item = add_evidence(investigation, field_a, text_bytes(2000, seed=1), "a-notes.txt")
    a_witness = make_witness(investigation, field_a, full_name="Amal Example")
    b_item = add_evidence(investigation, field_b, text_bytes(2000, seed=2), "b-notes.txt")
    db.session.commit()
    return LedgerWorld(investigation, field_a, field_b, lawyer, admin, a_item, a_witness, b_item)


def test_field_researcher_b_reads_no_entry_about_as_objects(ledger_world, signed_in):
    world = ledger_world
    page = signed_in(world.field_b).get(world.ledger()).get_data(as_text=True)
    assert world.b_item.id in page
    for secret in (world.a_item.id, world.a_witness.id, world.field_a.email, world.a_item.sha256):
        assert secret not in page


def test_the_object_id_filter_cannot_probe_anothers_objects(ledger_world, signed_in):
    world = ledger_world
    client = signed_in(world.field_b)
    others = client.get(world.ledger(f"?object_id={world.a_item.id}")).get_data(as_text=True)
    missing = client.get(world.ledger("?object_id=no-such-object")).get_data(as_text=True)
    assert "0 matching entries" in others and "0 matching entries" in missing
    by_email = client.get(world.ledger(f"?actor={world.field_a.email}")).get_data(as_text=True)
    assert "0 matching entries" in by_email


def test_others_appear_by_role_and_a_stable_handle(ledger_world, signed_in, app):
    world = ledger_world
    # The lawyer reads B's item: an entry about B's object, written by someone else.
    assert (
        signed_in(world.lawyer)
        .get(f"/investigations/{world.investigation.reference}/evidence/{world.b_item.id}")
        .status_code
        == 200
    )
    client = signed_in(world.field_b)
    first = client.get(world.ledger("?action=viewed")).get_data(as_text=True)
    again = client.get(world.ledger("?action=viewed")).get_data(as_text=True)
    assert world.lawyer.email not in first
    with app.test_request_context():
        handle = viewer_of(world.investigation, world.field_b).handle_of(world.lawyer.id)
    assert re.fullmatch(r"[0-9a-f]{4}", handle)
    assert f"Lawyer {handle}" in first and f"Lawyer {handle}" in again
    # Another investigation gives the same person another handle: handles link no one across.
    other = InvestigationFactory()
    MembershipFactory(user=world.field_b, investigation=other)
    db.session.commit()
    with app.test_request_context():
        elsewhere = viewer_of(other, world.field_b).handle_of(world.lawyer.id)
    assert elsewhere != handle


@pytest.mark.parametrize("who", ["lawyer", "admin"])
def test_lawyers_and_admins_of_the_investigation_read_the_whole_ledger(
    ledger_world, signed_in, who
):
    world = ledger_world
    page = signed_in(getattr(world, who)).get(world.ledger()).get_data(as_text=True)
    for shown in (world.a_item.id, world.a_witness.id, world.b_item.id, world.field_a.email):
        assert shown in page


def test_the_item_timeline_names_others_by_handle_for_a_field_researcher(ledger_world, signed_in):
    world = ledger_world
    url = f"/investigations/{world.investigation.reference}/evidence/{world.b_item.id}"
    signed_in(world.lawyer).get(url)
    page = signed_in(world.field_b).get(url).get_data(as_text=True)
    assert world.lawyer.email not in page and "Lawyer " in page
