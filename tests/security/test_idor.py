"""IDOR: an id of another investigation's record, put in a URL of one's own, is a 404.

tests/test_route_matrix.py and tests/api/test_api_matrix.py prove that a non-member gets 404
for a whole investigation and that field staff get 404 for another field worker's witness,
interview, evidence (with its derivatives, stream and download) and upload. What they cannot
see, having one investigation, is a member of investigation B writing B's reference in the URL
with the id of an object of investigation A (or an id of a child object under another parent:
A's derivative under B's evidence item, A's export under B's case file). That is this file:
every rule of the URL map with an object id, web and API, each object id swapped in turn.
A baseline with B's own ids must work for the same person, so the 404 is the swap's doing.
"""

from __future__ import annotations

import re
import uuid

import pytest

from tests.api.helpers import ApiClient, issue_token
from tests.helpers.factories import MembershipFactory, UserFactory
from tests.helpers.web import csrf_token, sign_in
from tests.test_route_matrix import URL_RULES, World

# Ids of records that belong to one investigation (or to a parent record in it).
OBJECT_PARAMS = frozenset(
    {
        "incident_id",
        "witness_id",
        "interview_id",
        "evidence_id",
        "derivative_id",
        "upload_id",
        "case_ref",
        "item_id",
        "link_id",
        "export_id",
        "membership_id",
        "removal_id",
        "regrant_id",
        "duplicate_id",
        "hold_id",
    }
)
# Parameters that are not investigation content: the investigation itself (its membership is
# the route matrix's business), accounts (administrators act on every account) and the
# legal frameworks, which are shared reference data; four-eyes requests are about accounts and
# shown to every administrator. An OpenRosa `form_id` names one of the forms Custos publishes
# (the same names in every investigation, not a row); which investigation a device may reach
# is checked with its credential (tests/openrosa/test_refusals.py: another investigation's
# address is 404).
NOT_OBJECT_PARAMS = frozenset({"reference", "user_id", "framework_code", "request_id", "form_id"})
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# The API's unlink names a link (interview, evidence) in its path; an evidence id that is not
# linked to the interview is refused as a field error, 422 unknown_evidence (documented), for
# one's own evidence and anyone else's alike. Another investigation's id must get exactly the
# answer a made-up id gets, so nothing about it is revealed.
LINK_NOT_FOUND_AS_FIELD_ERROR = frozenset({("api.unlink_interview_evidence", "evidence_id")})
# Routes any member reaches but only a second reviewer may act on (not field staff, not the
# one who asked): a consent re-grant is decided by a lawyer of the investigation.
# So are a suggested duplicate (confirmed or rejected), a legal hold's release (asked for) and
# a ProofMode key pinned for its sender.
DECIDED_BY_A_REVIEWER = frozenset(
    {
        "intake.witness_regrant",
        "duplicates.duplicate_decision",
        "retention.request_release",
        "provenance.proofmode_key_pin",
        "provenance.wacz_key_pin",
        "provenance.wacz_key_unpin",
    }
)
# Routes only a member holding the identity grant may use (issue 15): revealing a witness's
# identity. The field worker who registered the witness does not hold it and is refused (403).
NEEDS_THE_IDENTITY_GRANT = frozenset({"intake.reveal_witness_identity"})
# Downloading an original asks why first (app/accesslog): every request here states a reason,
# the swapped ones as the baseline, so the 404s are the ids' doing and not a missing reason.
REASON = {"X-Access-Reason": "verification"}


def params_of(rule: str) -> list[str]:
    return re.findall(r"<(?:[a-z_]+:)?([a-z_]+)>", rule)


CASES = [
    (endpoint, rule, method)
    for endpoint, rule, methods in URL_RULES
    if set(params_of(rule)) & OBJECT_PARAMS
    for method in METHODS
    if method in methods
]


def values_of(world: World) -> dict[str, str]:
    return {
        "reference": world.investigation.reference,
        "user_id": world.subject.id,
        "membership_id": world.membership.id,
        "incident_id": world.incident.id,
        "witness_id": world.witness.id,
        "interview_id": world.interview.id,
        "evidence_id": world.evidence.id,
        "derivative_id": world.derivative.id,
        "upload_id": world.upload.id,
        "case_ref": world.case.casefile.reference,
        "item_id": world.case.item.id,
        "link_id": world.case.link.id,
        "export_id": world.case.export.id,
        "framework_code": world.case.framework_code,
        "removal_id": world.case.removal.id,
        "regrant_id": world.regrant.id,
        "duplicate_id": world.duplicate.id,
        "hold_id": world.hold.id,
    }


def fill(rule: str, values: dict[str, str]) -> str:
    return re.sub(r"<(?:[a-z_]+:)?([a-z_]+)>", lambda m: str(values[m.group(1)]), rule)


def test_every_url_parameter_is_classified():
    found = {param for _, rule, _ in URL_RULES for param in params_of(rule)}
    assert found - OBJECT_PARAMS - NOT_OBJECT_PARAMS == set(), "classify it in this file"
    assert len(CASES) >= 50


def persona_for(app, endpoint: str, world: World):
    """Who in `world` may use this endpoint on its own records (the baseline must work)."""
    roles = getattr(app.view_functions[endpoint], "custos_roles", None)
    if endpoint.startswith("casefiles.export_"):
        # An export answers its requester alone (issue 15): the lawyer who asked for it.
        from app.auth.models import User
        from app.extensions import db

        return db.session.get(User, world.case.export.requested_by_id)
    if endpoint.startswith("admin."):
        user = UserFactory(role="admin")
    elif (roles and "field" not in roles) or endpoint in (
        DECIDED_BY_A_REVIEWER | NEEDS_THE_IDENTITY_GRANT
    ):
        user = UserFactory(role="lawyer")
    else:
        return world.subject  # the field worker who made the witness, interview and evidence
    MembershipFactory(user=user, investigation=world.investigation, may_see_identities=True)
    return user


class Caller:
    """Web (session + CSRF token) or API (bearer token) requests as one person."""

    def __init__(self, app, user, api: bool):
        self.api = api
        if api:
            self.client = ApiClient(app.test_client(), issue_token(user))
        else:
            self.client = app.test_client()
            sign_in(self.client, user)
            self.token = csrf_token(self.client, "/auth/settings")

    def send(self, method: str, url: str):
        if self.api:
            return self.client.open(url, method, json={}, headers=REASON)
        if method == "GET":
            return self.client.get(url, headers=REASON)
        headers = {"X-CSRFToken": self.token, "Tus-Resumable": "1.0.0", **REASON}
        return self.client.open(
            url, method=method, data={"csrf_token": self.token}, headers=headers
        )


READS = [case for case in CASES if case[2] == "GET"]
WRITES = [case for case in CASES if case[2] != "GET"]


class Pair:
    """Investigation A (the victim's) and B (the caller's), and a caller per kind of person."""

    def __init__(self, app):
        self.app = app
        self.victim, self.own = World(), World()
        self.theirs, self.mine = values_of(self.victim), values_of(self.own)
        self.callers: dict[tuple, Caller] = {}

    def caller(self, endpoint: str, rule: str) -> Caller:
        roles = getattr(self.app.view_functions[endpoint], "custos_roles", None)
        requester_only = endpoint.startswith("casefiles.export_")
        lawyer_only = endpoint in DECIDED_BY_A_REVIEWER | NEEDS_THE_IDENTITY_GRANT
        api = rule.startswith("/api/")
        key = (endpoint.startswith("admin."), requester_only, lawyer_only, roles, api)
        if key not in self.callers:
            user = persona_for(self.app, endpoint, self.own)
            self.callers[key] = Caller(self.app, user, api=api)
        return self.callers[key]

    def wrong_answers(self, endpoint: str, rule: str, method: str) -> dict[str, int]:
        caller = self.caller(endpoint, rule)
        swaps = [
            p
            for p in params_of(rule)
            if p in OBJECT_PARAMS and str(self.theirs[p]) != str(self.mine[p])
        ]
        assert swaps, "the two investigations should not share an id"
        wrong = {}
        for param in swaps:
            response = caller.send(method, fill(rule, {**self.mine, param: self.theirs[param]}))
            expected = 404
            if (endpoint, param) in LINK_NOT_FOUND_AS_FIELD_ERROR:
                made_up = caller.send(method, fill(rule, {**self.mine, param: str(uuid.uuid4())}))
                expected = made_up.status_code
                assert expected == 422, expected
            if response.status_code != expected:
                wrong[param] = response.status_code
        return wrong

    def baseline(self, endpoint: str, rule: str, method: str) -> int:
        return self.caller(endpoint, rule).send(method, fill(rule, self.mine)).status_code


def test_reading_with_another_investigations_ids_is_not_found(app, app_ctx):
    pair = Pair(app)
    wrong = {}
    for endpoint, rule, method in READS:
        answers = pair.wrong_answers(endpoint, rule, method)
        if answers:
            wrong[f"{method} {rule}"] = answers
        baseline = pair.baseline(endpoint, rule, method)
        if baseline >= 400:
            wrong[f"{method} {rule} (own ids)"] = baseline
    assert wrong == {}


@pytest.mark.parametrize("endpoint,rule,method", WRITES, ids=[f"{c[0]}-{c[2]}" for c in WRITES])
def test_writing_with_another_investigations_ids_is_not_found(app, app_ctx, endpoint, rule, method):
    pair = Pair(app)
    assert pair.wrong_answers(endpoint, rule, method) == {}
    # The same request with the caller's own ids is not refused as forbidden or missing (an
    # empty form may be refused as invalid), so the 404s above are the swapped ids' doing.
    baseline = pair.baseline(endpoint, rule, method)
    assert baseline not in (401, 403, 404) and baseline < 500, (endpoint, baseline)


def test_api_evidence_total_counts_only_what_field_staff_may_see(app, app_ctx):
    """The list's `total` follows the field-staff rule too: no count of others' submissions."""
    world = World()  # its subject, a field worker, uploaded one photo and then the same again
    other = UserFactory(role="field")
    MembershipFactory(user=other, investigation=world.investigation)
    reviewer = UserFactory(role="lawyer")
    MembershipFactory(user=reviewer, investigation=world.investigation)
    path = f"/investigations/{world.investigation.reference}/evidence"
    uploader = ApiClient(app.test_client(), issue_token(other))
    for name in ("one.txt", "two.txt"):
        assert uploader.upload(path, b"field notes\n" + name.encode(), name).status_code == 201
    for user, expected in ((world.subject, 2), (other, 2), (reviewer, 4)):
        body = ApiClient(app.test_client(), issue_token(user)).get(path).get_json()
        assert body["total"] == expected == len(body["items"]), (user.role, body["total"])
