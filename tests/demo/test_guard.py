"""The demo never mixes into real data unless forced, and no banner shows without it."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.auth.models import User
from app.demo.banner import STATE_KEY, mark_demo_loaded, marker_path
from app.demo.loader import load_demo
from app.demo.presence import DEMO_REFERENCE
from app.demo.scenario import load_scenario
from app.demo.world import DemoLoadFailed
from app.extensions import db
from app.intake.models import Interview, Witness
from app.investigations.models import Investigation
from tests.helpers.factories import InvestigationFactory

BANNER = "Demo content — every person, quote and image is fictional"


def run(app, *args):
    return app.test_cli_runner().invoke(args=["demo", "load", *args])


def test_a_database_with_a_real_account_is_refused_without_force(app, app_ctx, make_user):
    make_user(email="real.person@example.org", role="lawyer")
    result = run(app)
    assert result.exit_code == 1
    assert "real data" in result.output and "--force" in result.output
    db.session.expire_all()
    assert db.session.scalar(select(func.count(User.id))) == 1
    assert db.session.scalar(select(func.count(Investigation.id))) == 0


def test_a_database_with_a_real_investigation_is_refused_without_force(app, app_ctx):
    InvestigationFactory(reference="INV-2024-REAL-01")
    result = run(app)
    assert result.exit_code == 1 and "real data" in result.output
    db.session.expire_all()
    assert db.session.scalar(select(func.count(User.id))) == 0


def test_if_empty_leaves_a_database_with_real_data_alone(app, app_ctx, make_user):
    make_user(email="real.person@example.org")
    result = run(app, "--if-empty")
    assert result.exit_code == 0 and "not loaded" in result.output
    assert "\t" not in result.output
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Investigation.id))) == 0


def test_force_and_if_empty_together_is_a_usage_error(app, app_ctx):
    result = run(app, "--force", "--if-empty")
    assert result.exit_code == 2 and "contradict" in result.output


def test_no_banner_without_the_demo(app, client):
    page = client.get("/auth/login").get_data(as_text=True)
    assert BANNER not in page and "demo-banner" not in page


@pytest.fixture
def forget_banner(app):
    """The session's app must not keep a banner answer about rows this test made."""
    yield
    marker_path(app).unlink(missing_ok=True)
    app.extensions.pop(STATE_KEY, None)


def test_pages_ask_the_database_again_only_when_a_load_is_signalled(
    app, app_ctx, client, forget_banner
):
    assert BANNER not in client.get("/auth/login").get_data(as_text=True)
    InvestigationFactory(reference=DEMO_REFERENCE)  # the demo's investigation, as a load makes
    # No query per page: the answer stands until `demo load` rewrites the marker ...
    assert BANNER not in client.get("/auth/login").get_data(as_text=True)
    mark_demo_loaded(app, "demo loaded: test")
    # ... and then the next page asks again.
    assert BANNER in client.get("/auth/login").get_data(as_text=True)


SMALL_SCENARIO = """
investigation: {reference: DEMO-SYR-2015, title: "Demo: small", description: "Fictional."}
perpetrator: "Demo party (fictional)"
accounts:
  - {key: admin, email: admin@demo.custos.example, name: "Admin (fictional)", role: admin}
  - {key: field, email: field@demo.custos.example, name: "Field (fictional)", role: field,
     member: true}
incidents:
  - {key: one, by: field, date: 2015-10-15, certainty: day, place: Talbiseh, governorate: Homs,
     lat: 34.84, lon: 36.73, precision_m: 800, weapon: unguided_bomb,
     targets: [residential_building], killed: 1, description: "Fictional demo record."}
witnesses:
  - key: w-one
    by: field
    name: "W (fictional)"
    born: "1980"
    contact: "(fictional)"
    location: "(fictional)"
    risk: low
    consent: {interview: false, legal_proceedings: false, un_sharing: false, publication: false,
              named: false, obtained_on: 2015-11-01, language: Arabic}
interviews:
  - {key: i-one, by: field, witness: w-one, conducted_on: 2015-11-02, mode: in_person,
     languages: [ar], interpreter: {present: false}, first_hand: true, incidents: [one], seal: true,
     transcript: "[Fictional testimony]"}
party_response: {key: response, by: field, issued_on: 2015-12-23, filename: r.txt,
                 text: "DEMO CONTENT - FICTIONAL TEXT."}
casefiles: []
"""


def test_a_refused_step_is_named_and_what_was_left_is_said(app, app_ctx, tmp_path):
    path = tmp_path / "small.yaml"
    path.write_text(SMALL_SCENARIO, encoding="utf-8")
    # Sealing needs the witness's consent to be interviewed; this one gave none.
    with pytest.raises(DemoLoadFailed) as refused:
        load_demo(scenario=load_scenario(path))
    message = str(refused.value)
    assert message.startswith("interview i-one: witness_id: no_interview_consent.")
    assert "holds part of the demo (DEMO-SYR-2015)" in message and "--force" in message
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Interview.id))) == 0  # the refused step: nothing
    assert db.session.scalar(select(func.count(Witness.id))) == 1  # earlier steps stay
