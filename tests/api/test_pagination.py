"""Pagination: `?page=&per_page=` in, {items, page, per_page, total, next} out."""

from __future__ import annotations

import pytest

from app.api.pagination import PageRequest, window
from tests.api.helpers import incident_body, witness_body


def test_incidents_come_in_pages_with_a_link_to_the_next(world):
    api = world.api(world.field_a)
    for day in range(1, 8):
        api.post(world.path("/incidents"), json=incident_body(start_date=f"2016-04-{day:02d}"))
    first = api.get(world.path("/incidents?per_page=3&area=Aleppo")).get_json()
    assert (first["page"], first["per_page"], first["total"]) == (1, 3, 7)
    assert [i["occurred_from"][:10] for i in first["items"]] == [
        "2016-04-07",
        "2016-04-06",
        "2016-04-05",
    ]
    seen = [i["id"] for i in first["items"]]
    following = first["next"]
    assert "area=Aleppo" in following and "page=2" in following
    while following:
        page = api.get(following).get_json()
        seen += [i["id"] for i in page["items"]]
        following = page["next"]
    assert len(seen) == len(set(seen)) == 7
    assert page["page"] == 3 and len(page["items"]) == 1


def test_a_page_past_the_end_is_empty(world):
    body = world.api(world.field_a).get(world.path("/witnesses?page=9")).get_json()
    assert body == {"items": [], "page": 9, "per_page": 50, "total": 0, "next": None}


def test_witness_pages_follow_the_intake_list_order(world):
    api = world.api(world.field_a)
    for _ in range(5):
        api.post(world.path("/witnesses"), json=witness_body())
    codes = []
    for page in (1, 2, 3):
        body = api.get(world.path(f"/witnesses?per_page=2&page={page}")).get_json()
        codes += [w["code"] for w in body["items"]]
        assert body["total"] == 5
    assert codes == ["W-0005", "W-0004", "W-0003", "W-0002", "W-0001"]


@pytest.mark.nodb
@pytest.mark.parametrize("page,per_page", [(1, 100), (2, 30), (3, 7), (1, 1), (51, 1), (2, 100)])
def test_window_cuts_any_page_out_of_fixed_service_pages(page, per_page):
    rows = list(range(237))
    size = 50

    def fetch(number):
        return rows[(number - 1) * size : number * size], len(rows)

    items, total = window(fetch, size, PageRequest(page=page, per_page=per_page))
    start = (page - 1) * per_page
    assert items == rows[start : start + per_page]
    assert total == 237
