"""A capture proof's claims compared like the file's own facts: the capture time and place a
C2PA manifest or a ProofMode proof claims, against what the uploader stated and the incident
the item is tied to, as findings to weigh on the item page, in the API and in provenance.json.
The vectors are signed at run time (tests/provenance/c2pa_vectors.py, proofmode_vectors.py)."""

from __future__ import annotations

import json
from datetime import date

import pytest
from markupsafe import escape
from sqlalchemy import select

from app.consistency.models import ConsistencyCheck
from app.extensions import db
from app.provenance.models import ProvenanceCheck
from app.vault.incident_links import UploadLink
from app.vault.models import EvidenceItem
from app.vault.upload.stream import begin_intake
from tests.duplicates.support import Team, ensure_keys, jpeg, scene
from tests.helpers.web import csrf_token, sign_in
from tests.intake.builders import make_incident
from tests.provenance.c2pa_vectors import (
    EXIF_CLAIMS,
    MANIFEST,
    flip_image_byte,
    make_authority,
    signed_jpeg,
)
from tests.provenance.proofmode_vectors import bundle, make_phone

# The vectors claim 2016-04-27 10:15 UTC at 36.2021, 37.1343 (C2PA: "36,12.125N", "37,8.058E").
STATED_THERE = {"captured_at": "2016-04-27T10:15", "location": "36.2021, 37.1343"}
STATED_ELSEWHERE = {"captured_at": "2016-03-01T09:00", "location": "35.5, 36.5"}
WITH_PLACE = {**MANIFEST, "assertions": [*MANIFEST["assertions"], EXIF_CLAIMS]}


@pytest.fixture(scope="module")
def authority():
    return make_authority()


@pytest.fixture(scope="module")
def phone():
    made = make_phone()
    yield made
    made.close()


@pytest.fixture
def trust_list(app, tmp_path, authority, monkeypatch):
    path = tmp_path / "anchors.pem"
    path.write_text(authority.root_pem)
    monkeypatch.setitem(app.config, "CUSTOS_C2PA_TRUST_ANCHORS", str(path))


@pytest.fixture
def team(app_ctx):
    return Team()


def add(team, data: bytes, facts=None, incident=None, filename: str = "file.jpg"):
    """Through intake, tied to `incident` in the intake transaction, then processed."""
    ensure_keys()
    link = UploadLink(incident.id, "aftermath", "") if incident is not None else None
    writer = begin_intake(
        team.investigation,
        team.lawyer,
        filename,
        facts,
        len(data),
        on_recorded=link.apply if link else None,
    )
    writer.write(data)
    item_id = writer.finish().id
    db.session.expire_all()
    return db.session.get(EvidenceItem, item_id)


def latest(item) -> dict:
    stmt = select(ConsistencyCheck).where(ConsistencyCheck.evidence_id == item.id)
    return json.loads(
        list(db.session.scalars(stmt.order_by(ConsistencyCheck.checked_at)))[-1].result
    )


def outcomes(result: dict, source: str) -> dict[str, str]:
    return {c["check"]: c["outcome"] for c in result["checks"] if c["source"] == source}


def detail(result: dict, source: str, check: str) -> dict:
    (found,) = [c for c in result["checks"] if (c["source"], c["check"]) == (source, check)]
    return found["detail"]


def test_a_c2pa_claim_that_agrees_with_the_statement_and_the_incident_is_consistent(
    team, trust_list, authority
):
    incident = make_incident(team.investigation, team.lawyer)  # 2016-04-27, 50 m radius
    item = add(team, signed_jpeg(authority, 3, WITH_PLACE), STATED_THERE, incident)
    result = latest(item)
    assert outcomes(result, "c2pa") == {
        "time_vs_stated": "consistent",
        "place_vs_stated": "consistent",
        "time_vs_incident": "consistent",
        "place_vs_incident": "consistent",
    }
    (proof,) = result["proofs"]
    assert (proof["source"], proof["verdict"]) == ("c2pa", "trusted")
    assert result["format"] == "custos-consistency-v2"


def test_a_c2pa_claim_far_from_the_statement_and_the_incident_is_four_findings(
    team, trust_list, authority
):
    incident = make_incident(
        team.investigation, team.lawyer, start_date=date(2016, 5, 9), latitude=36.0
    )
    item = add(team, signed_jpeg(authority, 3, WITH_PLACE), STATED_ELSEWHERE, incident)
    result = latest(item)
    assert set(outcomes(result, "c2pa").values()) == {"mismatch"}
    found = detail(result, "c2pa", "place_vs_incident")
    assert found["distance_m"] > 20_000 and found["radius_m"] == 50
    (check,) = db.session.scalars(
        select(ConsistencyCheck).where(ConsistencyCheck.evidence_id == item.id)
    )
    assert check.findings == 4  # the file's own metadata gives nothing to compare


def test_the_claims_of_an_invalid_manifest_are_compared_and_carry_its_verdict(
    team, trust_list, authority
):
    broken = flip_image_byte(signed_jpeg(authority, 3, WITH_PLACE))
    item = add(team, broken, STATED_ELSEWHERE)
    result = latest(item)
    assert outcomes(result, "c2pa")["time_vs_stated"] == "mismatch"
    claim = next(c for c in result["checks"] if c["source"] == "c2pa")
    assert claim["detail"]["proof_verdict"] == "invalid"


def test_a_photo_without_a_manifest_compares_its_own_facts_only(team, trust_list):
    item = add(team, jpeg(scene(5)), STATED_THERE)
    result = latest(item)
    assert {c["source"] for c in result["checks"]} == {"file"} and result["proofs"] == []


def test_a_proofmode_claim_is_compared_with_its_accuracy(team, phone):
    incident = make_incident(team.investigation, team.lawyer, latitude=36.2031, precision_m=50)
    item = add(team, bundle(phone), STATED_THERE, incident, filename="proof.zip")
    result = latest(item)
    # 111 m from the incident: past its 50 m radius plus the fix's 12 m accuracy.
    assert outcomes(result, "proofmode") == {
        "time_vs_stated": "consistent",
        "place_vs_stated": "consistent",
        "time_vs_incident": "consistent",
        "place_vs_incident": "mismatch",
    }
    found = detail(result, "proofmode", "place_vs_incident")
    assert found["allowed_m"] == 62 and found["proof_verdict"] == "valid_untrusted"


def test_the_item_page_shows_the_claims_findings_beside_their_source(
    client, team, trust_list, authority
):
    item = add(team, signed_jpeg(authority, 3, WITH_PLACE), STATED_ELSEWHERE)
    sign_in(client, team.lawyer)
    page = client.get(team.item_url(item)).get_data(as_text=True)
    assert "Claimed by its C2PA manifest (verdict: trusted)" in page
    assert str(escape("The file's metadata (EXIF, ffprobe)")) in page
    assert "Capture time: claimed 2016-04-27T10:15:00Z, stated 2016-03-01T09:00" in page
    assert "2 findings to weigh" in page and "never a verdict" in page


def test_the_api_and_the_recheck_carry_each_checks_source(client, team, trust_list, authority):
    from tests.api.helpers import ApiClient, issue_token

    item = add(team, signed_jpeg(authority, 3, WITH_PLACE), STATED_ELSEWHERE)
    sign_in(client, team.lawyer)
    token = csrf_token(client, team.item_url(item))
    response = client.post(team.item_url(item, "/consistency"), data={"csrf_token": token})
    assert response.status_code == 302
    api = ApiClient(client, issue_token(team.lawyer))
    body = api.get(f"/investigations/{team.ref}/evidence/{item.id}").get_json()
    newest, first = body["consistency_checks"]
    for check in (newest, first):
        claims = [c for c in check["checks"] if c["source"] == "c2pa"]
        assert [c["outcome"] for c in claims] == ["mismatch", "mismatch"]
        provenance_id = db.session.scalar(
            select(ProvenanceCheck.id).where(ProvenanceCheck.evidence_id == item.id)
        )
        assert claims[0]["detail"]["proof_check_id"] == provenance_id


def test_without_the_identity_grant_the_claims_findings_are_counted_not_shown(
    client, app_ctx, trust_list, authority
):
    from tests.api.helpers import ApiClient, issue_token

    team = Team(identities=False)
    item = add(team, signed_jpeg(authority, 3, WITH_PLACE), STATED_ELSEWHERE)
    sign_in(client, team.lawyer)
    page = client.get(team.item_url(item)).get_data(as_text=True)
    assert "2 findings to weigh" in page and "Claimed by its C2PA manifest" not in page
    api = ApiClient(client, issue_token(team.lawyer))
    (check,) = api.get(f"/investigations/{team.ref}/evidence/{item.id}").get_json()[
        "consistency_checks"
    ]
    assert check["findings"] == 2 and "checks" not in check


def test_a_result_from_before_claims_were_compared_reads_as_the_files_own(client, team):
    """A custos-consistency-v1 result has no `source`: its checks compared the file alone."""
    import hashlib
    from datetime import timedelta

    from app.timeutil import utcnow

    item = add(team, jpeg(scene(5)), STATED_THERE)
    document = {
        "format": "custos-consistency-v1",
        "checks": [{"check": "time_vs_stated", "outcome": "mismatch", "detail": {}}],
    }
    text = json.dumps(document)
    db.session.add(
        ConsistencyCheck(
            evidence_id=item.id,
            investigation_id=item.investigation_id,
            result=text,
            result_sha256=hashlib.sha256(text.encode()).hexdigest(),
            findings=1,
            checked_at=utcnow() + timedelta(minutes=1),
        )
    )
    db.session.commit()
    sign_in(client, team.lawyer)
    page = client.get(team.item_url(item)).get_data(as_text=True)
    assert str(escape("The file's metadata (EXIF, ffprobe)")) in page
    from tests.api.helpers import ApiClient, issue_token

    api = ApiClient(client, issue_token(team.lawyer))
    newest = api.get(f"/investigations/{team.ref}/evidence/{item.id}").get_json()[
        "consistency_checks"
    ][0]
    assert newest["checks"] == [
        {"source": "file", "check": "time_vs_stated", "outcome": "mismatch", "detail": {}}
    ]
