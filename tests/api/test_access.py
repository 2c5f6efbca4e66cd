"""Who sees what through the API: the web's membership and field-staff rules, unchanged.

Field staff A cannot list, view, change or guess-by-id field staff B's witnesses or
testimony; other investigations' objects answer 404; identities only with the flag.
"""

from __future__ import annotations

import pytest

from tests.api.helpers import (
    assert_conforms,
    error_of,
    incident_body,
    interview_body,
    witness_body,
)


@pytest.fixture
def b_records(world):
    """A witness and a draft interview registered by field worker B, through the API."""
    api_b = world.api(world.field_b)
    witness = api_b.post(world.path("/witnesses"), json=witness_body()).get_json()
    interview = api_b.post(world.path("/interviews"), json=interview_body(witness["id"])).get_json()
    return witness, interview


def test_field_worker_lists_only_own_witnesses_and_interviews(world, b_records):
    api_a = world.api(world.field_a)
    mine = api_a.post(world.path("/witnesses"), json=witness_body()).get_json()
    witnesses = api_a.get(world.path("/witnesses")).get_json()
    assert [w["id"] for w in witnesses["items"]] == [mine["id"]]
    assert witnesses["total"] == 1
    interviews = api_a.get(world.path("/interviews")).get_json()
    assert interviews["items"] == [] and interviews["total"] == 0


@pytest.mark.parametrize(
    "path",
    [
        "/witnesses/{witness}",
        "/interviews/{interview}",
        "/interviews?witness_id={witness}",
    ],
)
def test_field_worker_cannot_view_or_guess_another_workers_records(world, b_records, path):
    witness, interview = b_records
    response = world.api(world.field_a).get(
        world.path(path.format(witness=witness["id"], interview=interview["id"]))
    )
    if "?" in path:  # a filter on someone else's witness finds nothing
        assert response.status_code == 200 and response.get_json()["items"] == []
    else:
        assert response.status_code == 404
        assert error_of(response)["code"] == "not_found"


def test_field_worker_cannot_change_another_workers_testimony(world, b_records):
    witness, interview = b_records
    api_a = world.api(world.field_a)
    base = world.path(f"/interviews/{interview['id']}")
    attempts = [
        api_a.put(base, json=interview_body(witness["id"], transcript="rewritten")),
        api_a.post(base + "/seal"),
        api_a.post(base + "/addenda", json={"text": "a correction"}),
        api_a.post(world.path(f"/witnesses/{witness['id']}/consent/withdraw"), json={}),
        api_a.post(world.path("/interviews"), json=interview_body(witness["id"])),
    ]
    assert [r.status_code for r in attempts] == [404, 404, 404, 404, 422]
    assert error_of(attempts[-1])["fields"]["witness_id"][0]["code"] == "unknown_witness"
    stored = world.api(world.field_b).get(base).get_json()
    assert stored["transcript"] == "I saw the second strike hit the entrance."
    assert stored["status"] == "draft"


def test_lawyer_sees_everyones_records_but_identities_only_with_the_flag(world, b_records):
    witness, interview = b_records
    plain = world.api(world.lawyer).get(world.path(f"/witnesses/{witness['id']}")).get_json()
    path = world.path(f"/witnesses/{witness['id']}")
    unstated = world.api(world.lawyer_identities).get(path).get_json()
    assert "identity" not in unstated  # the grant alone reveals nothing: say why
    cleared = (
        world.api(world.lawyer_identities)
        .get(path, headers={"X-Access-Reason": "legal_proceedings"})
        .get_json()
    )
    assert "identity" not in plain and plain["identity_visible"] is False
    assert "Amal Example" not in str(plain)
    assert_conforms(plain, "PseudonymousWitness")
    assert_conforms(cleared, "IdentifiedWitness")
    assert cleared["identity"]["full_name"] == "Amal Example"
    assert (
        world.api(world.lawyer).get(world.path(f"/interviews/{interview['id']}")).status_code == 200
    )


def test_registering_field_worker_does_not_read_back_the_identity(world):
    created = world.api(world.field_a).post(world.path("/witnesses"), json=witness_body())
    assert created.status_code == 201
    assert "identity" not in created.get_json()
    assert "Amal Example" not in created.get_data(as_text=True)


def test_other_investigations_are_404(world):
    api_outsider = world.api(world.outsider)
    incident = (
        world.api(world.field_a).post(world.path("/incidents"), json=incident_body()).get_json()
    )
    for path in ("", "/incidents", f"/incidents/{incident['id']}", "/witnesses", "/evidence"):
        response = api_outsider.get(world.path(path))
        assert response.status_code == 404, path
        assert error_of(response)["code"] == "not_found"
    # ... and an object of this investigation asked for under the other one's reference
    other = f"/investigations/{world.other_investigation.reference}/incidents/{incident['id']}"
    assert world.api(world.outsider).get(other).status_code == 404


def test_my_investigations_lists_memberships_only(world):
    body = world.api(world.outsider).get("/investigations").get_json()
    assert [i["reference"] for i in body["items"]] == [world.other_investigation.reference]
    assert body["items"][0]["membership"] == {"role": "field", "may_see_identities": False}
