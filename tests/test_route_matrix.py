"""Every route × every role × member/non-member, generated from the app's URL map.

A new route is covered the moment it is registered: if it takes a URL parameter this file does
not know how to fill, the test fails and asks for one. Expectations:
- anonymous: redirected to sign in (401 JSON under /api/), unless the endpoint is public;
- a role the view does not allow (its @role_required): 403;
- a signed-in non-member asking for investigation content: 404;
- otherwise the page works (< 400; an empty POST may be refused as invalid with 400).
"""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path

import pytest

from app.auth.gate import PUBLIC_ENDPOINTS
from app.vault.resumable import create_upload
from tests.casefiles.builders import make_case_records
from tests.conftest import make_config
from tests.helpers.factories import InvestigationFactory, MembershipFactory, UserFactory
from tests.helpers.media import make_photo_evidence
from tests.helpers.web import csrf_token, sign_in
from tests.intake.builders import make_incident, make_interview, make_witness

PERSONAS = [
    ("field", True),
    ("field", False),
    ("lawyer", True),
    ("lawyer", False),
    ("admin", True),
    ("admin", False),
]


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
PRIVATE_RULES = [r for r in RULES if r[0] not in PUBLIC_ENDPOINTS]


class World:
    """One investigation, a member of it, and an account to act on."""

    def __init__(self):
        self.investigation = InvestigationFactory()
        self.subject = UserFactory(role="field")
        self.membership = MembershipFactory(user=self.subject, investigation=self.investigation)
        # Intake records owned by the subject, a field worker (see intake_expectation).
        self.incident = make_incident(self.investigation, self.subject)
        self.witness = make_witness(self.investigation, self.subject)
        self.interview = make_interview(
            self.investigation, self.subject, self.witness, incidents=[self.incident]
        )
        # Evidence with its derivatives (vault reading pages).
        self.evidence = make_photo_evidence(self.investigation, self.subject)
        self.derivative = self.evidence.derivatives[0]
        # A resumable (tus) upload in progress, the subject's (see UPLOADER_ONLY).
        self.upload = create_upload(self.investigation, self.subject, "matrix.txt", None, 100)
        # A case file holding the evidence (lawyers' pages), and the shipped legal frameworks.
        self.case = make_case_records(
            self.investigation, self.evidence, removed=("incident", self.incident.id)
        )
        # A four-eyes request another administrator made about the subject (admin approvals).
        self.approval = make_approval_request(self.subject)
        # Consent the subject's witness withdrew, then asked back (a pending re-grant).
        self.regrant = make_regrant(self.witness, self.subject, self.evidence)

    def fill(self, rule: str) -> str:
        values = {
            "reference": self.investigation.reference,
            "user_id": self.subject.id,
            "membership_id": self.membership.id,
            "incident_id": self.incident.id,
            "witness_id": self.witness.id,
            "interview_id": self.interview.id,
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
        }
        url = rule
        for name, value in values.items():
            url = url.replace(f"<{name}>", str(value))
        assert "<" not in url, f"add a value for the parameters of {rule} in World.fill"
        return url


def make_regrant(witness, subject, document):
    from app.extensions import db
    from app.intake.services.consent import record_consent, withdrawal
    from app.intake.services.consent_regrants import request_regrant
    from tests.intake.builders import consent_input

    record_consent(witness, subject, withdrawal("Arabic"))
    regrant = request_regrant(witness, subject, consent_input(), document.id)
    db.session.commit()
    return regrant


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


def request(client, method: str, url: str):
    if method == "GET":
        return client.get(url)
    token = csrf_token(client, "/auth/login")
    return client.post(url, data={"csrf_token": token})


# Intake (issue 5, item 5): World.subject, a field worker, owns the witness, the interview and
# the evidence item (submissions are private to field staff too).
# Another field member must not see them at all (404, as for a record that does not exist); a
# reviewer (a lawyer member) sees them, but only their owner changes them (403). Admins are
# members with the field role here (MembershipFactory), so they are treated as field members.
OWNED_BY_SUBJECT = ("<witness_id>", "<interview_id>", "<evidence_id>")
OWNER_ONLY = frozenset(
    {
        "intake.edit_interview",
        "intake.seal_interview",
        "intake.link_interview_evidence",
        "intake.unlink_interview_evidence",
        "intake.edit_witness",  # a reviewer edits a witness only with may_see_identities
    }
)
AUTHOR_OR_REVIEWER = frozenset({"intake.edit_incident"})


def intake_expectation(endpoint: str, rule: str, role: str) -> int | None:
    reviewer = role == "lawyer"
    if any(param in rule for param in OWNED_BY_SUBJECT) and not reviewer:
        return 404
    if endpoint in OWNER_ONLY and reviewer:
        return 403
    if endpoint in AUTHOR_OR_REVIEWER and not reviewer:
        return 403
    return None


# Vault (issue 3): an upload in progress answers its uploader alone; for any other member it
# does not exist (404), so nobody can append to, read the progress of, or cancel another's upload.
UPLOADER_ONLY = "<upload_id>"

# Case-file exports (issue 15, item 4): an export answers its requester alone (World's export
# was asked for by the case file's author); for any other lawyer member it does not exist.
REQUESTER_ONLY = "<export_id>"


def takes_investigation_content(rule: str, roles: frozenset[str] | None) -> bool:
    return "<" in rule and not (roles and roles <= {"admin"})


@pytest.mark.parametrize("endpoint,rule,method", RULES, ids=[r[0] for r in RULES])
def test_anonymous_is_sent_to_sign_in(app, app_ctx, endpoint, rule, method):
    world = World()
    client = app.test_client()
    response = request(client, method, world.fill(rule))
    if endpoint in PUBLIC_ENDPOINTS:
        assert response.status_code < 500
        assert "/auth/login?" not in response.headers.get("Location", "")
    elif rule.startswith(("/api/", "/drafts")):  # JSON callers learn it (app/auth/gate.py)
        assert response.status_code == 401
    else:
        assert response.status_code == 302, response.status_code
        assert response.headers["Location"].startswith("/auth/login")


@pytest.mark.parametrize(
    "role,is_member", PERSONAS, ids=[f"{r}-{'member' if m else 'outsider'}" for r, m in PERSONAS]
)
@pytest.mark.parametrize("endpoint,rule,method", PRIVATE_RULES, ids=[r[0] for r in PRIVATE_RULES])
def test_role_and_membership_decide_access(app, app_ctx, endpoint, rule, method, role, is_member):
    world = World()
    user = UserFactory(role=role)
    if is_member:
        MembershipFactory(user=user, investigation=world.investigation)
    client = app.test_client()
    sign_in(client, user)
    response = request(client, method, world.fill(rule))
    roles = getattr(app.view_functions[endpoint], "custos_roles", None)
    if rule.startswith("/api/"):
        # The API takes tokens only, never the session cookie: tests/api/test_api_matrix.py
        # runs this matrix there with tokens.
        assert response.status_code == 401
    elif roles and role not in roles:
        assert response.status_code == 403
    elif takes_investigation_content(rule, roles) and not is_member:
        assert response.status_code == 404
    elif is_member and UPLOADER_ONLY in rule:
        assert response.status_code == 404, endpoint
    elif is_member and REQUESTER_ONLY in rule:
        assert response.status_code == 404, endpoint
    elif is_member and intake_expectation(endpoint, rule, role):
        assert response.status_code == intake_expectation(endpoint, rule, role), endpoint
    elif method == "POST":
        # An empty form may be refused as invalid (400), but never as forbidden or missing.
        assert response.status_code not in (401, 403, 404) and response.status_code < 500
    else:
        assert response.status_code < 400, (response.status_code, endpoint)
