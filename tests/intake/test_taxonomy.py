"""The weapon taxonomy: shipped as data, loaded into the database, maintained by admins."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import select

from app.extensions import db
from app.intake.models import TargetType, WeaponType
from app.intake.services.taxonomy import read_seed
from tests.helpers.factories import UserFactory
from tests.helpers.web import post_form
from tests.intake.builders import make_incident
from tests.intake.helpers import incident_form

ISSUE_WEAPONS = {
    "unguided_bomb", "guided_bomb", "cluster_munition", "barrel_bomb", "artillery",
    "rocket", "missile", "small_arms", "unknown", "other",
}  # fmt: skip
ISSUE_TARGETS = {
    "residential_building", "medical_facility", "school", "market", "place_of_worship",
    "water_power_infrastructure", "military_objective", "unknown",
    "other",  # issue 18, item 9: with a note saying what it was
}  # fmt: skip


def test_the_shipped_files_hold_the_issues_terms():
    assert {t["code"] for t in read_seed(WeaponType)} == ISSUE_WEAPONS
    assert {t["code"] for t in read_seed(TargetType)} == ISSUE_TARGETS


def test_sync_adds_missing_terms_and_keeps_admin_edits(app, world):
    weapon = db.session.get(WeaponType, "rocket")
    weapon.label = "Rocket (edited)"
    db.session.delete(db.session.get(TargetType, "school"))
    db.session.commit()
    result = CliRunner().invoke(app.cli, ["taxonomy", "sync"], catch_exceptions=False)
    # The CLI runs in its own context; look again from scratch.
    db.session.expire_all()
    assert result.exit_code == 0 and "target_types: 1 added" in result.output
    assert db.session.get(WeaponType, "rocket").label == "Rocket (edited)"
    assert db.session.get(TargetType, "school") is not None


def test_an_admin_adds_relabels_and_retires_weapon_types(world, client_for):
    admin = UserFactory(role="admin")
    client = client_for(admin)
    url = "/admin/taxonomy/weapons"
    added = post_form(client, url, {"code": "thermobaric", "label": "Thermobaric weapon"}, page=url)
    assert added.status_code == 302
    update = "/admin/taxonomy/weapons/update"
    data = {"code": "barrel_bomb", "label": "Barrel bomb (improvised)"}  # unticked: retired
    assert post_form(client, update, data, page=url).status_code == 302
    db.session.expire_all()
    assert db.session.get(WeaponType, "thermobaric").active
    retired = db.session.get(WeaponType, "barrel_bomb")
    assert not retired.active and retired.label == "Barrel bomb (improvised)"
    assert retired.updated_by_id == admin.id
    form = client_for(world.field_a).get(world.url("/incidents/new")).get_data(as_text=True)
    assert "Thermobaric weapon" in form and "Barrel bomb (improvised)" not in form


def test_bad_codes_and_duplicates_are_refused(world, client_for):
    client = client_for(UserFactory(role="admin"))
    url = "/admin/taxonomy/weapons"
    for code in ("Rocket!", "rocket", "x"):
        response = post_form(client, url, {"code": code, "label": "Something"}, page=url)
        assert response.status_code == 400, code
    assert db.session.scalar(select(WeaponType).where(WeaponType.label == "Something")) is None


def test_field_staff_and_lawyers_cannot_edit_the_taxonomy(world, client_for):
    for user in (world.field_a, world.lawyer):
        assert client_for(user).get("/admin/taxonomy/weapons").status_code == 403


def test_a_retired_weapon_stays_on_incidents_that_use_it(world, client_for):
    incident = make_incident(world.investigation, world.field_a, weapon_code="barrel_bomb")
    db.session.get(WeaponType, "barrel_bomb").active = False
    db.session.commit()
    client = client_for(world.field_a)
    edit = world.url(f"/incidents/{incident.id}/edit")
    page = client.get(edit).get_data(as_text=True)
    assert 'value="barrel_bomb" selected' in page or 'selected value="barrel_bomb"' in page
    saved = post_form(client, edit, incident_form(weapon_code="barrel_bomb"), page=edit)
    assert saved.status_code == 302
