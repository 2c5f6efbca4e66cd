"""The comparison on its own: times, places and incident windows, and what counts as a finding."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

import pytest

from app.consistency.comparison import (
    CONSISTENT,
    MISMATCH,
    NOT_COMPARABLE,
    compare,
    findings,
    place_vs_incident,
    time_vs_incident,
    time_vs_stated,
)
from app.consistency.facts import Place, distance_m, incident_window, parse_moment, parse_place

pytestmark = pytest.mark.nodb


def incident(**overrides):
    values = dict(
        id="i1",
        time_certainty="day",
        occurred_from=datetime(2016, 4, 27),
        occurred_to=None,
        uncertainty_minutes=None,
        latitude=36.2021,
        longitude=37.1343,
        precision_m=500,
    )
    values.update(overrides)
    return SimpleNamespace(**values)


def test_a_local_capture_time_inside_the_incident_day_is_consistent():
    moment = parse_moment("2016-04-27T10:15:30")
    assert time_vs_incident(moment, incident()).outcome == CONSISTENT


def test_a_capture_a_day_before_the_incident_is_a_finding_that_says_how_far():
    check = time_vs_incident(parse_moment("2016-04-26T10:00:00"), incident())
    assert check.outcome == MISMATCH and check.detail["before_minutes"] == 14 * 60


def test_an_approximate_time_is_a_window_of_its_margin_both_ways():
    about = incident(time_certainty="about", occurred_from=datetime(2016, 4, 27, 9, 30))
    about.uncertainty_minutes = 60
    assert incident_window(about) == (datetime(2016, 4, 27, 8, 30), datetime(2016, 4, 27, 10, 30))
    assert time_vs_incident(parse_moment("2016-04-27T10:29:00"), about).outcome == CONSISTENT
    assert time_vs_incident(parse_moment("2016-04-27T10:31:00"), about).outcome == MISMATCH


def test_a_utc_time_against_a_local_incident_allows_any_zone_and_says_so():
    exact = incident(time_certainty="exact", occurred_from=datetime(2016, 4, 27, 10, 0))
    check = time_vs_incident(parse_moment("2016-04-27T20:00:00Z"), exact)
    assert check.outcome == CONSISTENT and check.detail["zone_unknown"] is True
    far = time_vs_incident(parse_moment("2016-04-28T02:00:00Z"), exact)
    assert far.outcome == MISMATCH


def test_an_exif_offset_makes_the_time_zoned():
    moment = parse_moment("2016-04-27T10:15:30", "+03:00")
    assert moment.zoned and moment.value == datetime(2016, 4, 27, 7, 15, 30)


def test_a_place_inside_the_uncertainty_radius_is_consistent_and_outside_is_a_finding():
    near = Place(36.2040, 37.1343)  # about 210 m north
    far = Place(36.2200, 37.1343)  # about 2 km north
    assert place_vs_incident(near, incident()).outcome == CONSISTENT
    check = place_vs_incident(far, incident())
    assert check.outcome == MISMATCH and check.detail["distance_m"] > check.detail["radius_m"]


def test_an_incident_without_coordinates_is_not_comparable():
    check = place_vs_incident(Place(36.2, 37.1), incident(latitude=None, longitude=None))
    assert check.outcome == NOT_COMPARABLE


def test_the_haversine_distance_is_right_to_a_metre_for_a_known_pair():
    # One degree of latitude is 111.2 km on the mean-radius sphere.
    assert abs(distance_m(Place(0, 0), Place(1, 0)) - 111_195) < 1


def test_stated_coordinates_are_read_from_text_and_a_description_is_not_a_place():
    assert parse_place("36.2021, 37.1343") == Place(36.2021, 37.1343)
    assert parse_place("near the hospital") is None
    assert parse_place("95.0, 37.0") is None


def test_a_stated_time_five_minutes_off_is_consistent_and_an_hour_off_is_a_finding():
    file = parse_moment("2016-04-27T10:15:30")
    assert time_vs_stated(file, parse_moment("2016-04-27T10:19:00")).outcome == CONSISTENT
    assert time_vs_stated(file, parse_moment("2016-04-27T11:16:00")).outcome == MISMATCH


def test_missing_values_are_not_comparable_and_are_not_findings():
    checks = compare({}, {}, [incident()])
    assert {c.outcome for c in checks} == {NOT_COMPARABLE}
    assert findings(checks) == 0


def test_every_incident_is_checked_for_time_and_place():
    checks = compare(
        {"captured_at": "2016-04-27T10:00:00", "gps": {"latitude": 36.2021, "longitude": 37.1343}},
        {"captured_at": "2016-04-27T10:01", "location": "36.2021, 37.1343"},
        [incident(id="b"), incident(id="a", occurred_from=datetime(2017, 1, 1))],
    )
    assert [c.check for c in checks] == [
        "time_vs_stated",
        "place_vs_stated",
        "time_vs_incident",
        "place_vs_incident",
        "time_vs_incident",
        "place_vs_incident",
    ]
    assert [c.detail.get("incident_id") for c in checks[2:]] == ["a", "a", "b", "b"]
    assert findings(checks) == 1  # only incident "a" (a year later) disagrees


def test_stated_places_agree_within_100_metres_plus_the_accuracies_given():
    from app.consistency.comparison import place_vs_stated

    file = Place(36.2021, 37.1343)
    assert place_vs_stated(file, Place(36.2025, 37.1343)).outcome == CONSISTENT  # ~45 m
    assert place_vs_stated(file, Place(36.2060, 37.1343)).outcome == MISMATCH  # ~430 m
    assert place_vs_stated(file, Place(36.2060, 37.1343, 500)).outcome == CONSISTENT
