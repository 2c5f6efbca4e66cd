"""The incident-report form: an incident recorded from a phone as the web form records it."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from defusedxml.ElementTree import fromstring
from sqlalchemy import select

from app.extensions import db
from app.intake.models import Incident
from app.intake.services.taxonomy import active_targets, active_weapons
from tests.openrosa.conftest import ledger, stored_counts
from tests.openrosa.phone import form_instance, new_instance_id

XF = "{http://www.w3.org/2002/xforms}"


def incident_xml(instance_id: str, **overrides) -> bytes:
    values = {
        "time_certainty": "about",
        "start_date": "2015-11-10",
        "start_time": "09:30:00.000+03:00",
        "uncertainty_minutes": "30",
        "end_date": "",
        "end_time": "",
        "place_name": "Sarmin",
        "admin_area": "Idlib",
        "location": "35.9032 36.7248 310.0 12.4",
        "precision_m": "",
        "perpetrators": "Air force",
        "weapon_code": "cluster_munition",
        "target_codes": "residential_building other",
        "target_note": "Bakery queue",
        "killed": "4",
        "injured": "11",
        "casualties_reported_by": "Civil defence",
        "description": "Submunitions fell on the bakery queue.",
        **overrides,
    }
    return form_instance("custos_incident", instance_id, values)


def new_incidents(world) -> list[Incident]:
    db.session.expire_all()
    return list(db.session.scalars(select(Incident).where(Incident.id != world.incident.id)))


def test_the_incident_form_offers_the_web_form_s_choices(phone, world):
    form = fromstring(phone.form("custos_incident"))
    choices = {
        select.get("ref"): [v.text for v in select.iter(f"{XF}value")]
        for tag in ("select1", "select")
        for select in form.iter(f"{XF}{tag}")
    }
    assert choices["/data/weapon_code"] == [w.code for w in active_weapons()]
    assert choices["/data/target_codes"] == [t.code for t in active_targets()]
    assert choices["/data/time_certainty"] == ["exact", "about", "range", "day", "days"]
    assert "30" in choices["/data/uncertainty_minutes"]
    binds = {b.get("nodeset"): b for b in form.iter(f"{XF}bind")}
    assert binds["/data/uncertainty_minutes"].get("relevant") == "/data/time_certainty = 'about'"
    assert binds["/data/location"].get("type") == "geopoint"


def test_an_incident_report_becomes_an_incident_once_with_its_time_and_margin(phone, world):
    instance_id = new_instance_id()
    first = phone.submit(incident_xml(instance_id), [])
    assert first.status_code == 201, first.data
    assert b"Update the interview form to choose this incident" in first.data
    again = phone.submit(incident_xml(instance_id), [])
    assert (again.status_code, again.data) == (201, first.data)
    [incident] = new_incidents(world)
    assert incident.created_by_id == world.field_a.id
    assert (incident.time_certainty, incident.uncertainty_minutes) == ("about", 30)
    assert incident.occurred_from == datetime(2015, 11, 10, 9, 30)
    assert (incident.place_name, incident.admin_area) == ("Sarmin", "Idlib")
    assert (incident.latitude, incident.longitude, incident.precision_m) == (35.9032, 36.7248, 13)
    assert incident.weapon_code == "cluster_munition"
    assert sorted(t.code for t in incident.targets) == ["other", "residential_building"]
    assert (incident.target_note, incident.killed, incident.injured) == ("Bakery queue", 4, 11)
    assert list(incident.perpetrators) == ["Air force"]
    [entry] = ledger("received_via_openrosa")
    assert entry["object"] == {"type": "incident", "id": incident.id}
    assert entry["details"]["instance_id"] == instance_id


def test_the_place_and_perpetrators_are_sealed_as_on_the_web(phone, world):
    assert phone.submit(incident_xml(new_instance_id()), []).status_code == 201
    [incident] = new_incidents(world)
    raw = db.session.execute(
        sa.text("SELECT particulars FROM incidents WHERE id = :id"), {"id": incident.id}
    ).scalar()
    assert b"Sarmin" not in bytes(raw) and b"Air force" not in bytes(raw)
    assert "Sarmin" not in str(ledger("received_via_openrosa"))


def test_a_typed_precision_wins_over_the_phone_s_accuracy(phone, world):
    assert phone.submit(incident_xml(new_instance_id(), precision_m="500"), []).status_code == 201
    [incident] = new_incidents(world)
    assert incident.precision_m == 500


def test_a_report_the_web_form_would_refuse_is_refused_and_nothing_is_stored(phone, world):
    before = stored_counts()
    response = phone.submit(incident_xml(new_instance_id(), uncertainty_minutes=""), [])
    assert response.status_code == 400
    assert b"uncertainty_minutes" in response.data
    response = phone.submit(incident_xml(new_instance_id(), start_date="2099-01-01"), [])
    assert response.status_code == 400 and b"start_date" in response.data
    assert stored_counts() == before and new_incidents(world) == []


def test_a_weapon_outside_the_taxonomy_is_refused(phone, world):
    before = stored_counts()
    response = phone.submit(incident_xml(new_instance_id(), weapon_code="ray_gun"), [])
    assert response.status_code == 400
    assert stored_counts() == before


def test_a_time_that_is_not_a_time_is_refused(phone, world):
    response = phone.submit(incident_xml(new_instance_id(), start_time="half past nine"), [])
    assert response.status_code == 400 and new_incidents(world) == []


def test_the_reported_incident_is_then_offered_in_the_interview_form(phone, world):
    assert phone.submit(incident_xml(new_instance_id()), []).status_code == 201
    [incident] = new_incidents(world)
    form = fromstring(phone.form("custos_interview"))
    [incident_select] = [s for s in form.iter(f"{XF}select1") if s.get("ref") == "/data/incident"]
    offered = {
        item.find(f"{XF}value").text: item.find(f"{XF}label").text
        for item in incident_select.iter(f"{XF}item")
    }
    assert incident.id in offered and offered[incident.id].startswith("Sarmin")
