"""Incident lists with search and filters, the map's data, the timeline, and a fixed number of
queries per list page whatever its length."""

from __future__ import annotations

import contextlib
from datetime import date

import pytest
from sqlalchemy import event

from app.extensions import db
from app.intake.services.interviews import link_evidence
from tests.intake.builders import evidence_row, make_incident, make_interview, make_witness


@pytest.fixture
def incidents(world):
    """Four incidents that differ in every filtered respect."""
    made = {
        "hospital": make_incident(world.investigation, world.field_a),
        "market": make_incident(
            world.investigation,
            world.field_a,
            start_date=date(2015, 9, 30),
            place_name="Al-Hamidiya market",
            admin_area="Idlib",
            weapon_code="cluster_munition",
            target_codes=["market"],
            perpetrators=["Foreign air force"],
        ),
        "school": make_incident(
            world.investigation,
            world.field_b,
            time_certainty="range",
            start_date=date(2016, 1, 10),
            end_date=date(2016, 1, 12),
            place_name="Primary school",
            admin_area="Idlib",
            weapon_code="barrel_bomb",
            target_codes=["school", "residential_building"],
            perpetrators=["Helicopter squadron", "Air force"],
            latitude=None,
            longitude=None,
            precision_m=None,
        ),
        "water": make_incident(
            world.investigation,
            world.field_b,
            start_date=date(2017, 3, 2),
            place_name="Pumping station",
            admin_area="Deir ez-Zor",
            weapon_code="artillery",
            target_codes=["water_power_infrastructure"],
            perpetrators=[],
        ),
    }
    witness = make_witness(world.investigation, world.field_a)
    interview = make_interview(world.investigation, world.field_a, witness, [made["hospital"]])
    link_evidence(
        interview, world.field_a, evidence_row(world.investigation, world.field_a).id, "recording"
    )
    make_interview(world.investigation, world.field_a, witness, [made["market"]])
    db.session.commit()
    return made


def listed(client, world, **filters) -> set[str]:
    response = client.get(world.url("/incidents/map.json"), query_string=filters)
    assert response.status_code == 200
    markers = response.get_json()["markers"]
    page = client.get(world.url("/incidents"), query_string=filters).get_data(as_text=True)
    # The list and the map agree (the map shows those with coordinates).
    assert all(marker["id"] in page for marker in markers)
    names = {"Al-Quds hospital", "Al-Hamidiya market", "Primary school", "Pumping station"}
    return {name for name in names if name in page}


FILTERS = {
    "date range": (
        {"date_from": "2016-01-11", "date_to": "2016-12-31"},
        {"Al-Quds hospital", "Primary school"},
    ),
    "area": ({"area": "idlib"}, {"Al-Hamidiya market", "Primary school"}),
    "weapon": ({"weapon": "cluster_munition"}, {"Al-Hamidiya market"}),
    "target type": ({"target": "school"}, {"Primary school"}),
    "perpetrator": (
        {"perpetrator": "air force"},
        {"Al-Quds hospital", "Al-Hamidiya market", "Primary school"},
    ),
    "has video": ({"has_video": "yes"}, {"Al-Quds hospital"}),
    "has no video": (
        {"has_video": "no"},
        {"Al-Hamidiya market", "Primary school", "Pumping station"},
    ),
    "has testimony": ({"has_testimony": "yes"}, {"Al-Quds hospital", "Al-Hamidiya market"}),
    "search": ({"q": "STATION"}, {"Pumping station"}),
    "search matches perpetrators": ({"q": "helicopter"}, {"Primary school"}),
    "combined": ({"area": "Idlib", "has_testimony": "yes"}, {"Al-Hamidiya market"}),
    "a bad date filters nothing": (
        {"date_from": "not-a-date"},
        {"Al-Quds hospital", "Al-Hamidiya market", "Primary school", "Pumping station"},
    ),
    "wildcards are literal": ({"q": "%"}, set()),
}


@pytest.mark.parametrize("name", FILTERS, ids=list(FILTERS))
def test_incident_filters(world, client_for, incidents, name):
    filters, expected = FILTERS[name]
    assert listed(client_for(world.lawyer), world, **filters) == expected


def test_the_map_page_needs_no_internet_and_no_inline_script(world, client_for, incidents):
    response = client_for(world.field_a).get(world.url("/incidents/map"))
    body = response.get_data(as_text=True)
    assert 'src="/static/vendor/leaflet/leaflet.js"' in body and 'src="/static/js/map.js"' in body
    assert "<script>" not in body and "http://" not in body and "https://" not in body
    assert 'data-tiles-url=""' in body
    assert "img-src 'self' blob:;" in response.headers["Content-Security-Policy"]


def test_map_markers_carry_what_the_map_shows(world, client_for, incidents):
    response = client_for(world.field_a).get(world.url("/incidents/map.json"))
    markers = {m["place_name"]: m for m in response.get_json()["markers"]}
    assert "Primary school" not in markers  # no coordinates
    hospital = markers["Al-Quds hospital"]
    assert (hospital["lat"], hospital["lon"], hospital["precision_m"]) == (36.2021, 37.1343, 50)
    assert hospital["url"] == world.url(f"/incidents/{incidents['hospital'].id}")
    assert hospital["testimony_count"] == 1


def test_the_timeline_lists_incidents_by_date(world, client_for, incidents):
    body = client_for(world.field_b).get(world.url("/incidents/timeline")).get_data(as_text=True)
    order = [
        body.index(name)
        for name in ("Al-Hamidiya market", "Primary school", "Al-Quds hospital", "Pumping station")
    ]
    assert order == sorted(order)
    assert "January 10, 2016 to January 12, 2016" in body
    assert "September 2015" in body and "March 2017" in body


@contextlib.contextmanager
def counted_queries():
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def queries_for(client, paths) -> list[int]:
    counts = []
    for path in paths:
        with counted_queries() as statements:
            assert client.get(path).status_code == 200
        counts.append(len(statements))
    return counts


def test_list_pages_make_a_fixed_number_of_queries_whatever_their_length(world, client_for):
    client = client_for(world.lawyer_identities)
    paths = [
        world.url("/incidents"),
        world.url("/witnesses"),
        world.url("/interviews"),
        world.url("/incidents/timeline"),
        world.url("/incidents/map.json"),
    ]

    def add(n: int) -> None:
        for i in range(n):
            incident = make_incident(
                world.investigation, world.field_a, perpetrators=[f"Unit {i}", "Air force"]
            )
            witness = make_witness(world.investigation, world.field_a, full_name=f"Name {i}")
            make_interview(world.investigation, world.field_a, witness, [incident])

    add(2)
    few = queries_for(client, paths)
    add(12)
    many = queries_for(client, paths)
    assert few == many, dict(zip(paths, zip(few, many, strict=True), strict=True))
