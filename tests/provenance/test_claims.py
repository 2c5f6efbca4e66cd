"""Reading a proof's claimed time and place into the consistency checks' terms: XMP GPS
coordinates, EXIF-style times, decimal degrees, and what is not a claim."""

from __future__ import annotations

import pytest

from app.provenance.claims import claimed_moment, claimed_place, coordinate

pytestmark = pytest.mark.nodb


@pytest.mark.parametrize(
    ("text", "degrees"),
    [
        ("36,12.125N", 36 + 12.125 / 60),
        ("37,8.058E", 37 + 8.058 / 60),
        ("36,12,7.5S", -(36 + 12 / 60 + 7.5 / 3600)),
        ("122,25.5W", -(122 + 25.5 / 60)),
        ("36.2021", 36.2021),
        (36.2021, 36.2021),
    ],
)
def test_coordinates_in_each_form(text, degrees):
    assert coordinate(text) == pytest.approx(degrees)


@pytest.mark.parametrize("text", ["north", "36,61N", "", None, "36,12.125X"])
def test_what_is_no_coordinate(text):
    assert coordinate(text) is None


def test_a_place_keeps_the_fixs_accuracy():
    place = claimed_place(["36.2021", "37.1343"], "12")
    assert (place.latitude, place.longitude, place.accuracy_m) == (36.2021, 37.1343, 12.0)


def test_a_place_out_of_range_or_half_given_is_none():
    assert claimed_place(["96.0", "37.1"]) is None
    assert claimed_place(["36.2"]) is None
    assert claimed_place(None) is None


def test_an_exif_style_time_is_local_and_an_iso_time_with_z_is_utc():
    local = claimed_moment("2016:04:27 10:15:00")
    assert (local.value.isoformat(), local.zoned) == ("2016-04-27T10:15:00", False)
    utc = claimed_moment("2016-04-27T12:15:00+02:00")
    assert (utc.value.isoformat(), utc.zoned) == ("2016-04-27T10:15:00", True)
    assert claimed_moment("yesterday") is None and claimed_moment(None) is None
