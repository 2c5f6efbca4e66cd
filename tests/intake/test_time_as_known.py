"""An incident's time shows everywhere the way it was entered (issue 18): "about 09:30 ± 1 h",
a range within a day, a day, a range of days, on its page and title, the list, the timeline,
the map popup, the interview page and the case-file item."""

from __future__ import annotations

from datetime import date, time

import pytest

from app.casefiles.services.items import summarize
from app.extensions import db
from app.intake.models import Incident
from app.intake.when import incident_when
from tests.helpers.web import page_messages, post_form
from tests.intake.builders import make_incident

NARROW = "\u202f"  # CLDR puts a narrow no-break space before AM/PM


@pytest.mark.parametrize(
    "entered,shown",
    [
        (
            dict(time_certainty="about", start_time=time(9, 30), uncertainty_minutes=60),
            f"April 27, 2016, about 9:30{NARROW}AM ± 1 h",
        ),
        (
            dict(time_certainty="about", start_time=time(9, 30), uncertainty_minutes=90),
            f"April 27, 2016, about 9:30{NARROW}AM ± 1 h 30 min",
        ),
        (
            dict(
                time_certainty="range",
                start_time=time(8, 30),
                end_date=date(2016, 4, 27),
                end_time=time(10, 30),
            ),
            f"April 27, 2016, 8:30{NARROW}AM–10:30{NARROW}AM",
        ),
        (
            dict(time_certainty="days", end_date=date(2016, 4, 29), start_time=time(8, 0)),
            "April 27, 2016 to April 29, 2016",
        ),
        (
            dict(
                time_certainty="range",
                start_time=time(8, 30),
                end_date=date(2016, 4, 28),
                end_time=time(6, 0),
            ),
            f"April 27, 2016, 8:30{NARROW}AM to April 28, 2016, 6:00{NARROW}AM",
        ),
        (dict(time_certainty="day", start_time=time(8, 0)), "April 27, 2016"),
        (
            dict(time_certainty="exact", start_time=time(10, 15)),
            f"April 27, 2016, 10:15{NARROW}AM",
        ),
    ],
)
def test_the_time_reads_as_it_was_entered(app, world, entered, shown):
    incident = make_incident(world.investigation, world.field_a, **entered)
    with app.test_request_context():
        assert shown in incident_when(incident)
    if entered["time_certainty"] == "days":  # the times of a range of days are not invented
        assert (incident.occurred_from.time(), incident.occurred_to.time()) == (
            time(0, 0),
            time(23, 59, 59),
        )


def test_a_range_given_without_times_is_kept_as_a_range_of_days(app, world):
    incident = make_incident(
        world.investigation, world.field_a, time_certainty="range", end_date=date(2016, 4, 29)
    )
    assert incident.time_certainty == "days"
    with app.test_request_context():
        assert incident_when(incident) == "April 27, 2016 to April 29, 2016"


def test_about_0930_give_or_take_an_hour_shows_so_on_every_page(world, client_for):
    client = client_for(world.field_a)
    response = post_form(
        client,
        world.url("/incidents/new"),
        {
            "time_certainty": "about",
            "start_date": "2016-04-27",
            "start_time": "09:30",
            "uncertainty_minutes": "60",
            "place_name": "Sarmin field hospital",
            "latitude": "35.9017",
            "longitude": "36.7254",
            "weapon_code": "guided_bomb",
        },
        page=world.url("/incidents/new"),
    )
    assert response.status_code == 302, page_messages(response)
    incident = db.session.query(Incident).one()
    assert incident.uncertainty_minutes == 60
    shown = f"about 9:30{NARROW}AM ± 1 h"
    detail = client.get(world.url(f"/incidents/{incident.id}")).get_data(as_text=True)
    title = detail[detail.index("<h1>") : detail.index("</h1>")]
    assert shown in title and "approximate" in detail
    assert shown in client.get(world.url("/incidents")).get_data(as_text=True)
    assert shown in client.get(world.url("/incidents/timeline")).get_data(as_text=True)
    markers = client.get(world.url("/incidents/map.json")).get_json()["markers"]
    assert markers[0]["when"] == f"April 27, 2016, {shown}"
    assert summarize("incident", incident).label.startswith(f"Incident April 27, 2016, {shown}")


def test_a_range_within_one_day_never_reads_as_the_same_day_twice(world, client_for):
    incident = make_incident(
        world.investigation,
        world.field_a,
        time_certainty="range",
        start_date=date(2015, 11, 10),
        start_time=time(8, 30),
        end_date=date(2015, 11, 10),
        end_time=time(10, 30),
    )
    page = client_for(world.lawyer).get(world.url(f"/incidents/{incident.id}"))
    text = page.get_data(as_text=True)
    assert f"November 10, 2015, 8:30{NARROW}AM–10:30{NARROW}AM" in text
    assert "November 10, 2015 to November 10, 2015" not in text


def test_an_approximate_time_without_its_margin_is_refused_and_nothing_is_stored(world, client_for):
    client = client_for(world.field_a)
    response = post_form(
        client,
        world.url("/incidents/new"),
        {
            "time_certainty": "about",
            "start_date": "2016-04-27",
            "start_time": "09:30",
            "place_name": "Sarmin",
            "weapon_code": "guided_bomb",
        },
        page=world.url("/incidents/new"),
    )
    assert response.status_code == 400
    assert "Say how far off the approximate time may be." in " ".join(page_messages(response))
    assert db.session.query(Incident).count() == 0
