"""A new incident like one already recorded (place spelled alike or within a kilometre, within a
day) is named before it is saved, among what the person may see; saved once they say it differs."""

from __future__ import annotations

from app.intake.models import Incident
from tests.helpers.factories import InvestigationFactory, MembershipFactory
from tests.helpers.web import post_form
from tests.intake.builders import make_incident
from tests.intake.helpers import count, incident_form, shows_error


def new_incident(world, client, **overrides):
    url = world.url("/incidents/new")
    return post_form(client, url, incident_form(**overrides), page=url)


def test_a_place_spelled_otherwise_the_next_day_is_named_and_nothing_is_saved(world, client_for):
    recorded = make_incident(
        world.investigation, world.field_a, place_name="Maarrat al-Numan market"
    )
    response = new_incident(
        world,
        client_for(world.field_a),
        place_name="Maarat al Numan market",
        start_date="2016-04-28",  # the day after
        latitude="",
        longitude="",
        precision_m="",
    )
    assert response.status_code == 400
    assert shows_error(response, "possible_duplicate")
    page = response.get_data(as_text=True)
    assert f"/incidents/{recorded.id}" in page and "Maarrat al-Numan market" in page
    assert 'name="not_a_duplicate"' in page
    assert count(Incident) == 1


def test_the_same_point_under_another_name_is_named_too(world, client_for):
    make_incident(world.investigation, world.field_a)  # Al-Quds hospital, 36.2021 37.1343
    response = new_incident(world, client_for(world.field_a), place_name="Sukkari quarter")
    assert response.status_code == 400 and shows_error(response, "possible_duplicate")
    assert count(Incident) == 1


def test_saying_it_is_a_different_incident_saves_it(world, client_for):
    make_incident(world.investigation, world.field_a)
    response = new_incident(world, client_for(world.field_a), not_a_duplicate="y")
    assert response.status_code == 302
    assert count(Incident) == 2


def test_days_apart_or_far_apart_nothing_is_asked(world, client_for):
    make_incident(world.investigation, world.field_a)
    client = client_for(world.field_a)
    assert new_incident(world, client, start_date="2016-04-29").status_code == 302
    far = new_incident(
        world, client, place_name="Bab al-Nairab", latitude="36.1900", longitude="37.1800"
    )
    assert far.status_code == 302
    assert count(Incident) == 3


def test_an_incident_of_another_investigation_is_never_named(world, client_for):
    """Only what the person may see is compared: the warning must not tell of anything else."""
    other = InvestigationFactory()
    MembershipFactory(user=world.outsider, investigation=other)
    hidden = make_incident(other, world.outsider)
    response = new_incident(world, client_for(world.field_a))
    assert response.status_code == 302
    assert hidden.id not in response.get_data(as_text=True)
    assert count(Incident) == 2


def test_a_form_sent_again_finds_its_own_incident_without_being_asked(world, client_for):
    client = client_for(world.field_a)
    url = world.url("/incidents/new")
    data = incident_form()
    first = post_form(client, url, data, page=url)
    again = post_form(client, url, data, page=url)  # the answer was lost; the phone retries
    assert first.status_code == again.status_code == 302
    assert first.headers["Location"] == again.headers["Location"]
    assert count(Incident) == 1
