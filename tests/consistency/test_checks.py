"""Consistency checks of real items: run in processing, kept, re-run as new entries, shown as
findings to those who may see capture facts, and tied to incidents through interviews."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest
from sqlalchemy import select

from app.consistency.incidents import incidents_for
from app.consistency.models import ConsistencyCheck
from app.custody.models import LedgerEntry
from app.extensions import db
from app.intake.services.interviews import link_evidence
from tests.duplicates.support import Team, add_item
from tests.helpers.factories import MembershipFactory, UserFactory
from tests.helpers.media import jpeg_with_exif
from tests.helpers.web import csrf_token, sign_in
from tests.intake.builders import make_incident, make_interview, make_witness

STATED = {"captured_at": "2016-04-27T10:15", "location": "36.2021, 37.1343"}


@pytest.fixture
def team(app_ctx):
    return Team()


def checks_of(item) -> list[ConsistencyCheck]:
    stmt = select(ConsistencyCheck).where(ConsistencyCheck.evidence_id == item.id)
    return list(db.session.scalars(stmt.order_by(ConsistencyCheck.checked_at)))


def entries(action: str = "consistency_checked") -> list[LedgerEntry]:
    return list(
        db.session.scalars(
            select(LedgerEntry).where(LedgerEntry.action == action).order_by(LedgerEntry.seq)
        )
    )


def tie_to_incident(team, item, **incident):
    """The item becomes part of an interview about an incident (today's only tie)."""
    found = make_incident(team.investigation, team.lawyer, **incident)
    witness = make_witness(team.investigation, team.lawyer, full_name="A. Witness")
    interview = make_interview(team.investigation, team.lawyer, witness, incidents=[found])
    link_evidence(interview, team.lawyer, item.id, "attachment")
    db.session.commit()
    return found


def test_processing_checks_each_item_once_and_records_the_digest(team):
    item = add_item(team.investigation, team.lawyer, jpeg_with_exif(), facts=STATED)
    (check,) = checks_of(item)
    (entry,) = entries()
    assert entry.object_id == item.id
    assert f'"result_sha256":"{check.result_sha256}"'.encode() in entry.body
    assert hashlib.sha256(check.result.encode()).hexdigest() == check.result_sha256


def test_a_file_time_years_from_the_stated_time_is_a_finding(team):
    item = add_item(team.investigation, team.lawyer, jpeg_with_exif(), facts=STATED)
    (check,) = checks_of(item)  # the photo says 2024-05-01, the uploader 2016-04-27
    assert check.findings == 1
    assert '"check":"time_vs_stated","detail"' in check.result
    assert '"outcome":"mismatch"' in check.result


def test_an_item_reaches_its_incidents_through_its_interview(team):
    item = add_item(team.investigation, team.lawyer, jpeg_with_exif())
    assert incidents_for(item) == []
    incident = tie_to_incident(team, item)
    assert [i.id for i in incidents_for(item)] == [incident.id]


def test_an_item_reaches_an_incident_it_is_linked_to_directly(team):
    from app.intake.services.evidence_links import link_to_incident
    from app.investigations.viewer import viewer_of
    from app.vault.incident_links import UploadLink

    item = add_item(team.investigation, team.lawyer, jpeg_with_exif())
    incident = make_incident(team.investigation, team.lawyer)
    viewer = viewer_of(team.investigation, team.lawyer)
    link_to_incident(viewer, item, UploadLink(incident_id=incident.id, shows="aftermath", note=""))
    db.session.commit()
    assert [i.id for i in incidents_for(item)] == [incident.id]


def test_a_recheck_is_a_new_entry_and_the_first_check_stays_as_it_was(client, team):
    item = add_item(team.investigation, team.lawyer, jpeg_with_exif(captured="2016:04:27 10:15:30"))
    (first,) = checks_of(item)
    first_result = first.result
    tie_to_incident(team, item, start_date=date(2016, 5, 9))
    sign_in(client, team.lawyer)
    url = team.item_url(item, "/consistency")
    response = client.post(url, data={"csrf_token": csrf_token(client, team.item_url(item))})
    assert response.status_code == 302
    db.session.expire_all()
    first_again, second = checks_of(item)
    assert first_again.result == first_result and first_again.findings == 0
    assert second.findings == 1  # the photo is from 12 days before the incident
    assert second.checked_by_id == team.lawyer.id
    assert [e.object_id for e in entries()] == [item.id, item.id]


def test_findings_are_shown_to_weigh_never_as_a_verdict(client, team):
    item = add_item(team.investigation, team.lawyer, jpeg_with_exif(), facts=STATED)
    sign_in(client, team.lawyer)
    page = client.get(team.item_url(item)).get_data(as_text=True)
    assert "1 findings to weigh" in page
    assert "Does not match" in page and "never a verdict" in page


def test_a_member_without_the_identity_grant_sees_the_count_not_the_times(client, app_ctx):
    team = Team(identities=False)
    item = add_item(team.investigation, team.lawyer, jpeg_with_exif(), facts=STATED)
    sign_in(client, team.lawyer)
    page = client.get(team.item_url(item)).get_data(as_text=True)
    assert "1 findings to weigh" in page
    assert "2024-05-01" not in page and "36.2021" not in page


def test_a_recheck_needs_the_csrf_token(client, team):
    item = add_item(team.investigation, team.lawyer, jpeg_with_exif())
    sign_in(client, team.lawyer)
    assert client.post(team.item_url(item, "/consistency")).status_code == 400
    assert len(checks_of(item)) == 1


def test_a_member_who_cannot_see_the_item_cannot_recheck_it(client, team):
    item = add_item(team.investigation, team.field_a, jpeg_with_exif())
    sign_in(client, team.field_b)
    token = csrf_token(client, f"/investigations/{team.ref}/evidence")
    response = client.post(team.item_url(item, "/consistency"), data={"csrf_token": token})
    assert response.status_code == 404
    assert len(checks_of(item)) == 1


def test_a_non_member_gets_404(client, team):
    item = add_item(team.investigation, team.lawyer, jpeg_with_exif())
    outsider = UserFactory(role="lawyer")
    MembershipFactory(user=outsider)
    db.session.commit()
    sign_in(client, outsider)
    token = csrf_token(client, "/auth/settings")
    response = client.post(team.item_url(item, "/consistency"), data={"csrf_token": token})
    assert response.status_code == 404


def test_the_api_gives_the_checks_and_hides_their_content_without_the_grant(client, app_ctx):
    from tests.api.helpers import ApiClient, issue_token

    team = Team(identities=False)
    item = add_item(team.investigation, team.lawyer, jpeg_with_exif(), facts=STATED)
    api = ApiClient(client, issue_token(team.lawyer))
    body = api.get(f"/investigations/{team.ref}/evidence/{item.id}").get_json()
    (check,) = body["consistency_checks"]
    assert check["findings"] == 1 and "checks" not in check


def test_the_result_is_sealed_at_rest(team):
    from sqlalchemy import text

    item = add_item(team.investigation, team.lawyer, jpeg_with_exif(), facts=STATED)
    raw = db.session.execute(
        text("SELECT result FROM consistency_checks WHERE evidence_id = :id"), {"id": item.id}
    ).scalar_one()
    assert b"time_vs_stated" not in bytes(raw) and b"2024-05-01" not in bytes(raw)
