"""Onboarding (issue 18): the membership form picks from existing accounts and gives a new
member their account's role unless the admin chooses another; secrets shown once have a copy
button."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.extensions import db
from app.investigations.models import Membership
from tests.admin.test_admin_accounts import admin_client
from tests.helpers.web import post_form, sign_in


def account_choices(page: str) -> dict[str, str]:
    select_html = re.search(r'<select[^>]*name="email".*?</select>', page, re.S).group(0)
    return dict(re.findall(r'<option[^>]*value="([^"]*)"[^>]*>([^<]*)</option>', select_html))


def test_the_member_form_offers_active_accounts_that_are_not_members_yet(
    app, make_user, investigation, member
):
    _, client = admin_client(app, make_user)
    lawyer = make_user(role="lawyer", name="Layla Haddad")
    already = make_user(role="field")
    member(already, investigation)
    gone = make_user(role="field")
    gone.active = False
    db.session.commit()
    page = client.get(f"/admin/investigations/{investigation.reference}/members")
    choices = account_choices(page.get_data(as_text=True))
    assert (
        choices[lawyer.email].startswith("Layla Haddad &lt;") and "lawyer" in choices[lawyer.email]
    )
    assert already.email not in choices and gone.email not in choices
    assert choices[""]  # nothing is chosen for the admin: the first choice is empty


def test_a_lawyer_added_without_a_chosen_role_is_a_lawyer_member(app, make_user, investigation):
    _, client = admin_client(app, make_user)
    lawyer = make_user(role="lawyer")
    url = f"/admin/investigations/{investigation.reference}/members"
    page = client.get(url).get_data(as_text=True)
    role_select = re.search(r'<select[^>]*name="role".*?</select>', page, re.S).group(0)
    assert re.search(r'<option selected value="">|<option value="" selected', role_select)
    response = post_form(client, url, {"email": lawyer.email, "role": ""}, page=url)
    assert response.status_code == 302
    membership = db.session.scalar(select(Membership).where(Membership.user_id == lawyer.id))
    assert membership.role == "lawyer"


def test_a_set_password_link_is_shown_with_a_copy_button(app, make_user):
    _, client = admin_client(app, make_user)
    response = post_form(
        client,
        "/admin/users/new",
        {"email": "copy@example.org", "name": "Nour", "role": "field"},
        page="/admin/users/new",
    )
    assert response.status_code == 200  # the link is shown once, on the answer itself
    page = response.get_data(as_text=True)
    assert 'id="set-password-link"' in page and 'data-copy="set-password-link"' in page
    assert "js/copy.js" in page


def test_every_page_says_what_the_persons_role_may_do(app, make_user):
    for role, phrase in (
        ("field", "you do not grade, approve or export"),
        ("lawyer", "approve a colleague"),
        ("admin", "waits for a second administrator"),
    ):
        client = app.test_client()
        sign_in(client, make_user(role=role))
        page = client.get("/investigations/").get_data(as_text=True)
        assert 'id="what-you-may-do"' in page and phrase in page.replace("&#39;", "'")
