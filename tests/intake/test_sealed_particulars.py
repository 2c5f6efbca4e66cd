"""An incident's place, area, coordinates and alleged perpetrators are sealed together as one
value (app/intake/particulars.py): the database holds none of them in the clear, the reading
node opens them to list, filter and map the incidents a viewer may see, and a node without
the identity shows the sentence "sealed to a key this node does not hold" instead."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from app.extensions import db
from app.intake.models import Incident
from app.intake.services import search
from app.investigations.models import Investigation, Membership
from app.investigations.viewer import viewer_of
from app.security.field_sealing import UNREADABLE_MESSAGE, recipient_id
from app.security.org_keys import all_recipients
from tests.helpers.factories import MembershipFactory
from tests.intake.builders import make_incident

PLACE = "Particulars Place Marker-3131"
AREA = "Алеппо"  # Cyrillic: compared case-blind in Python, which SQLite's lower() was not
PERPETRATOR = "Brigade Marker-3232"


def outsiders_investigation(world):
    return db.session.scalars(
        sa.select(Investigation)
        .join(Membership, Membership.investigation_id == Investigation.id)
        .where(Membership.user_id == world.outsider.id)
    ).one()


def raw_particulars(incident_id: str) -> bytes:
    value = db.session.execute(
        sa.text("SELECT particulars FROM incidents WHERE id = :id"), {"id": incident_id}
    ).scalar_one()
    return bytes(value)


def test_the_row_holds_one_value_sealed_to_the_current_recipient_and_no_clear_place(world, keys):
    incident = make_incident(
        world.investigation,
        world.field_a,
        place_name=PLACE,
        admin_area=AREA,
        latitude=35.3131,
        longitude=38.3131,
        perpetrators=[PERPETRATOR],
    )
    stored = raw_particulars(incident.id)
    assert stored[:1] == b"\x02" and stored[1:5] == recipient_id(all_recipients()[-1])
    for marker in (b"Marker-31", b"Marker-32", AREA.encode(), b"35.3131", b"38.3131"):
        assert marker not in stored
    columns = {c["name"] for c in sa.inspect(db.engine).get_columns("incidents")}
    assert not columns & {"place_name", "admin_area", "latitude", "longitude", "precision_m"}
    assert "incident_perpetrators" not in sa.inspect(db.engine).get_table_names()
    db.session.expire_all()
    opened = db.session.get(Incident, incident.id)
    assert (opened.place_name, opened.admin_area, opened.perpetrators) == (
        PLACE,
        AREA,
        (PERPETRATOR,),
    )
    assert (opened.latitude, opened.longitude, opened.precision_m) == (35.3131, 38.3131, 50)


def test_sealed_filters_match_only_what_the_viewer_may_see_newest_first(world, keys):
    mine = [
        make_incident(
            world.investigation,
            world.field_a,
            start_date=date(2016, 1, day),
            place_name=f"{PLACE} {day}",
            admin_area=AREA,
            perpetrators=[PERPETRATOR],
        )
        for day in (3, 1, 2)
    ]
    make_incident(world.investigation, world.field_a, place_name="Elsewhere", admin_area="Idlib")
    # The same words in an investigation the lawyer is not a member of.
    outsiders = outsiders_investigation(world)
    make_incident(outsiders, world.outsider, place_name=PLACE, admin_area=AREA)
    viewer = viewer_of(world.investigation, world.lawyer)
    newest_first = [mine[0].id, mine[2].id, mine[1].id]
    for filters in (
        search.IncidentFilters(q="marker-3131"),
        search.IncidentFilters(area="АЛЕППО"),
        search.IncidentFilters(perpetrator="brigade marker"),
        search.IncidentFilters(q="MARKER-3232", area="алеппо"),
    ):
        found = search.search_incidents(viewer, filters, page=1, per_page=2)
        assert found.total == 3 and found.pages == 2, filters
        second = search.search_incidents(viewer, filters, page=2, per_page=2)
        shown = [row.incident.id for row in (*found.items, *second.items)]
        assert shown == newest_first, filters
    opened = search.open_incidents(viewer)
    assert opened.known_areas() == ["Idlib", AREA]
    assert opened.known_perpetrators() == ["Air force", PERPETRATOR]


def test_a_node_without_the_identity_shows_the_sentence_and_matches_no_sealed_filter(
    world, keys, nodes, client_for
):
    incident = make_incident(
        world.investigation, world.field_a, place_name=PLACE, perpetrators=[PERPETRATOR]
    )
    nodes.intake(intake_only=False)  # a reading node whose identity file is missing
    client = client_for(world.lawyer)
    for path in ("/incidents", f"/incidents/{incident.id}", "/incidents/timeline"):
        page = client.get(world.url(path))
        body = page.get_data(as_text=True)
        assert page.status_code == 200, path
        assert UNREADABLE_MESSAGE in body and "Marker-3" not in body, path
    assert client.get(world.url("/incidents/map.json")).get_json() == {"markers": []}
    viewer = viewer_of(world.investigation, world.lawyer)
    assert search.search_incidents(viewer, search.IncidentFilters(q="Marker")).total == 0
    assert search.search_incidents(viewer, search.IncidentFilters()).total == 1
    assert search.open_incidents(viewer).known_perpetrators() == []


def test_the_intake_node_lists_incidents_as_receipts_with_the_sentence(
    world, keys, nodes, client_for
):
    incident = make_incident(world.investigation, world.field_a, place_name=PLACE)
    nodes.intake()
    page = client_for(world.field_a).get(world.url("/incidents"))
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert UNREADABLE_MESSAGE in body and "Marker-3131" not in body
    assert f"sealed, {incident.sealed_sizes['particulars']} bytes stored" in body
    assert f"Incident of 2016-04-27 ({incident.id[:8]})" in body


def test_a_member_of_both_investigations_sees_each_ones_own_areas(world, keys):
    other = outsiders_investigation(world)
    MembershipFactory(user=world.lawyer, investigation=other)
    make_incident(world.investigation, world.field_a, admin_area=AREA)
    make_incident(other, world.outsider, admin_area="Raqqa")
    db.session.commit()
    assert search.known_areas(viewer_of(world.investigation, world.lawyer)) == [AREA]
    assert search.known_areas(viewer_of(other, world.lawyer)) == ["Raqqa"]


def test_what_a_worker_opened_is_never_shown_once_the_value_or_the_keys_change(
    world, keys, nodes, client_for
):
    """The memo of opened particulars (app/intake/opened_particulars.py) is keyed by the exact
    sealed bytes and the identities that opened them."""
    from app.intake.services.incidents import update_incident
    from tests.intake.builders import incident_input

    incident = make_incident(world.investigation, world.field_a, place_name=PLACE)
    client = client_for(world.lawyer)
    assert PLACE in client.get(world.url("/incidents")).get_data(as_text=True)
    update_incident(incident, world.field_a, incident_input(place_name="Corrected Marker-3333"))
    db.session.commit()
    body = client.get(world.url("/incidents")).get_data(as_text=True)
    assert "Corrected Marker-3333" in body and PLACE not in body
    nodes.intake(intake_only=False)  # the identity file gone
    body = client.get(world.url("/incidents")).get_data(as_text=True)
    assert UNREADABLE_MESSAGE in body and "Marker-3333" not in body
