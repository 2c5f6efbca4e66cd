"""The site layout every page shares: its icon is linked and served, so no page logs a 404."""

from __future__ import annotations

import re

from tests.helpers.web import sign_in


def test_every_page_links_an_icon_that_is_served(make_user, client):
    sign_in(client, make_user(role="field"))
    page = client.get("/").get_data(as_text=True)
    match = re.search(r'<link rel="icon" type="image/svg\+xml" href="([^"]+)">', page)
    assert match, "the layout links no icon: browsers then ask for /favicon.ico and log a 404"
    icon = client.get(match.group(1))
    assert icon.status_code == 200
    assert icon.mimetype == "image/svg+xml"
    assert b'xmlns="http://www.w3.org/2000/svg"' in icon.get_data()


def test_the_sign_in_page_links_the_icon_too(client):
    assert 'rel="icon"' in client.get("/auth/login").get_data(as_text=True)
