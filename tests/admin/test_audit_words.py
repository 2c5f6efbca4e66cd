"""The admin audit log in words (issue 18, item 9): what happened, to whom, and the details as
labelled values; no event code, JSON or full UUID on the page."""

from __future__ import annotations

import re

from app.admin.audit_wording import EVENT_WORDS
from app.audit.services import EVENTS, record_event
from app.extensions import db
from tests.helpers.web import sign_in

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def test_every_event_that_can_be_recorded_has_words():
    assert set(EVENT_WORDS) == set(EVENTS)


def test_the_audit_page_says_what_happened_to_whom_in_words(app, make_user):
    admin = make_user(role="admin")
    colleague = make_user(role="field", email="colleague@example.org")
    record_event(
        "user.role_changed",
        actor=admin,
        target=colleague,
        details={"from": "field", "to": "lawyer"},
    )
    db.session.commit()
    client = app.test_client()
    sign_in(client, admin)
    page = client.get("/admin/audit?event=user.role_changed").get_data(as_text=True)
    row = page[page.index("<tbody>") : page.index("</tbody>")]
    assert "<td>Role changed</td>" in row
    assert "Account colleague@example.org" in row
    assert "<dt>From</dt><dd>field</dd><dt>To</dt><dd>lawyer</dd>" in row
    assert "user.role_changed" not in row and "{" not in row and not UUID.search(row)
    # The filter offers the events by their words too.
    assert '<option selected value="user.role_changed">Role changed</option>' in page
