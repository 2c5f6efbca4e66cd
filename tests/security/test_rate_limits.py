"""Every endpoint that checks a credential is rate-limited per client address, with a clear 429.

Credentials: the password (sign-in, changing it, ending other sessions), the TOTP code and a
recovery code (second factor), the enrollment code, a set-password code, and an API token
(on the API and on the resumable-upload endpoints that take one). Every POST endpoint of
app/auth is listed below as checking a credential or not, so a new one must be classified.
Once the limit is reached the right credential is refused too: the limit comes first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from app.extensions import db, limiter
from tests.api.helpers import ApiClient, error_of, issue_token
from tests.helpers.factories import DEFAULT_PASSWORD, InvestigationFactory, MembershipFactory
from tests.helpers.web import csrf_token, next_totp_code, post_form, sign_in
from tests.test_route_matrix import URL_RULES

LIMIT = 3
WEB_MESSAGE = "Too many attempts. Wait a minute and try again."
WRONG_PASSWORD = "not the password at all"


@dataclass
class Target:
    """A browser ready to try credentials at one endpoint, and what a try looks like."""

    attempt: Callable[[str], object]  # attempt(secret) -> response
    wrong: str
    right: Callable[[], str]


def login_target(app, make_user) -> Target:
    user = make_user(role="field")
    client = app.test_client()

    def attempt(password):
        return post_form(client, "/auth/login", {"email": user.email, "password": password})

    return Target(attempt, WRONG_PASSWORD, lambda: DEFAULT_PASSWORD)


def pending_second_factor(app, make_user):
    user = make_user(role="lawyer")
    client = app.test_client()
    response = post_form(client, "/auth/login", {"email": user.email, "password": DEFAULT_PASSWORD})
    assert response.headers["Location"].startswith("/auth/2fa")
    token = csrf_token(client, "/auth/2fa")

    def attempt(code):
        return client.post("/auth/2fa", data={"code": code, "csrf_token": token})

    return user, attempt


def totp_target(app, make_user) -> Target:
    user, attempt = pending_second_factor(app, make_user)

    def right():
        db.session.refresh(user)
        return next_totp_code(user)

    return Target(attempt, "000000", right)


def recovery_code_target(app, make_user) -> Target:
    from app.auth.services.login import replace_recovery_codes

    user, attempt = pending_second_factor(app, make_user)
    codes = replace_recovery_codes(user)
    db.session.commit()
    return Target(attempt, "aaaaa-bbbbb", lambda: codes[0])


def enrollment_target(app, make_user) -> Target:
    import pyotp

    from app.auth.models import User

    user = make_user(role="lawyer", with_2fa=False)
    client = app.test_client()
    sign_in(client, user)
    token = csrf_token(client, "/auth/2fa/enroll")

    def attempt(code):
        return client.post("/auth/2fa/enroll", data={"code": code, "csrf_token": token})

    def right():
        secret = db.session.get(User, user.id).totp_pending_secret
        db.session.expire_all()
        return pyotp.TOTP(db.session.get(User, user.id).totp_pending_secret or secret).now()

    return Target(attempt, "000000", right)


def set_password_target(app, make_user) -> Target:
    from app.auth.services.accounts import issue_set_password_token

    user = make_user(role="field")
    link_code = issue_set_password_token(user)
    db.session.commit()
    client = app.test_client()
    token = csrf_token(client, "/auth/set-password")
    new = "a brand new passphrase here"

    def attempt(code):
        data = {"token": code, "password": new, "confirm": new, "csrf_token": token}
        return client.post("/auth/set-password", data=data)

    return Target(attempt, "not-a-set-password-code", lambda: link_code)


def change_password_target(app, make_user) -> Target:
    user = make_user(role="field")
    client = app.test_client()
    sign_in(client, user)
    token = csrf_token(client, "/auth/settings")
    new = "a brand new passphrase here"

    def attempt(current):
        data = {"current": current, "password": new, "confirm": new, "csrf_token": token}
        return client.post("/auth/settings/password", data=data)

    return Target(attempt, WRONG_PASSWORD, lambda: DEFAULT_PASSWORD)


def end_sessions_target(app, make_user) -> Target:
    user = make_user(role="field")
    client = app.test_client()
    sign_in(client, user)
    token = csrf_token(client, "/auth/settings")

    def attempt(current):
        data = {"current": current, "session": "others", "csrf_token": token}
        return client.post("/auth/settings/sessions/end", data=data)

    return Target(attempt, WRONG_PASSWORD, lambda: DEFAULT_PASSWORD)


def reauth_target(url: str, page: str, extra: dict) -> Callable:
    """Typing the password again before a lasting credential is made (an API token, new
    recovery codes): a stolen session must not become a way to guess the password."""

    def build(app, make_user) -> Target:
        user = make_user(role="field")
        client = app.test_client()
        sign_in(client, user)
        token = csrf_token(client, page)

        def attempt(current):
            return client.post(url, data={**extra, "current": current, "csrf_token": token})

        return Target(attempt, WRONG_PASSWORD, lambda: DEFAULT_PASSWORD)

    return build


CREDENTIAL_ENDPOINTS = {
    "auth.login": login_target,
    "auth.second_factor": totp_target,
    "auth.enroll_2fa": enrollment_target,
    "auth.set_password": set_password_target,
    "auth.change_password": change_password_target,
    "auth.end_sessions": end_sessions_target,
    "auth.new_api_token": reauth_target(
        "/auth/settings/tokens/new", "/auth/settings/tokens/new", {"name": "x", "scope": "read"}
    ),
    "auth.new_openrosa_device": reauth_target(
        "/auth/settings/devices/new", "/auth/settings/devices/new", {"name": "x"}
    ),
    "auth.recovery_codes": reauth_target("/auth/2fa/recovery-codes", "/auth/settings", {}),
}
# The recovery code is typed into the second-factor form, so it is limited with it.
EXTRA_TARGETS = {"auth.second_factor (recovery code)": recovery_code_target}
# POST endpoints of app/auth that check no credential (they act for a signed-in person).
NOT_CREDENTIAL_ENDPOINTS = {
    "auth.logout",
    "auth.change_language",
    "auth.revoke_api_token",
    "auth.revoke_openrosa_device",
}
AUTH_POST_ENDPOINTS = {
    endpoint
    for endpoint, rule, methods in URL_RULES
    if endpoint.startswith("auth.") and "POST" in methods
}
WEB_TARGETS = {
    name: build
    for name, build in {**CREDENTIAL_ENDPOINTS, **EXTRA_TARGETS}.items()
    if name.split(" ")[0] in AUTH_POST_ENDPOINTS
}


@pytest.fixture
def tight_limits(app):
    limiter.reset()
    saved = app.config["LOGIN_RATE_LIMIT"], app.config["CUSTOS_API_AUTH_FAILURE_LIMIT"]
    app.config["LOGIN_RATE_LIMIT"] = f"{LIMIT} per minute"
    app.config["CUSTOS_API_AUTH_FAILURE_LIMIT"] = f"{LIMIT} per minute"
    yield
    app.config["LOGIN_RATE_LIMIT"], app.config["CUSTOS_API_AUTH_FAILURE_LIMIT"] = saved
    limiter.reset()


def test_every_post_endpoint_of_auth_is_classified():
    known = set(CREDENTIAL_ENDPOINTS) | NOT_CREDENTIAL_ENDPOINTS
    assert AUTH_POST_ENDPOINTS - known == set(), "classify the new endpoint in this file"
    assert {"auth.login", "auth.second_factor", "auth.set_password"} <= AUTH_POST_ENDPOINTS


@pytest.mark.parametrize("name", sorted(WEB_TARGETS))
def test_credential_endpoint_is_rate_limited(app, make_user, tight_limits, name):
    target = WEB_TARGETS[name](app, make_user)
    codes = [target.attempt(target.wrong).status_code for _ in range(LIMIT)]
    assert 429 not in codes and all(code < 500 for code in codes), codes
    refused = target.attempt(target.right())
    assert refused.status_code == 429, refused.status_code
    assert WEB_MESSAGE in refused.get_data(as_text=True)
    assert "Traceback" not in refused.get_data(as_text=True)


def test_the_limit_counts_per_address_and_ends(app, make_user, tight_limits):
    """Another address is not affected, and after a reset the right password works again."""
    target = login_target(app, make_user)
    for _ in range(LIMIT):
        target.attempt(target.wrong)
    assert target.attempt(target.right()).status_code == 429
    other = app.test_client()
    user = make_user(role="field")
    token = csrf_token(other, "/auth/login")
    response = other.post(
        "/auth/login",
        data={"email": user.email, "password": DEFAULT_PASSWORD, "csrf_token": token},
        environ_base={"REMOTE_ADDR": "203.0.113.9"},
    )
    assert response.status_code == 302
    limiter.reset()
    assert target.attempt(target.right()).status_code == 302


def api_token_targets(app):
    investigation = InvestigationFactory()
    from tests.helpers.factories import UserFactory

    user = UserFactory(role="field")
    MembershipFactory(user=user, investigation=investigation)
    return user, {
        "GET /api/v1/me": ("GET", "/api/v1/me", {}),
        "POST /api/v1/.../incidents": (
            "POST",
            f"/api/v1/investigations/{investigation.reference}/incidents",
            {"json": {}},
        ),
        "POST tus create": (
            "POST",
            f"/investigations/{investigation.reference}/uploads",
            {"headers": {"Tus-Resumable": "1.0.0", "Upload-Length": "10"}},
        ),
    }


@pytest.mark.parametrize(
    "which", ["GET /api/v1/me", "POST /api/v1/.../incidents", "POST tus create"]
)
def test_wrong_api_tokens_are_rate_limited_everywhere_tokens_are_taken(
    app, app_ctx, tight_limits, which
):
    user, targets = api_token_targets(app)
    method, url, kw = targets[which]
    headers = dict(kw.pop("headers", {}))

    def attempt(secret):
        client = app.test_client()
        return client.open(
            url, method=method, headers={**headers, "Authorization": f"Bearer {secret}"}, **kw
        )

    codes = [attempt("custos_" + "x" * 43).status_code for _ in range(LIMIT)]
    assert codes == [401] * LIMIT
    refused = attempt("custos_" + "y" * 43)
    assert refused.status_code == 429
    error = error_of(refused)
    assert error["code"] == "rate_limited"
    assert "Too many requests with a wrong token" in error["message"]
    assert refused.headers["Retry-After"]
    # Right tokens are never counted: a token holder is not locked out by their own use.
    limiter.reset()
    good = ApiClient(app.test_client(), issue_token(user))
    assert [good.get("/me").status_code for _ in range(LIMIT + 2)] == [200] * (LIMIT + 2)


def test_wrong_tokens_from_an_address_never_lock_out_valid_holders_there(
    app, app_ctx, tight_limits
):
    """Colleagues behind one office router or mobile network share an address: a stranger (or
    a broken script) sending wrong tokens from it must not keep them off the API."""
    user, _ = api_token_targets(app)
    good = ApiClient(app.test_client(), issue_token(user))
    wrong = ApiClient(app.test_client(), "custos_" + "x" * 43)
    codes = [wrong.get("/me").status_code for _ in range(LIMIT * 3)]
    assert codes[:LIMIT] == [401] * LIMIT and set(codes[LIMIT:]) == {429}
    assert good.get("/me").status_code == 200
    assert wrong.get("/me").status_code == 429


# --- Costly requests: limited per person (ASVS V2.4.1, app/security/rate_limits.py) ----------

COSTLY = 2
TUS = {"Tus-Resumable": "1.0.0"}
OFFSET_TYPE = "application/offset+octet-stream"


@pytest.fixture
def tight_costly_limits(app, tmp_path, monkeypatch):
    """COSTLY requests per person for every costly kind; blobs and exports under tmp_path."""
    from tests.vault.vault_support import isolated_vault

    limiter.reset()
    for setting in (
        "CUSTOS_TUS_CREATE_RATE_LIMIT",
        "CUSTOS_TUS_PATCH_RATE_LIMIT",
        "CUSTOS_UPLOAD_RATE_LIMIT",
        "CUSTOS_API_WRITE_RATE_LIMIT",
    ):
        monkeypatch.setitem(app.config, setting, f"{COSTLY} per minute")
    monkeypatch.setitem(app.config, "CUSTOS_EXPORT_RATE_LIMIT", f"{COSTLY} per hour")
    monkeypatch.setitem(app.config, "CUSTOS_EXPORT_DIR", tmp_path / "exports")
    with isolated_vault(app, tmp_path, monkeypatch):
        yield
    limiter.reset()


def tus_creation(length: int) -> dict:
    return {"Upload-Length": str(length), "Upload-Metadata": "filename bm90ZS50eHQ="}  # note.txt


class Person:
    """A field member signed in on the web, with an API token as well."""

    def __init__(self, app, investigation):
        from tests.helpers.factories import UserFactory

        self.user = UserFactory(role="field")
        MembershipFactory(user=self.user, investigation=investigation)
        self.reference = investigation.reference
        self.web = app.test_client()
        sign_in(self.web, self.user)
        self.upload_page = f"/investigations/{self.reference}/evidence/upload"
        self.token = csrf_token(self.web, self.upload_page)
        self.api = ApiClient(app.test_client(), issue_token(self.user))

    def tus_create(self, length=10):
        headers = {**TUS, **tus_creation(length), "X-CSRFToken": self.token}
        return self.web.post(f"/investigations/{self.reference}/uploads", headers=headers)

    def tus_patch(self, url, offset, body):
        headers = {
            **TUS,
            "X-CSRFToken": self.token,
            "Upload-Offset": str(offset),
            "Content-Type": OFFSET_TYPE,
        }
        return self.web.patch(url, data=body, headers=headers)

    def web_upload(self, number):
        import io

        data = {
            "csrf_token": self.token,
            "files": [(io.BytesIO(b"Statement %d, line by line.\n" % number), f"s{number}.txt")],
        }
        return self.web.post(self.upload_page, data=data, content_type="multipart/form-data")

    def api_upload(self, number):
        body = b"Statement %d, line by line.\n" % number
        return self.api.upload(f"/investigations/{self.reference}/evidence", body, f"a{number}.txt")


def _count(model) -> int:
    from sqlalchemy import func, select

    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def _assert_refused_as_json(response, words):
    assert response.status_code == 429, response.get_data(as_text=True)
    error = error_of(response)
    assert error["code"] == "rate_limited"
    assert words in error["message"]
    assert 0 < int(response.headers["Retry-After"]) <= 61  # the minute's end, rounded up


def _assert_refused_as_page(response, words):
    assert response.status_code == 429, response.status_code
    page = response.get_data(as_text=True)
    assert response.mimetype == "text/html" and words in page
    assert "Traceback" not in page
    assert 0 < int(response.headers["Retry-After"])


@pytest.fixture
def two_people(app, app_ctx, tight_costly_limits):
    investigation = InvestigationFactory()
    return Person(app, investigation), Person(app, investigation)


def test_creating_tus_uploads_is_limited_per_person(two_people):
    from app.vault.models import UploadSession

    one, other = two_people
    assert [one.tus_create().status_code for _ in range(COSTLY)] == [201] * COSTLY
    _assert_refused_as_json(one.tus_create(), "Too many uploads were started")
    assert _count(UploadSession) == COSTLY  # the refused one left nothing behind
    assert other.tus_create().status_code == 201


def test_tus_patches_are_limited_per_person_and_what_arrived_is_kept(two_people):
    one, other = two_people
    url = one.tus_create(length=10).headers["Location"]
    codes = [one.tus_patch(url, offset, b"x").status_code for offset in range(COSTLY)]
    assert codes == [204] * COSTLY
    refused = one.tus_patch(url, COSTLY, b"y")
    _assert_refused_as_json(refused, "Everything received so far is kept")
    # HEAD is not a PATCH: the client can still ask where to resume, and nothing was appended.
    head = one.web.head(url, headers=TUS)
    assert head.status_code == 200 and head.headers["Upload-Offset"] == str(COSTLY)
    other_url = other.tus_create(length=10).headers["Location"]
    assert other.tus_patch(other_url, 0, b"z").status_code == 204
    limiter.reset()  # the next minute
    assert one.tus_patch(url, COSTLY, b"y").status_code == 204


def test_tus_limits_count_the_token_user_as_well(two_people):
    one, other = two_people
    url = f"/investigations/{one.reference}/uploads"

    def create_with_token(person):
        headers = person.api.headers({**TUS, **tus_creation(10)})
        return person.api.client.post(url, headers=headers)

    assert [create_with_token(one).status_code for _ in range(COSTLY)] == [201] * COSTLY
    # The same person signed in on the web shares the budget: it is theirs, not the token's.
    _assert_refused_as_json(one.tus_create(), "Too many uploads were started")
    _assert_refused_as_json(create_with_token(one), "Too many uploads were started")
    assert create_with_token(other).status_code == 201


def test_whole_file_uploads_share_one_budget_on_the_web_and_the_api(two_people):
    from app.vault.models import EvidenceItem

    one, other = two_people
    assert one.web_upload(1).status_code == 303
    assert one.api_upload(2).status_code == 201
    _assert_refused_as_page(one.web_upload(3), "nothing of this one was stored")
    _assert_refused_as_json(one.api_upload(4), "nothing of this one was stored")
    assert _count(EvidenceItem) == COSTLY
    assert other.web_upload(5).status_code == 303
    assert other.api_upload(6).status_code == 201
    assert _count(EvidenceItem) == COSTLY + 2


def test_api_writes_are_limited_per_token_user_and_reads_are_not(two_people):
    one, other = two_people
    path = f"/investigations/{one.reference}/incidents"
    codes = [one.api.post(path, json={}).status_code for _ in range(COSTLY)]
    assert 429 not in codes and all(code < 500 for code in codes), codes
    _assert_refused_as_json(one.api.post(path, json={}), "this request changed nothing")
    assert one.api.get("/me").status_code == 200
    assert other.api.post(path, json={}).status_code == codes[0]


def export_case(app, lawyers):
    """A case file in a new investigation that each of `lawyers` (users) may export."""
    from app.casefiles.services import casefiles
    from app.casefiles.services.frameworks import load_shipped_frameworks
    from tests.casefiles.conftest import crime

    load_shipped_frameworks()
    investigation = InvestigationFactory()
    for lawyer in lawyers:
        MembershipFactory(user=lawyer, investigation=investigation)
    casefile = casefiles.create_casefile(
        investigation,
        lawyers[0],
        "Strike on the market",
        "Was it an attack?",
        [crime("8(2)(e)(iv)").id],
    )
    db.session.commit()
    return f"/investigations/{investigation.reference}/cases/{casefile.reference}/export"


def test_export_starts_are_limited_per_person_and_only_starts_count(
    app, app_ctx, tight_costly_limits
):
    from app.casefiles.models import CaseExport
    from tests.casefiles.conftest import wait_for_job
    from tests.helpers.factories import UserFactory

    lawyer, colleague = UserFactory(role="lawyer"), UserFactory(role="lawyer")
    page = export_case(app, [lawyer, colleague])
    client = app.test_client()
    sign_in(client, lawyer)
    assert post_form(client, page, {"for_whom": ""}, page=page).status_code == 400  # not a start
    for _ in range(COSTLY):
        started = post_form(
            client,
            page,
            {"for_whom": "OTP", "unencrypted_reason": "on site", "access_reason": "verification"},
            page=page,
        )
        assert started.status_code == 302, started.status_code
        assert wait_for_job(client, started.headers["Location"] + "/progress")["finished"]
    _assert_refused_as_page(
        post_form(
            client,
            page,
            {"for_whom": "OTP", "unencrypted_reason": "on site", "access_reason": "verification"},
            page=page,
        ),
        "Too many exports were started",
    )
    assert _count(CaseExport) == COSTLY
    other = app.test_client()
    sign_in(other, colleague)
    started = post_form(
        other,
        page,
        {"for_whom": "OTP", "unencrypted_reason": "on site", "access_reason": "verification"},
        page=page,
    )
    assert started.status_code == 302
    assert wait_for_job(other, started.headers["Location"] + "/progress")["finished"]


def test_a_malformed_limit_setting_stops_the_app_at_start(monkeypatch):
    from config import ConfigurationError, TestingConfig

    monkeypatch.setenv("CUSTOS_TUS_PATCH_RATE_LIMIT", "as many as you like")
    with pytest.raises(ConfigurationError, match="CUSTOS_TUS_PATCH_RATE_LIMIT"):
        TestingConfig()
    monkeypatch.setenv("CUSTOS_TUS_PATCH_RATE_LIMIT", "30 per second; 900 per minute")
    assert TestingConfig().CUSTOS_TUS_PATCH_RATE_LIMIT == "30 per second; 900 per minute"
