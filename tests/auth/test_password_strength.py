"""New passwords: long enough and not guessable (common, patterned, or built on context words)."""

from __future__ import annotations

import pytest

from app.auth.services.accounts import AccountError, create_user, set_password
from tests.helpers.web import page_messages, post_form, sign_in

TOO_GUESSABLE = [
    "passwordpassword",  # a top breached password, doubled
    "qwertyuiopasdfgh",  # a keyboard walk
    "123456789012345",  # a sequence
    "iloveyou12345678",  # a common password and a sequence
    "custos-custos-2026",  # the product's name and a year
    "W1tness3vidence",  # context words with l33t substitutions
]


@pytest.mark.parametrize("password", TOO_GUESSABLE)
def test_guessable_passwords_are_refused_when_set(app_ctx, make_user, password):
    user = make_user()
    with pytest.raises(AccountError, match="too easy to guess"):
        set_password(user, password)


def test_a_password_built_on_the_users_own_name_and_email_is_refused(app_ctx):
    with pytest.raises(AccountError, match="too easy to guess"):
        create_user("samira.haddad@example.org", "Samira Haddad", "field", "samirahaddad2026")


def test_organisation_words_from_the_configuration_count_as_context(app, app_ctx, make_user):
    user = make_user()
    set_password(user, "gravelmothcascade77")  # accepted by default
    app.config["PASSWORD_CONTEXT_WORDS"] = ("gravelmoth", "cascade")
    try:
        with pytest.raises(AccountError, match="too easy to guess"):
            set_password(user, "gravelmothcascade77")
    finally:
        app.config["PASSWORD_CONTEXT_WORDS"] = ()


@pytest.mark.parametrize(
    "password",
    ["correct horse battery staple", "violet tractor humming under rain", "x7$Kp2!vQz9#Lm4w"],
)
def test_long_unrelated_passwords_are_accepted(app_ctx, make_user, password):
    set_password(make_user(), password)


def test_the_settings_page_explains_a_refusal(app, make_user, client):
    user = make_user()
    sign_in(client, user)
    response = post_form(
        client,
        "/auth/settings/password",
        {
            "current": "correct horse battery staple",
            "password": "passwordpassword1",
            "confirm": "passwordpassword1",
        },
        page="/auth/settings",
    )
    messages = page_messages(client.get(response.headers["Location"]))
    assert any("too easy to guess" in m for m in messages)
    assert client.get("/").status_code == 200  # the old password still holds
