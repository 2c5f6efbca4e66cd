"""The membership scope beneath the viewer: only members reach an investigation or its rows,
by reference or by id, and admins' lookups reach the records they manage, never content."""

from __future__ import annotations

import pytest
from werkzeug.exceptions import NotFound

from app.intake.models import Witness
from app.investigations.access import (
    get_or_404,
    investigation_by_reference_or_404,
    managed_investigation_or_404,
    managed_membership_or_404,
    my_investigations,
)
from tests.helpers.factories import InvestigationFactory, MembershipFactory
from tests.intake.builders import make_witness


def test_by_reference_only_for_members(world):
    assert investigation_by_reference_or_404(world.ref, world.field_a) is world.investigation
    with pytest.raises(NotFound):
        investigation_by_reference_or_404(world.ref, world.outsider)


def test_anonymous_reaches_nothing(world):
    with pytest.raises(NotFound):
        investigation_by_reference_or_404(world.ref, None)
    assert my_investigations(None) == []


def test_a_row_by_id_only_for_members_of_its_investigation(world):
    witness = make_witness(world.investigation, world.field_a)
    assert get_or_404(Witness, witness.id, world.lawyer).id == witness.id
    with pytest.raises(NotFound):
        get_or_404(Witness, witness.id, world.outsider)


def test_my_investigations_lists_memberships_only(world):
    references = [i.reference for i in my_investigations(world.outsider)]
    assert world.ref not in references and len(references) == 1


def test_managed_lookups_need_no_membership_but_keep_memberships_to_their_investigation(world):
    # Admin pages: the record and its memberships, whoever asks (the route requires an admin).
    assert managed_investigation_or_404(world.ref) is world.investigation
    with pytest.raises(NotFound):
        managed_investigation_or_404("INV-0000-NONE-00")
    other = InvestigationFactory()
    foreign = MembershipFactory(investigation=other)
    with pytest.raises(NotFound):
        managed_membership_or_404(world.investigation, foreign.id)
    assert managed_membership_or_404(other, foreign.id) is foreign
