"""Every route × every persona in and around an investigation, generated from the app's URL map.

The expected status of each persona comes from tests/route_expectations.py, a table written
apart from the routes: nothing is read from the views under test, so removing a view's
`@role_required` or its membership check turns this matrix red. A route is covered the moment
it is registered: one without a line in the table, or with a URL parameter World cannot fill,
fails until someone decides who may reach it. API routes take tokens, not the session cookie:
tests/api/test_api_matrix.py runs the same table there.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from app.api.auth import SIGNED_BODY_ENDPOINTS
from app.vault.tus.sessions import create_upload
from tests import route_expectations as table
from tests.casefiles.builders import make_case_records
from tests.conftest import make_config
from tests.helpers.factories import InvestigationFactory, MembershipFactory, UserFactory
from tests.helpers.media import jpeg_with_exif, make_photo_evidence
from tests.helpers.web import csrf_token, sign_in
from tests.intake.builders import make_incident, make_interview, make_witness


def collect_url_rules() -> list[tuple[str, str, frozenset[str]]]:
    """(endpoint, rule, methods) of every route of a freshly built app, static files aside."""
    from app import create_app

    instance = Path(tempfile.mkdtemp(prefix="custos-rules-"))
    app = create_app(make_config("sqlite://", instance))
    return sorted(
        (rule.endpoint, rule.rule, frozenset(rule.methods))
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
    )


URL_RULES = collect_url_rules()
RULES = [(e, r, "GET" if "GET" in m else "POST") for e, r, m in URL_RULES]
# The cosign witness takes no token (its body is signed): it is checked persona by persona
# like a page (WITNESS_OFF: 404 for every persona, whatever session it has).
WEB_RULES = [r for r in RULES if not r[1].startswith("/api/") or r[0] in SIGNED_BODY_ENDPOINTS]
# Token endpoints.
API_RULES = [r for r in RULES if r[1].startswith("/api/") and r[0] not in SIGNED_BODY_ENDPOINTS]


class World:
    """One investigation, a member of it, and an account to act on."""

    def __init__(self, export_requester=None):
        self.investigation = InvestigationFactory()
        self.subject = UserFactory(role="field")
        self.membership = MembershipFactory(user=self.subject, investigation=self.investigation)
        # Intake records owned by the subject, a field worker (FIELD_A in route_expectations).
        self.incident = make_incident(self.investigation, self.subject)
        self.witness = make_witness(self.investigation, self.subject)
        self.interview = make_interview(
            self.investigation, self.subject, self.witness, incidents=[self.incident]
        )
        # A translation draft of it by the subject (the translation pages); services refuse to
        # translate a draft testimony, so the row is written as it would be stored.
        self.translation = make_translation_row(self.interview, self.subject)
        # Evidence with its derivatives (vault reading pages).
        self.photo = jpeg_with_exif()
        self.evidence = make_photo_evidence(self.investigation, self.subject, self.photo)
        self.derivative = self.evidence.derivatives[0]
        # The same photo sent again: an exact duplicate linked to it (reviewers decide links).
        make_photo_evidence(self.investigation, self.subject, self.photo)
        self.duplicate = self.evidence_links_of(self.evidence)[0]
        # A resumable (tus) upload in progress, the subject's (UPLOADER_ONLY in the table).
        self.upload = create_upload(self.investigation, self.subject, "matrix.txt", None, 100)
        # A case file holding the evidence (lawyers' pages), and the shipped legal frameworks.
        if export_requester is not None:
            MembershipFactory(user=export_requester, investigation=self.investigation)
        self.case = make_case_records(
            self.investigation,
            self.evidence,
            export_requester,
            removed=("incident", self.incident.id),
        )
        # A four-eyes request another administrator made about the subject (admin approvals).
        self.approval = make_approval_request(self.subject)
        # Consent the subject's witness withdrew, then asked back (a pending re-grant).
        self.regrant = make_regrant(self.witness, self.subject, self.evidence)
        # A legal hold on the subject's witness (the retention pages).
        self.hold = make_legal_hold(self.witness)
        # The URL parameters, read now: a World shared through a database snapshot outlives
        # the session that loaded its rows.
        self.values = {
            "reference": self.investigation.reference,
            "user_id": self.subject.id,
            "membership_id": self.membership.id,
            "incident_id": self.incident.id,
            "witness_id": self.witness.id,
            "interview_id": self.interview.id,
            "translation_id": self.translation.id,
            "evidence_id": self.evidence.id,
            "derivative_id": self.derivative.id,
            "upload_id": self.upload.id,
            "case_ref": self.case.casefile.reference,
            "item_id": self.case.item.id,
            "link_id": self.case.link.id,
            "removal_id": self.case.removal.id,
            "export_id": self.case.export.id,
            "framework_code": self.case.framework_code,
            "request_id": self.approval.id,
            "regrant_id": self.regrant.id,
            "duplicate_id": self.duplicate.id,
            "hold_id": self.hold.id,
            "form_id": "custos_interview",
            "vocabulary": "custody_action",
        }

    @staticmethod
    def evidence_links_of(item):
        from sqlalchemy import select

        from app.duplicates.models import EvidenceLink
        from app.extensions import db

        return list(
            db.session.scalars(select(EvidenceLink).where(EvidenceLink.first_id == item.id))
        )

    def fill(self, rule: str) -> str:
        url = rule
        for name, value in self.values.items():
            url = url.replace(f"<{name}>", str(value))
        assert "<" not in url, f"add a value for the parameters of {rule} in World.fill"
        return url


def make_translation_row(interview, translator):
    from app.extensions import db
    from app.intake.models import Translation

    translation = Translation(
        investigation_id=interview.investigation_id,
        interview_id=interview.id,
        source_hash="0" * 64,
        source_language="ar",
        target_language="en",
        translator_id=translator.id,
        text="A translation draft (route matrix).",
    )
    db.session.add(translation)
    db.session.commit()
    return translation


def make_regrant(witness, subject, document):
    from app.extensions import db
    from app.intake.services.consent import record_consent, withdrawal
    from app.intake.services.consent_regrants import request_regrant
    from tests.intake.builders import consent_input

    record_consent(witness, subject, withdrawal("Arabic"))
    regrant = request_regrant(witness, subject, consent_input(), document.id)
    db.session.commit()
    return regrant


def make_legal_hold(witness):
    from app.extensions import db
    from app.retention.models import LegalHold

    hold = LegalHold(
        investigation_id=witness.investigation_id,
        target_type="witness",
        target_id=witness.id,
        target_label=witness.code,
        authority="Court",
        authority_reference="ORD-1",
        reason="Trial",
        placed_by_id=witness.created_by_id,
    )
    db.session.add(hold)
    db.session.commit()
    return hold


def make_approval_request(subject):
    from app.admin.approvals.models import ApprovalKind, ApprovalRequest
    from app.extensions import db
    from app.timeutil import utcnow

    now = utcnow()
    approval = ApprovalRequest(
        kind=ApprovalKind.RESET_SECOND_FACTOR.value,
        requested_by_id=UserFactory(role="admin").id,
        target_user_id=subject.id,
        created_at=now,
        expires_at=now + timedelta(days=1),
    )
    db.session.add(approval)
    db.session.commit()
    return approval


def send(client, method: str, url: str):
    if method == "GET":
        return client.get(url)
    token = csrf_token(client, "/auth/login")
    return client.post(url, data={"csrf_token": token})


def world_and_user(persona: str):
    """The investigation with A's records, and the account acting as `persona` (None: anonymous).

    Every persona but the outsiders is a member of World's investigation; the lawyer without
    the identity grant is the one who asked for the case file's export.
    """
    if persona == table.LAWYER:
        user = UserFactory(role="lawyer")
        return World(export_requester=user), user
    world = World()
    if persona == table.ANONYMOUS:
        return world, None
    if persona == table.FIELD_A:
        return world, world.subject
    account_role, membership = {
        table.FIELD_B: ("field", {"role": "field"}),
        table.LAWYER_ID: ("lawyer", {"role": "lawyer", "may_see_identities": True}),
        table.LAWYER_AS_FIELD: ("lawyer", {"role": "field"}),
        table.ADMIN_MEMBER: ("admin", {"role": "lead"}),
        table.ADMIN_OUTSIDER: ("admin", None),
        table.FIELD_OUTSIDER: ("field", None),
        table.LAWYER_OUTSIDER: ("lawyer", None),
    }[persona]
    user = UserFactory(role=account_role)
    if membership is not None:
        MembershipFactory(user=user, investigation=world.investigation, **membership)
    return world, user


def meets(outcome, response, method: str, json_caller: bool) -> bool:
    """Whether a response is what the table's outcome promises (see route_expectations.py)."""
    status = response.status_code
    if outcome == table.PUBLIC:
        return status < 500 and "/auth/login?" not in response.headers.get("Location", "")
    if outcome == table.LOGIN:
        if json_caller:
            return status == 401
        return status == 302 and response.headers["Location"].startswith("/auth/login")
    if outcome == table.OK:
        if method == "GET":
            return status < 400
        return status not in (401, 403, 404) and status < 500
    if outcome == table.REFUSED:
        return status in (403, 404)
    return status == outcome


def expectation_for(endpoint: str, persona: str, request_node) -> object:
    """The table's outcome; a known gap is marked strict xfail so its closing is noticed."""
    assert endpoint in table.EXPECTATIONS, (
        f"{endpoint} is not in tests/route_expectations.py: decide who may reach it"
    )
    policy = table.EXPECTATIONS[endpoint]
    if persona in policy.gaps:
        request_node.add_marker(pytest.mark.xfail(reason=policy.gaps[persona], strict=True))
    return policy.outcome(persona)


def test_the_table_names_only_endpoints_that_exist():
    endpoints = {endpoint for endpoint, _rule, _method in RULES}
    assert set(table.EXPECTATIONS) - endpoints == set()


def test_the_table_gives_every_persona_an_outcome():
    incomplete = {
        endpoint: set(table.PERSONAS) - set(policy.outcomes)
        for endpoint, policy in table.EXPECTATIONS.items()
        if set(table.PERSONAS) - set(policy.outcomes)
    }
    assert incomplete == {}


@dataclass(frozen=True)
class SignedInWorld:
    """A World and the cookies of the persona signed in to it (none for the anonymous)."""

    world: World
    cookies: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, app, world: World, client) -> SignedInWorld:
        """The World with the cookies `client` holds (the session of whoever signed in)."""
        names = (app.config["SESSION_COOKIE_NAME"], app.config.get("REMEMBER_COOKIE_NAME", ""))
        cookies = tuple(
            (name, cookie.value)
            for name in names
            if (cookie := client.get_cookie(name)) is not None
        )
        return cls(world, cookies)

    def client(self, app):
        """A fresh test client carrying the persona's session, as its browser would."""
        client = app.test_client()
        for name, value in self.cookies:
            client.set_cookie(name, value)
        return client


def signed_in_world(app, persona: str) -> SignedInWorld:
    world, user = world_and_user(persona)
    client = app.test_client()
    if user is not None:
        sign_in(client, user)
    return SignedInWorld.of(app, world, client)


def persona_world(app, shared_worlds, persona: str) -> SignedInWorld:
    """The persona's World, built once and put back from its snapshot before every test."""
    return shared_worlds.get(persona, lambda: signed_in_world(app, persona))


# Persona by persona, so that the tests of one persona run together and share its World.
PERSONA_RULES = [(persona, *rule) for persona in table.PERSONAS for rule in WEB_RULES]


@pytest.mark.parametrize(
    "persona,endpoint,rule,method", PERSONA_RULES, ids=[f"{r[1]}-{r[0]}" for r in PERSONA_RULES]
)
def test_each_persona_gets_what_the_table_says(
    app, app_ctx, shared_worlds, request, endpoint, rule, method, persona
):
    expected = expectation_for(endpoint, persona, request.node)
    signed_in = persona_world(app, shared_worlds, persona)
    response = send(signed_in.client(app), method, signed_in.world.fill(rule))
    assert meets(expected, response, method, json_caller=rule.startswith("/drafts")), (
        endpoint,
        persona,
        response.status_code,
        expected,
    )


@pytest.mark.parametrize("endpoint,rule,method", API_RULES, ids=[r[0] for r in API_RULES])
def test_the_api_refuses_the_session_cookie(app, app_ctx, shared_worlds, endpoint, rule, method):
    """A signed-in browser cannot drive the API (no CSRF there): tokens only, so 401."""
    signed_in = persona_world(app, shared_worlds, table.FIELD_A)  # World's subject
    response = send(signed_in.client(app), method, signed_in.world.fill(rule))
    assert response.status_code == 401
