"""The demo scenario file: the situation it must model, and nothing in it posing as real."""

from __future__ import annotations

import pytest

from app.demo.presence import DEMO_REFERENCE, next_demo_reference
from app.demo.scenario import SCENARIO_FILE, ScenarioError, load_scenario
from app.intake.models import TargetType, WeaponType
from app.intake.services.taxonomy import read_seed

pytestmark = pytest.mark.nodb

SCENARIO = load_scenario()


def test_the_situation_more_than_25_incidents_in_five_governorates():
    assert len(SCENARIO.incidents) > 25
    assert {i.governorate for i in SCENARIO.incidents} == {
        "Homs",
        "Hama",
        "Idlib",
        "Latakia",
        "Aleppo",
    }
    dates = sorted(i.date for i in SCENARIO.incidents)
    assert dates[0].isoformat() >= "2015-09-30" and dates[-1].isoformat() <= "2015-11-30"
    assert 50 <= (dates[-1] - dates[0]).days <= 62  # about two months


def test_hospitals_homes_cluster_munitions_unguided_bombs_and_casualties():
    targets = {t for i in SCENARIO.incidents for t in i.targets}
    weapons = {i.weapon for i in SCENARIO.incidents}
    assert {"medical_facility", "residential_building"} <= targets
    assert {"cluster_munition", "unguided_bomb"} <= weapons
    assert sum(i.killed or 0 for i in SCENARIO.incidents) > 0
    assert any(i.killed is None for i in SCENARIO.incidents)  # unknown is not zero


def test_codes_come_from_the_shipped_taxonomies():
    weapons = {term["code"] for term in read_seed(WeaponType)}
    targets = {term["code"] for term in read_seed(TargetType)}
    for incident in SCENARIO.incidents:
        assert incident.weapon in weapons, incident.key
        assert set(incident.targets) <= targets, incident.key


def test_every_person_and_quote_is_marked_fictional():
    for incident in SCENARIO.incidents:
        assert incident.description.startswith("Fictional demo record"), incident.key
    for witness in SCENARIO.witnesses:
        assert "(fictional" in witness.name and "fictional" in witness.contact, witness.key
    for interview in SCENARIO.interviews:
        assert interview.transcript.startswith("[Fictional testimony"), interview.key
    for account in SCENARIO.accounts:
        assert "fictional" in account.name.lower()
    assert "FICTIONAL" in SCENARIO.party_response.text
    assert "fictional" in SCENARIO.perpetrator


def test_the_accounts_one_admin_two_lawyers_two_field_staff():
    roles = sorted(account.role for account in SCENARIO.accounts)
    assert roles == ["admin", "field", "field", "lawyer", "lawyer"]
    admin = next(a for a in SCENARIO.accounts if a.role == "admin")
    assert not admin.member
    seeing = [a for a in SCENARIO.accounts if a.may_see_identities]
    assert len(seeing) == 1 and seeing[0].role == "lawyer"


def test_some_witnesses_withdraw_consent_for_exactly_one_purpose():
    purposes = ("interview", "legal_proceedings", "un_sharing", "publication", "named")
    withdrawals = [
        [p for p in purposes if getattr(w.consent, p) and not getattr(w.later_consent, p)]
        for w in SCENARIO.witnesses
        if w.later_consent
    ]
    assert sum(len(dropped) == 1 for dropped in withdrawals) >= 2


def test_the_banner_reference_is_the_scenario_reference():
    assert SCENARIO.reference == DEMO_REFERENCE


def test_forced_copies_take_the_next_free_reference():
    assert next_demo_reference(()) == DEMO_REFERENCE
    assert next_demo_reference((DEMO_REFERENCE,)) == f"{DEMO_REFERENCE}-2"
    assert next_demo_reference((DEMO_REFERENCE, f"{DEMO_REFERENCE}-2")) == f"{DEMO_REFERENCE}-3"


def test_a_broken_reference_is_named_before_anything_is_loaded(tmp_path):
    text = SCENARIO_FILE.read_text(encoding="utf-8")
    broken = tmp_path / "situation.yaml"
    broken.write_text(text.replace("incidents: [ariha-1129]", "incidents: [ariha-1130]"))
    with pytest.raises(ScenarioError, match="i-fatima refers to an unknown incident 'ariha-1130'"):
        load_scenario(broken)
