"""Incident search finds other spellings of a name: Arabic or Latin letters, near misses.

Issue 18, item 9. The list and the map are searched as a lawyer and a field worker would
(tests/intake/test_lists.py's `listed`); the spelling rules are app/intake/name_spelling.py's.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.intake.name_spelling import spelled_alike
from app.investigations.models import Investigation, Membership
from tests.intake.builders import make_incident

PLACES = ("Sarmin", "معرة النعمان", "Saraqib", "Deir ez-Zor")


@pytest.fixture
def places(world):
    made = {
        name: make_incident(world.investigation, world.field_a, place_name=name, admin_area="")
        for name in PLACES
    }
    make_incident(
        world.investigation,
        world.field_b,
        place_name="Khan Shaykhun",
        admin_area="",
        perpetrators=["Liwa al-Quds"],
    )
    db.session.commit()
    return made


def found(client, world, q: str) -> set[str]:
    response = client.get(world.url("/incidents"), query_string={"q": q})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    rows = page[page.index("<tbody") : page.index("</tbody>")]  # not the search hint's examples
    return {name for name in (*PLACES, "Khan Shaykhun") if name in rows}


SEARCHES = {
    "Arabic letters find the Latin name": ("سرمين", {"Sarmin"}),
    "another Latin spelling": ("Sermin", {"Sarmin"}),
    "a near miss": ("Sarnin", {"Sarmin"}),
    "a third spelling": ("Sarmeen", {"Sarmin"}),
    "Latin letters find the Arabic name": ("Maarat al-Numan", {"معرة النعمان"}),
    "the start of a word": ("Maarat", {"معرة النعمان"}),
    "an assimilated article": ("Dayr az Zawr", {"Deir ez-Zor"}),
    "a place in two words": ("خان شيخون", {"Khan Shaykhun"}),
    "a perpetrator's name": ("Liwa al Kuds", {"Khan Shaykhun"}),
    "a different place is not found": ("Sarakeb", {"Saraqib"}),
}


@pytest.mark.parametrize("name", SEARCHES, ids=list(SEARCHES))
def test_a_lawyer_finds_other_spellings(world, client_for, places, name):
    q, expected = SEARCHES[name]
    assert found(client_for(world.lawyer), world, q) == expected


def test_the_map_finds_the_same_spellings(world, client_for, places):
    response = client_for(world.lawyer).get(
        world.url("/incidents/map.json"), query_string={"q": "سرمين"}
    )
    assert [marker["place_name"] for marker in response.get_json()["markers"]] == ["Sarmin"]


def test_spellings_never_reach_into_another_investigation(world, client_for, places):
    theirs = db.session.scalar(
        select(Investigation).join(Membership).where(Membership.user_id == world.outsider.id)
    )
    make_incident(theirs, world.outsider, place_name="Sarmeen", admin_area="")
    db.session.commit()
    assert found(client_for(world.lawyer), world, "سرمين") == {"Sarmin"}
    ours = client_for(world.lawyer).get(world.url("/incidents"), query_string={"q": "سرمين"})
    assert "Sarmeen" not in ours.get_data(as_text=True)
    other = client_for(world.outsider).get(
        f"/investigations/{theirs.reference}/incidents", query_string={"q": "سرمين"}
    )
    rows = other.get_data(as_text=True).split("<tbody", 1)[1]
    assert "Sarmeen" in rows and "Sarmin" not in rows


SAME = [
    ("Sarmin", "سرمين"),
    ("Khan Sheikhoun", "خان شيخون"),
    ("Raqqa", "الرقة"),
    ("Raqqa", "Ar-Raqqah"),
    ("Hama", "حماة"),
    ("Edleb", "إدلب"),
    ("Douma", "دوما"),
    ("Ghouta", "الغوطة الشرقية"),
    ("Deir ez-Zor", "دير الزور"),
]
# "Aleppo" is another name of "حلب", not a spelling of it (docs/intake.md says so).
DIFFERENT = [
    ("Homs", "Hama"),
    ("Douma", "Daraa"),
    ("Sarmin", "Saraqib"),
    ("Idlib", ""),
    ("Aleppo", "حلب"),
]


@pytest.mark.parametrize(("search", "name"), SAME)
def test_spellings_of_one_name_are_alike(search, name):
    assert spelled_alike(search, name)


@pytest.mark.parametrize(("search", "name"), DIFFERENT)
def test_different_names_are_not_alike(search, name):
    assert not spelled_alike(search, name)
