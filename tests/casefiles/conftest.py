"""Case-file fixtures: organisation keys, the shipped frameworks, and a realistic small case."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest

from app.extensions import db
from tests.helpers.factories import InvestigationFactory, MembershipFactory, UserFactory
from tests.intake.builders import consent_input, make_incident, make_interview, make_witness

# Identity strings that must never leave in an export unless the naming rule allows it.
HIDDEN_NAME = "Yasmin Haddad-Qasimi"
HIDDEN_CONTACT = "+963 944 512 873"
HIDDEN_LOCATION = "Building 7, Zahraa street, Al-Waer"
NAMED_NAME = "Omar Khalil-Darwish"
WITHDRAWN_NAME = "Rania Sabbagh-Noury"


@pytest.fixture(autouse=True)
def _organisation_keys(request: pytest.FixtureRequest):
    if "app" not in request.fixturenames:
        yield
        return
    app = request.getfixturevalue("app")
    from app.security import org_keys

    with app.app_context():
        if not org_keys.keys_initialised():
            org_keys.init_keys(org_keys.keys_dir(), org_keys.master_key())
    yield


@pytest.fixture
def export_dir(app, tmp_path, monkeypatch):
    path = tmp_path / "exports"
    monkeypatch.setitem(app.config, "CUSTOS_EXPORT_DIR", path)
    return path


@pytest.fixture
def frameworks(app_ctx):
    from app.casefiles.services.frameworks import load_shipped_frameworks

    load_shipped_frameworks()
    db.session.commit()


def crime(code: str):
    from sqlalchemy import select

    from app.casefiles.models import LegalCrime

    return db.session.scalar(select(LegalCrime).where(LegalCrime.code == code))


def element(crime_code: str, element_code: str):
    return next(e for e in crime(crime_code).elements if e.code == element_code)


@dataclass
class CaseWorld:
    investigation: Any
    author: Any
    reviewer: Any
    field: Any
    incident: Any
    witness: Any  # first-hand, consents to legal use, not to being named
    hearsay_witness: Any  # consents to everything including being named
    withdrawn_witness: Any  # consented, then withdrew
    interview: Any  # first-hand, sealed
    hearsay_interview: Any  # not first-hand, sealed
    withdrawn_interview: Any  # sealed, consent later withdrawn
    photo: Any
    casefile: Any = None
    items: dict = field(default_factory=dict)


def _sealed_interview(investigation, user, witness, incident, **overrides):
    from app.intake.services.sealing import seal_testimony

    interview = make_interview(investigation, user, witness, incidents=[incident], **overrides)
    seal_testimony(interview, user)
    db.session.commit()
    return interview


@pytest.fixture
def world(app_ctx, frameworks):
    """An investigation with two lawyers, a field worker, testimony and a photo."""
    from app.intake.services.consent import withdraw_consent
    from tests.helpers.media import make_photo_evidence

    investigation = InvestigationFactory(reference="INV-2016-SYR-07")
    author = UserFactory(role="lawyer", email="author@example.org", name="Author Lawyer")
    reviewer = UserFactory(role="lawyer", email="reviewer@example.org", name="Second Lawyer")
    field_user = UserFactory(role="field", email="field@example.org")
    MembershipFactory(user=author, investigation=investigation, may_see_identities=True)
    MembershipFactory(user=reviewer, investigation=investigation)
    MembershipFactory(user=field_user, investigation=investigation)
    incident = make_incident(investigation, field_user)
    witness = make_witness(
        investigation,
        field_user,
        consent=consent_input(named=False),
        full_name=HIDDEN_NAME,
        contact=HIDDEN_CONTACT,
        current_location=HIDDEN_LOCATION,
        date_of_birth="1984",
    )
    hearsay_witness = make_witness(
        investigation, field_user, full_name=NAMED_NAME, contact="omar.kd@example.net"
    )
    withdrawn_witness = make_witness(investigation, field_user, full_name=WITHDRAWN_NAME)
    interview = _sealed_interview(
        investigation,
        field_user,
        witness,
        incident,
        transcript=(
            f"My name is {HIDDEN_NAME}. Call me on {HIDDEN_CONTACT.replace(' ', '')}. "
            "I saw the second strike hit the entrance of the hospital."
        ),
    )
    hearsay_interview = _sealed_interview(
        investigation,
        field_user,
        hearsay_witness,
        incident,
        first_hand=False,
        transcript=f"My cousin told me about the strike. I am {NAMED_NAME}.",
    )
    withdrawn_interview = _sealed_interview(
        investigation,
        field_user,
        withdrawn_witness,
        incident,
        transcript="WITHDRAWN-TESTIMONY-MARKER: I was at the market.",
    )
    withdraw_consent(withdrawn_witness, field_user, "Arabic", date(2016, 6, 1))
    db.session.commit()
    photo = make_photo_evidence(investigation, field_user, filename=f"{HIDDEN_NAME} entrance.jpg")
    return CaseWorld(
        investigation=investigation,
        author=author,
        reviewer=reviewer,
        field=field_user,
        incident=incident,
        witness=witness,
        hearsay_witness=hearsay_witness,
        withdrawn_witness=withdrawn_witness,
        interview=interview,
        hearsay_interview=hearsay_interview,
        withdrawn_interview=withdrawn_interview,
        photo=photo,
    )


@pytest.fixture
def built_case(world):
    """world + a case file holding every item, with links, grades, notes and a corroboration."""
    from app.casefiles.services import assessments, casefiles

    investigation, author = world.investigation, world.author
    casefile = casefiles.create_casefile(
        investigation,
        author,
        "Strike on Al-Quds hospital",
        "Did the strike amount to attacking a protected object?",
        [crime("8(2)(e)(iv)").id, crime("8(2)(e)(i)").id],
    )
    items = {}
    for name, item_type, obj in (
        ("incident", "incident", world.incident),
        ("interview", "interview", world.interview),
        ("hearsay", "interview", world.hearsay_interview),
        ("withdrawn", "interview", world.withdrawn_interview),
        ("photo", "evidence", world.photo),
    ):
        items[name] = casefiles.add_item(casefile, investigation, author, item_type, obj.id)
    casefiles.link_element(
        casefile,
        author,
        items["interview"],
        element("8(2)(e)(iv)", "1").id,
        "supporting",
        f"Eyewitness; {HIDDEN_NAME} saw the strike.",
    )
    casefiles.link_element(
        casefile, author, items["photo"], element("8(2)(e)(iv)", "2").id, "supporting", "Damage."
    )
    casefiles.link_element(
        casefile, author, items["hearsay"], element("8(2)(e)(iv)", "3").id, "supporting", ""
    )
    assessments.assess_item(casefile, author, items["interview"], "B", 2, "Consistent account.")
    assessments.annotate_item(casefile, author, items["photo"], "Check the shadow angle.")
    assessments.corroborate(casefile, author, items["interview"], items["photo"].id, "Same gate.")
    db.session.commit()
    world.casefile = casefile
    world.items = items
    return world


@pytest.fixture
def approved_case(built_case):
    """built_case approved for referral by the second lawyer (four eyes, as the workflow asks)."""
    from app.casefiles.services.workflow import transition

    world = built_case
    transition(world.investigation, world.casefile, world.author, "in_review", "Ready.")
    transition(
        world.investigation,
        world.casefile,
        world.reviewer,
        "approved",
        "Checked.",
        gaps_confirmed=True,
    )
    db.session.commit()
    return world


def wait_for_job(client, url: str, timeout: float = 120.0) -> dict:
    """Poll the JSON progress endpoint as job_progress.js does, until the job finishes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = client.get(url)
        assert response.status_code == 200, response.status_code
        body = response.get_json()
        if body["finished"]:
            return body
        time.sleep(0.2)
    raise AssertionError(f"job did not finish within {timeout}s")


def require_binary(name: str) -> str:
    import shutil

    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed: run `make system-deps`")
    return path


@pytest.fixture
def lawyer_client(signed_in):
    return signed_in


def new_user(role: str, **kw):
    return UserFactory(role=role, **kw)
