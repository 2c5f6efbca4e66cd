"""Incidents through the API: the web's validation codes, its list filters, one incident."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.intake.models import Incident
from tests.api.helpers import assert_conforms, error_of, incident_body


def test_incident_is_recorded_and_read_back(world):
    api = world.api(world.field_a)
    created = api.post(
        world.path("/incidents"), json=incident_body(time_certainty="exact", start_time="10:15")
    )
    assert created.status_code == 201
    body = created.get_json()
    assert body["occurred_from"] == "2016-04-27T10:15:00"  # local time: no zone claimed
    assert body["weapon"]["code"] == "guided_bomb"
    assert body["created_at"].endswith("Z")
    fetched = world.api(world.field_b).get(world.path(f"/incidents/{body['id']}"))
    assert fetched.get_json() == body  # every member sees every incident


def test_an_other_target_is_kept_with_its_note_and_read_back(world):
    api = world.api(world.field_a)
    body = incident_body(target_codes=["other"], target_note="Bakery on the square")
    created = api.post(world.path("/incidents"), json=body)
    assert created.status_code == 201
    incident = created.get_json()
    assert_conforms(incident, "Incident")
    assert incident["target_note"] == "Bakery on the square"
    assert [t["code"] for t in incident["targets"]] == ["other"]
    refused = api.post(
        world.path("/incidents"), json=incident_body(target_note="Bakery on the square")
    )
    assert refused.status_code == 422
    fields = error_of(refused)["fields"]
    assert fields["target_note"][0]["code"] == "target_note_without_other"


def test_an_approximate_time_is_kept_and_read_back_as_entered(world):
    api = world.api(world.field_a)
    body = incident_body(time_certainty="about", start_time="09:30", uncertainty_minutes=60)
    created = api.post(world.path("/incidents"), json=body)
    assert created.status_code == 201
    incident = created.get_json()
    assert incident["uncertainty_minutes"] == 60
    assert incident["when"] == "April 27, 2016, about 9:30\u202fAM ± 1 h"


@pytest.mark.parametrize(
    "overrides,field,code",
    [
        ({"start_date": "2999-01-01"}, "start_date", "date_in_future"),
        ({"latitude": 91.0}, "latitude", "latitude_out_of_range"),
        ({"longitude": -181}, "longitude", "longitude_out_of_range"),
        ({"killed": -1}, "killed", "negative_casualties"),
        ({"weapon_code": "death_ray"}, "weapon_code", "unknown_weapon"),
        ({"place_name": "  "}, "place_name", "required"),
        ({"time_certainty": "exact"}, "start_time", "time_required"),
        ({"start_date": "27/04/2016"}, "start_date", "invalid_date"),
        ({"killed": "55"}, "killed", "invalid_type"),
        ({"perpetrators": "Air force"}, "perpetrators", "invalid_type"),
        (
            {"time_certainty": "about", "start_time": "09:30"},
            "uncertainty_minutes",
            "uncertainty_required",
        ),
        (
            {"time_certainty": "about", "start_time": "09:30", "uncertainty_minutes": 5000},
            "uncertainty_minutes",
            "uncertainty_out_of_range",
        ),
    ],
)
def test_bad_values_are_named_and_nothing_is_stored(world, overrides, field, code):
    response = world.api(world.field_a).post(
        world.path("/incidents"), json=incident_body(**overrides)
    )
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "validation_failed"
    assert error["fields"][field][0]["code"] == code
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Incident)) == 0


def test_list_uses_the_web_lists_filters(world):
    api = world.api(world.field_a)
    api.post(world.path("/incidents"), json=incident_body(admin_area="Aleppo"))
    api.post(
        world.path("/incidents"),
        json=incident_body(
            admin_area="Idlib",
            start_date="2017-04-04",
            weapon_code="unknown",
            perpetrators=["Unknown party"],
            place_name="Khan Shaykhun",
        ),
    )

    def places(query: str) -> list[str]:
        return [
            i["place_name"] for i in api.get(world.path(f"/incidents?{query}")).get_json()["items"]
        ]

    assert places("") == ["Khan Shaykhun", "Al-Quds hospital"]
    assert places("area=idlib") == ["Khan Shaykhun"]
    assert places("date_to=2016-12-31") == ["Al-Quds hospital"]
    assert places("weapon=guided_bomb") == ["Al-Quds hospital"]
    assert places("perpetrator=unknown") == ["Khan Shaykhun"]
    assert places("q=quds") == ["Al-Quds hospital"]
    assert places("has_testimony=false") == ["Khan Shaykhun", "Al-Quds hospital"]
    assert places("has_testimony=true") == []


@pytest.mark.parametrize(
    "query,name",
    [("date_from=yesterday", "date_from"), ("has_video=maybe", "has_video"), ("q=%00", "q")],
)
def test_bad_filters_are_refused_not_ignored(world, query, name):
    response = world.api(world.field_a).get(world.path(f"/incidents?{query}"))
    assert response.status_code == 400
    assert name in error_of(response)["fields"]
