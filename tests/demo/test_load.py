"""`flask demo load` on an empty database: the situation, the accounts, the banner, the guard.

The demo is loaded once for the module (conftest.py). The last test loads it again with
--force, which changes every demo password; it stays last in this file.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from app.auth.models import User
from app.casefiles.models import Annotation, CaseFile, CaseItem, ElementLink, LegalElement
from app.custody.models import LedgerEntry
from app.extensions import db
from app.intake.models import (
    ConsentRecord,
    Incident,
    Interview,
    InterviewEvidence,
    Witness,
)
from app.intake.services.sealing import verify_sealed_testimony
from app.investigations.models import Investigation, Membership
from app.vault.models import EvidenceItem
from tests.demo.conftest import printed_accounts, sign_in_printed
from tests.helpers.web import post_form

REFERENCE = "DEMO-SYR-2015"
BANNER = "Demo content — every person, quote and image is fictional"
GOVERNORATES = {"Homs", "Hama", "Idlib", "Latakia", "Aleppo"}
ACCOUNT_LINE = re.compile(
    r"^[^\t\s@]+@[^\t\s]+\t(admin|lawyer|field)\t[^\t\s]{16,}\t([A-Z2-7]{32}|-)$"
)


def demo_investigation() -> Investigation:
    return db.session.scalar(select(Investigation).where(Investigation.reference == REFERENCE))


def test_the_load_is_fast_and_says_what_it_made(loaded):
    assert loaded.seconds < 60, f"loading took {loaded.seconds:.1f} s"
    assert f"Demo investigation {REFERENCE} loaded" in loaded.output
    assert "fictional" in loaded.output


def test_more_than_25_incidents_across_the_five_governorates(demo_ctx):
    incidents = db.session.scalars(
        select(Incident).where(Incident.investigation_id == demo_investigation().id)
    ).all()
    assert len(incidents) > 25
    assert {incident.admin_area for incident in incidents} == GOVERNORATES
    # About two months from 30 September 2015, as in the report the demo is modelled on.
    assert min(i.occurred_from for i in incidents).date() >= date(2015, 9, 30)
    assert max(i.occurred_from for i in incidents).date() <= date(2015, 11, 30)
    assert all(incident.perpetrators for incident in incidents)


def test_hospitals_and_homes_hit_with_cluster_munitions_and_unguided_bombs(demo_ctx):
    incidents = db.session.scalars(
        select(Incident).where(Incident.investigation_id == demo_investigation().id)
    ).all()
    targets = {target.code for incident in incidents for target in incident.targets}
    weapons = {incident.weapon_code for incident in incidents}
    assert {"medical_facility", "residential_building"} <= targets
    assert {"cluster_munition", "unguided_bomb"} <= weapons
    assert sum(incident.killed or 0 for incident in incidents) > 0
    assert sum(incident.injured or 0 for incident in incidents) > 0


def test_accounts_are_printed_once_one_a_line_in_the_agreed_format(loaded):
    lines = [line for line in loaded.output.splitlines() if "\t" in line]
    assert len(lines) == 5
    for line in lines:
        assert ACCOUNT_LINE.match(line), line
    roles = sorted(account.role for account in loaded.accounts)
    assert roles == ["admin", "field", "field", "lawyer", "lawyer"]
    for account in loaded.accounts:
        assert (account.totp_secret == "-") == (account.role == "field")
    assert len({account.password for account in loaded.accounts}) == 5


def test_every_printed_account_signs_in_with_its_password_and_totp_secret(loaded, clients):
    # `clients` signed each account in with the printed password and a code computed from the
    # printed secret; each session now reaches a page behind the sign-in.
    for account in loaded.accounts:
        response = clients[account.email].get("/auth/settings")
        assert response.status_code == 200
        assert account.email in response.get_data(as_text=True)


def test_lawyers_and_field_staff_are_members_the_admin_is_not(demo_ctx, loaded, clients):
    investigation = demo_investigation()
    members = {
        m.user.email: m
        for m in db.session.scalars(
            select(Membership).where(Membership.investigation_id == investigation.id)
        )
    }
    admin = loaded.account("admin")
    assert admin.email not in members
    assert {a.email for a in loaded.accounts if a.role != "admin"} == set(members)
    seeing = [email for email, m in members.items() if m.may_see_identities]
    assert len(seeing) == 1 and members[seeing[0]].user.role == "lawyer"
    # Admins see content only as members: the investigation answers 404 to the admin.
    assert clients[admin.email].get(f"/investigations/{REFERENCE}/incidents").status_code == 404
    lawyer = loaded.account("lawyer")
    assert clients[lawyer.email].get(f"/investigations/{REFERENCE}/incidents").status_code == 200


def test_witnesses_have_consent_and_some_withdrew_one_purpose(demo_ctx):
    investigation = demo_investigation()
    witnesses = db.session.scalars(
        select(Witness).where(Witness.investigation_id == investigation.id)
    ).all()
    assert len(witnesses) >= 6
    purposes = ("interview", "legal_proceedings", "un_sharing", "publication", "named")
    withdrawn_one = 0
    for witness in witnesses:
        records = db.session.scalars(
            select(ConsentRecord)
            .where(ConsentRecord.witness_id == witness.id)
            .order_by(ConsentRecord.seq)
        ).all()
        assert records and records[0].kind == "given"
        if records[-1].kind == "withdrawn":
            before, after = records[-2], records[-1]
            dropped = [p for p in purposes if before.allows(p) and not after.allows(p)]
            withdrawn_one += len(dropped) == 1
    assert withdrawn_one >= 2


def test_interviews_include_sealed_testimony_and_drafts(demo_ctx):
    interviews = db.session.scalars(
        select(Interview).where(Interview.investigation_id == demo_investigation().id)
    ).all()
    sealed = [i for i in interviews if i.is_sealed]
    drafts = [i for i in interviews if not i.is_sealed]
    assert len(sealed) >= 3 and len(drafts) >= 2
    assert all(verify_sealed_testimony(interview) for interview in sealed)
    assert any(interview.addenda for interview in sealed)
    assert any(not interview.first_hand for interview in interviews)  # hearsay is recorded


def test_photos_videos_and_recordings_are_stored_and_attached(demo_ctx):
    investigation = demo_investigation()
    items = db.session.scalars(
        select(EvidenceItem).where(EvidenceItem.investigation_id == investigation.id)
    ).all()
    kinds = [item.kind for item in items]
    assert kinds.count("photo") >= 10 and kinds.count("video") >= 2 and kinds.count("audio") >= 2
    assert "document" in kinds  # the party's statement
    for item in items:
        if item.kind in ("photo", "video"):
            assert any(d.kind == "thumbnail" for d in item.derivatives), item.kind
    roles = {
        link.role
        for link in db.session.scalars(
            select(InterviewEvidence)
            .join(Interview)
            .where(Interview.investigation_id == investigation.id)
        )
    }
    assert roles == {"recording", "attachment"}


def test_every_photo_and_video_is_linked_to_its_incident(demo_ctx):
    from app.demo.scenario import load_scenario
    from app.vault.incident_links import IncidentEvidence

    investigation = demo_investigation()
    links = db.session.execute(
        select(EvidenceItem.kind, IncidentEvidence.shows, Incident)
        .join(IncidentEvidence, IncidentEvidence.evidence_id == EvidenceItem.id)
        .join(Incident, Incident.id == IncidentEvidence.incident_id)
        .where(EvidenceItem.investigation_id == investigation.id)
    ).all()
    media = db.session.scalar(
        select(func.count())
        .select_from(EvidenceItem)
        .where(
            EvidenceItem.investigation_id == investigation.id,
            EvidenceItem.kind.in_(("photo", "video")),
        )
    )
    assert len(links) == media
    assert {shows for _kind, shows, _incident in links} >= {"aftermath", "weapon_remnant"}
    scenario = load_scenario()
    expected = {scenario.incident(spec.incident).place for spec in scenario.photos}
    # The place is sealed (app/intake/particulars.py): read from the opened incident.
    assert {i.place_name for kind, _shows, i in links if kind == "photo"} == expected
    entries = db.session.scalar(
        select(func.count())
        .select_from(LedgerEntry)
        .where(
            LedgerEntry.investigation_id == investigation.id,
            LedgerEntry.action == "linked_to_incident",
        )
    )
    assert entries == media


def test_photos_carry_exif_gps_and_time_matching_their_incident(demo_ctx):
    photos = db.session.scalars(
        select(EvidenceItem).where(
            EvidenceItem.investigation_id == demo_investigation().id, EvidenceItem.kind == "photo"
        )
    ).all()
    assert photos
    for photo in photos:
        fields = json.loads(photo.extracted_metadata)["fields"]
        gps = fields["gps"]
        captured = datetime.fromisoformat(fields["captured_at"])
        link = db.session.scalar(
            select(InterviewEvidence).where(InterviewEvidence.evidence_id == photo.id)
        )
        interview = db.session.get(Interview, link.interview_id)
        matching = [
            incident
            for incident in interview.incidents
            if abs(incident.latitude - gps["latitude"]) < 0.002
            and abs(incident.longitude - gps["longitude"]) < 0.002
            and incident.occurred_from.date()
            <= captured.date()
            <= (incident.occurred_to or incident.occurred_from).date() + timedelta(days=1)
        ]
        assert matching, (photo.id, gps, captured)
        assert "fictional" in fields["model"]  # the file itself says it is generated


def test_a_draft_case_file_maps_evidence_to_the_elements_of_crimes(demo_ctx):
    investigation = demo_investigation()
    casefiles = db.session.scalars(
        select(CaseFile).where(CaseFile.investigation_id == investigation.id)
    ).all()
    draft = next(c for c in casefiles if c.status == "draft")
    assert {"8(2)(b)(i)", "8(2)(b)(ii)", "8(2)(b)(ix)"} <= {
        crime.code for crime in draft.characterizations
    }
    linked = db.session.scalars(
        select(LegalElement)
        .join(ElementLink, ElementLink.element_id == LegalElement.id)
        .where(ElementLink.casefile_id == draft.id, ElementLink.stance == "supporting")
    ).all()
    assert {element.crime.code for element in linked} >= {"8(2)(b)(i)", "8(2)(b)(ix)"}
    # A second lawyer's case file waits for review (four eyes: the other lawyer approves).
    assert any(c.status == "in_review" and c.author_id != draft.author_id for c in casefiles)


def test_the_party_denial_is_recorded_as_its_response(demo_ctx):
    draft = db.session.scalar(
        select(CaseFile).where(
            CaseFile.investigation_id == demo_investigation().id, CaseFile.status == "draft"
        )
    )
    responses = [
        a
        for a in db.session.scalars(select(Annotation).where(Annotation.casefile_id == draft.id))
        if a.body.startswith("Party's response")
    ]
    assert len(responses) == 1
    item = db.session.get(CaseItem, responses[0].case_item_id)
    statement = db.session.get(EvidenceItem, item.item_id)
    assert item.item_type == "evidence" and statement.kind == "document"
    stances = {link.stance for link in item.links}
    assert stances == {"undermining"}


def test_an_interview_with_two_photos_arrived_from_a_phone_over_openrosa(demo_ctx):
    from app.openrosa.models import DeviceCredential, OpenRosaSubmission

    investigation = demo_investigation()
    [submission] = db.session.scalars(
        select(OpenRosaSubmission).where(OpenRosaSubmission.investigation_id == investigation.id)
    ).all()
    interview = db.session.get(Interview, submission.interview_id)
    assert submission.completed_at is not None and not interview.is_sealed
    assert [i.place_name for i in interview.incidents] == ["Sarmin"]
    photos = {a.evidence_id for a in submission.attachments}
    assert len(photos) == 2 and {link.evidence_id for link in interview.evidence_links} == photos
    channels = {
        json.loads(entry.body)["details"].get("channel")
        for entry in db.session.scalars(
            select(LedgerEntry).where(
                LedgerEntry.investigation_id == investigation.id,
                LedgerEntry.action == "received",
                LedgerEntry.object_id.in_(photos),
            )
        )
    }
    assert channels == {"openrosa"}
    made = db.session.scalars(
        select(LedgerEntry).where(
            LedgerEntry.investigation_id == investigation.id,
            LedgerEntry.action == "received_via_openrosa",
        )
    ).all()
    assert [json.loads(entry.body)["object"]["id"] for entry in made] == [interview.id]
    # The phone that sent it was revoked: the demo prints no phone credential.
    devices = db.session.scalars(select(DeviceCredential)).all()
    assert devices and all(device.revoked_at is not None for device in devices)


def test_custody_verify_passes_after_loading(loaded):
    result = loaded.app.test_cli_runner().invoke(args=["custody", "verify"])
    assert result.exit_code == 0, result.output
    assert f"OK {REFERENCE}:" in result.stdout


def test_every_page_shows_the_demo_banner(loaded, clients, demo_ctx):
    investigation = demo_investigation()
    incident = db.session.scalar(
        select(Incident).where(Incident.investigation_id == investigation.id).limit(1)
    )
    draft = db.session.scalar(
        select(CaseFile).where(
            CaseFile.investigation_id == investigation.id, CaseFile.status == "draft"
        )
    )
    field, lawyer, admin = (loaded.account(role) for role in ("field", "lawyer", "admin"))
    pages = [
        (loaded.app.test_client(), "/auth/login"),
        (clients[field.email], "/"),
        (clients[field.email], f"/investigations/{REFERENCE}"),
        (clients[field.email], f"/investigations/{REFERENCE}/incidents"),
        (clients[field.email], f"/investigations/{REFERENCE}/incidents/{incident.id}"),
        (clients[field.email], f"/investigations/{REFERENCE}/witnesses"),
        (clients[lawyer.email], f"/investigations/{REFERENCE}/interviews"),
        (clients[lawyer.email], f"/investigations/{REFERENCE}/evidence"),
        (clients[lawyer.email], f"/investigations/{REFERENCE}/cases/{draft.reference}"),
        (clients[admin.email], "/admin/users"),
        (clients[admin.email], "/no-such-page"),
    ]
    for client, url in pages:
        response = client.get(url)
        assert response.status_code in (200, 404), (url, response.status_code)
        assert BANNER in response.get_data(as_text=True), url


def test_a_second_load_refuses_and_if_empty_leaves_the_demo_alone(demo_ctx, loaded):
    runner = loaded.app.test_cli_runner()
    again = runner.invoke(args=["demo", "load"])
    assert again.exit_code == 1
    assert "already loaded" in again.output and "--force" in again.output
    assert "\t" not in again.output  # no new credentials printed
    if_empty = runner.invoke(args=["demo", "load", "--if-empty"])
    assert if_empty.exit_code == 0 and "already loaded" in if_empty.output
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Investigation.id))) == 1


def test_make_run_creates_no_first_admin_once_the_demo_is_loaded(demo_ctx, loaded):
    # `make run` runs `demo load --if-empty` then `users first-run`: the demo's accounts are
    # the way in, so first-run finds accounts and creates none.
    result = loaded.app.test_cli_runner().invoke(args=["users", "first-run"])
    assert result.exit_code == 0 and "sign in with your account" in result.output
    db.session.expire_all()
    assert db.session.scalar(select(func.count(User.id))) == 5


def test_force_loads_another_copy_with_fresh_credentials(demo_ctx, loaded):
    # Last in the module: every demo account gets a new password and TOTP secret.
    result = loaded.app.test_cli_runner().invoke(args=["demo", "load", "--force"])
    assert result.exit_code == 0, (result.output, result.exception)
    assert f"Demo investigation {REFERENCE}-2 loaded" in result.stdout
    fresh = printed_accounts(result.stdout)
    assert {a.email for a in fresh} == {a.email for a in loaded.accounts}
    assert not {a.password for a in fresh} & {a.password for a in loaded.accounts}
    db.session.expire_all()
    assert db.session.scalar(select(func.count(User.id))) == 5
    assert db.session.scalar(select(func.count(Investigation.id))) == 2
    for account in (next(a for a in fresh if a.role == r) for r in ("field", "lawyer")):
        sign_in_printed(loaded.app.test_client(), account)
    old = loaded.account("field")
    refused = post_form(
        loaded.app.test_client(), "/auth/login", {"email": old.email, "password": old.password}
    )
    assert refused.status_code == 401 and "not correct" in refused.get_data(as_text=True)
    verify = loaded.app.test_cli_runner().invoke(args=["custody", "verify"])
    assert verify.exit_code == 0, verify.output
    assert f"OK {REFERENCE}-2:" in verify.stdout
