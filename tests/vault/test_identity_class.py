"""File names and capture facts are identity information (docs/security.md): members without
the identity grant never get them, on the pages, in a download's name or through the API."""

from __future__ import annotations

import pytest

from app.extensions import db
from tests.api.helpers import ApiClient, issue_token
from tests.helpers.factories import InvestigationFactory, MembershipFactory, UserFactory
from tests.helpers.media import jpeg_with_exif
from tests.vault.test_reading import add_evidence

NAME = "Amal Haddad at the Bab checkpoint.jpg"
FACTS = {"captured_at": "2024-05-01T07:15:00Z", "latitude": 36.2021, "longitude": 37.1343}


@pytest.fixture
def named_item(app_ctx):
    investigation = InvestigationFactory()
    uploader = UserFactory(role="field")
    plain = UserFactory(role="lawyer")
    cleared = UserFactory(role="lawyer")
    MembershipFactory(user=uploader, investigation=investigation)
    MembershipFactory(user=plain, investigation=investigation)
    MembershipFactory(user=cleared, investigation=investigation, may_see_identities=True)
    item = add_evidence(investigation, uploader, jpeg_with_exif(), NAME, FACTS)
    db.session.commit()
    base = f"/investigations/{investigation.reference}/evidence"
    return {"item": item, "plain": plain, "cleared": cleared, "uploader": uploader, "base": base}


def _pages(client, named_item) -> str:
    base, item = named_item["base"], named_item["item"]
    return client.get(base).get_data(as_text=True) + client.get(f"{base}/{item.id}").get_data(
        as_text=True
    )


@pytest.mark.parametrize("who", ["plain", "uploader"])
def test_without_the_grant_pages_show_no_file_name_and_no_capture_facts(named_item, signed_in, who):
    text = _pages(signed_in(named_item[who]), named_item)
    assert "Amal Haddad" not in text and "Amal%20Haddad" not in text
    assert "36.2021" not in text and "37.1343" not in text  # (a bare capture time is in the ledger)


def test_with_the_grant_the_name_and_facts_are_shown(named_item, signed_in):
    text = _pages(signed_in(named_item["cleared"]), named_item)
    assert "Amal Haddad" in text and "36.2021" in text


def test_the_download_name_of_a_member_without_the_grant_is_neutral(named_item, signed_in):
    client = signed_in(named_item["plain"])
    url = f"{named_item['base']}/{named_item['item'].id}/download"
    response = client.get(url, headers={"X-Access-Reason": "verification"})
    assert response.status_code == 200
    assert "Amal" not in response.headers["Content-Disposition"]
    assert f"evidence-{named_item['item'].id[:8]}" in response.headers["Content-Disposition"]


def test_the_api_gives_no_file_name_without_the_grant(app, named_item):
    item = named_item["item"]
    api = ApiClient(app.test_client(), issue_token(named_item["plain"], "read"))
    path = f"/api/v1{named_item['base']}"
    listed = api.get(path).get_data(as_text=True)
    one = api.get(f"{path}/{item.id}").get_json()
    assert "Amal" not in listed and "Amal" not in str(one)
    cleared = ApiClient(app.test_client(), issue_token(named_item["cleared"], "read"))
    assert cleared.get(f"{path}/{item.id}").get_json()["original_filename"] == NAME
