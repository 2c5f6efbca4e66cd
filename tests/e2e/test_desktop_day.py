"""On a desktop: a time entered as "about 09:30 ± 1 h" reads so everywhere, and a case-file item
is graded from what it shows, with nothing preselected, then removed (asked first) and put back.

Issue 18, "Done when" (desktop) and items 2, 3, 4 and 7. The phone's half is
tests/e2e/test_phone.py.
"""

from __future__ import annotations

import re
import secrets
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.actions import checkpoint, sign_in
from tests.e2e.field_steps import investigation_url
from tests.e2e.live_server import LiveServer

pytestmark = pytest.mark.e2e

# As the reader's language writes a date and a time ("10 November 2015, about 09:30 ± 1 h" in
# British English, "November 10, 2015, about 9:30 AM ± 1 h" in the demo accounts' English).
ABOUT = re.compile(r"(10 Nov(ember)? 2015|Nov(ember)? 10, 2015), about 0?9:30(\s?AM)? ± 1 h")


def record_approximate_incident(page: Page, server: LiveServer, place: str) -> str:
    page.goto(investigation_url(server, "/incidents/new"))
    page.locator("input[name=time_certainty][value=about]").check()
    page.locator("input[name=start_date]").fill("2015-11-10")
    page.locator("input[name=start_time]").fill("09:30")
    page.locator("select[name=uncertainty_minutes]").select_option("60")
    page.locator("input[name=place_name]").fill(place)
    page.locator("input[name=admin_area]").fill("Hama")
    # A point of its own (no other incident within a kilometre, app/intake/services/
    # similar_incidents.py), east of Kafr Zita.
    page.locator("input[name=latitude]").fill(f"35.{3700 + secrets.randbelow(200)}")
    page.locator("input[name=longitude]").fill(f"36.{6500 + secrets.randbelow(200)}")
    page.locator("select[name=weapon_code]").select_option(index=1)
    page.locator("textarea[name=description]").fill("Strike on the bakery queue (e2e time).")
    page.locator(".form-actions button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/incidents/[0-9a-f-]{8,}$"))
    return page.url


def test_an_incident_about_0930_give_or_take_an_hour_shows_so_everywhere(page, live_server, totp):
    sign_in(page, live_server, live_server.account("field"), totp)
    place = f"Kafr Zita bakery {secrets.token_hex(3)} (e2e time)"
    incident_url = record_approximate_incident(page, live_server, place)
    expect(page.locator("main h1")).to_contain_text(ABOUT)  # its own page
    checkpoint(page, "incident-about-0930")
    only_this = f"?q={quote(place)}"
    page.goto(investigation_url(live_server, f"/incidents{only_this}"))
    row = page.locator("main table tbody tr", has_text=place)
    expect(row).to_contain_text(ABOUT)  # the list
    page.goto(investigation_url(live_server, f"/incidents/timeline{only_this}"))
    expect(page.locator("main .timeline-date").first).to_have_text(ABOUT)  # the timeline
    page.goto(investigation_url(live_server, f"/incidents/map{only_this}"))
    marker = page.locator("#incident-map .incident-marker")
    expect(marker).to_have_count(1)
    marker.click(force=True)
    popup = page.locator(".leaflet-popup-content")
    expect(popup).to_contain_text(ABOUT)  # the map's popup
    expect(popup.locator("a")).to_have_attribute("href", re.compile(incident_url.split("/")[-1]))


ITEM_LINK = "main table tbody tr a[href*='/items/']:not([href$='/remove'])"


def new_case_file(page: Page, server: LiveServer) -> str:
    page.goto(investigation_url(server, "/cases/new"))
    page.locator("#title").fill(f"Bakery queues {secrets.token_hex(3)} (e2e)")
    page.locator("#legal_question").fill("Were civilians waiting for bread deliberately struck?")
    # The first characterization, ticked as a person does, by its label: a click on the box
    # itself once failed on a loaded CI run ("did not change its state"), cause not found.
    first = page.locator("#crimes input[type=checkbox]").first
    first.scroll_into_view_if_needed()
    page.locator(f"label[for='{first.get_attribute('id')}']").click()
    expect(first).to_be_checked()
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/cases/(?!new$)[^/]+$"))
    page.wait_for_load_state("load")
    return page.url


def test_a_lawyer_grades_what_they_see_then_removes_it_asked_first_and_puts_it_back(
    page, live_server, totp
):
    sign_in(page, live_server, live_server.account("lawyer"), totp)
    casefile = new_case_file(page, live_server)
    incident = page.locator("#item option[value^='incident:']").first
    page.locator("#item").select_option(incident.get_attribute("value"))
    page.locator("form:has(#item) button[type=submit]").click()
    item = page.locator(ITEM_LINK).first
    expect(item).to_be_visible()
    page.wait_for_load_state("load")

    # Graded from what the item is: its excerpt beside the form, no grade chosen for them.
    item.click()
    expect(page.locator("main .excerpt").first).not_to_be_empty()
    grade = page.locator("form[action$='/assessments']")
    expect(grade.locator("select[name=reliability]")).to_have_value("")
    expect(grade.locator("select[name=credibility]")).to_have_value("")
    grade.locator("select[name=reliability]").select_option("C")
    grade.locator("select[name=credibility]").select_option("3")
    grade.locator("textarea[name=rationale]").fill("One source, not yet checked (e2e).")
    grade.locator("button[type=submit]").click()
    expect(page.locator("main")).to_contain_text("C3")
    checkpoint(page, "item-graded-from-its-excerpt")

    # Remove: asked first, saying what goes with it; nothing happens on "Keep it".
    page.goto(casefile)
    page.locator("main a[href$='/remove']").first.click()
    expect(page.locator("main h1")).to_have_text("Remove this item from the case file?")
    expect(page.locator("#removal-confirmation")).to_contain_text("grades: 1")
    checkpoint(page, "item-removal-asked")
    page.locator("#removal-confirmation a", has_text="Keep it").click()
    expect(page.locator(ITEM_LINK)).to_have_count(1)
    page.locator("main a[href$='/remove']").first.click()
    page.locator("#removal-confirmation button[type=submit]").click()
    expect(page.locator(ITEM_LINK)).to_have_count(0)
    removed = page.locator("ul.removed li")
    expect(removed).to_have_count(1)  # a case file of its own: this one removal
    checkpoint(page, "item-removed")

    # Undo: the item is back, with its grade.
    removed.locator("button[type=submit]").click()
    item = page.locator(ITEM_LINK)
    expect(item).to_have_count(1)
    item.click()
    expect(page.locator("main")).to_contain_text("One source, not yet checked (e2e).")
    expect(page.locator("main")).to_contain_text("C3")
