"""Every error status the API can give, in its one stable JSON shape (helpers.error_of)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.extensions import db
from tests.api.helpers import (
    ApiClient,
    error_of,
    incident_body,
    interview_body,
    issue_token,
    witness_body,
)
from tests.conftest import make_config
from tests.helpers.factories import UserFactory


def test_400_for_a_body_that_is_not_a_json_object(world):
    api = world.api(world.field_a)
    for data in (b"{not json", b"[1, 2]", b'{"a": NaN}'):
        response = api.client.post(
            "/api/v1" + world.path("/incidents"),
            data=data,
            headers=api.headers({"Content-Type": "application/json"}),
        )
        assert response.status_code == 400
        assert error_of(response)["code"] == "invalid_json"


def test_400_for_a_query_out_of_range(world):
    response = world.api(world.field_a).get(world.path("/incidents?per_page=1000&page=0"))
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid_query" and set(error["fields"]) == {"page", "per_page"}


def test_401_without_a_token(world):
    response = world.api(None).get("/me")
    assert response.status_code == 401
    assert error_of(response)["code"] == "token_missing"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_an_address_that_does_not_exist_is_404_with_or_without_a_token(world):
    for api in (world.api(None), world.api(world.field_a)):
        response = api.get("/no/such/thing")
        assert response.status_code == 404
        assert error_of(response)["code"] == "not_found"
    # ... but an existing one is 401 without a token, whatever its values (nothing is looked up)
    assert world.api(None).get(world.path("/incidents/no-such-id")).status_code == 401


def test_403_for_a_read_only_token(world):
    response = world.api(world.field_a, scope="read").post(world.path("/witnesses"), json={})
    assert response.status_code == 403
    assert error_of(response)["code"] == "insufficient_scope"


def test_404_for_an_unknown_address_and_an_unknown_object(world):
    api = world.api(world.field_a)
    for path in ("/no/such/thing", world.path("/incidents/0"), "/investigations/NOPE-1"):
        response = api.get(path)
        assert response.status_code == 404, path
        assert error_of(response)["code"] == "not_found"


def test_404_for_path_values_no_record_can_have(world):
    response = world.api(world.field_a).get(world.path("/incidents/" + "x" * 200))
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_405_names_the_allowed_methods(world):
    response = world.api(world.field_a).open("/me", "DELETE")
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"
    assert "GET" in response.headers["Allow"]


def test_409_for_sealed_testimony(world):
    api = world.api(world.field_a)
    witness = api.post(world.path("/witnesses"), json=witness_body()).get_json()
    draft = api.post(world.path("/interviews"), json=interview_body(witness["id"])).get_json()
    api.post(world.path(f"/interviews/{draft['id']}/seal"))
    response = api.post(world.path(f"/interviews/{draft['id']}/seal"))
    assert response.status_code == 409
    assert error_of(response)["code"] == "testimony_sealed"


def test_413_for_a_json_body_over_the_limit(world, app):
    app.config["CUSTOS_API_MAX_JSON_BYTES"] = 1024
    try:
        response = world.api(world.field_a).post(
            world.path("/incidents"), json=incident_body(description="x" * 2048)
        )
    finally:
        app.config["CUSTOS_API_MAX_JSON_BYTES"] = 8 * 1024 * 1024
    assert response.status_code == 413
    assert error_of(response)["code"] == "too_large"


def test_415_for_a_body_that_is_not_json(world):
    api = world.api(world.field_a)
    response = api.client.post(
        "/api/v1" + world.path("/incidents"),
        data={"place_name": "x"},
        headers=api.headers(),
    )
    assert response.status_code == 415
    assert error_of(response)["code"] == "unsupported_media_type"


def test_422_names_each_field(world):
    response = world.api(world.field_a).post(
        world.path("/incidents"), json=incident_body(killed=-3, latitude=100)
    )
    assert response.status_code == 422
    assert set(error_of(response)["fields"]) == {"killed", "latitude"}


def test_429_after_too_many_wrong_tokens(world, app):
    from app.extensions import limiter

    limiter.reset()
    app.config["CUSTOS_API_AUTH_FAILURE_LIMIT"] = "1 per minute"
    try:
        wrong = ApiClient(app.test_client(), "custos_wrong")
        wrong.get("/me")
        response = wrong.get("/me")
    finally:
        app.config["CUSTOS_API_AUTH_FAILURE_LIMIT"] = "10 per minute"
        limiter.reset()
    assert response.status_code == 429
    assert error_of(response)["code"] == "rate_limited"


@pytest.fixture
def fault_app(tmp_path: Path):
    """A separate app over its own SQLite file, for faults the shared app must not suffer."""
    from app import create_app
    from app.security.master_key import generate_master_key_file

    generate_master_key_file(tmp_path / "master.key")
    application = create_app(make_config(f"sqlite:///{tmp_path / 'fault.db'}", tmp_path))

    @application.get("/api/v1/_fault")
    def fault():
        raise RuntimeError("a witness named Amal is in this message")

    with application.app_context():
        db.create_all()
        token = issue_token(UserFactory(role="field"))
    yield application, token
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.mark.nodb  # its own SQLite file, whatever the suite's backend
def test_500_is_json_and_hides_the_exception(fault_app):
    application, token = fault_app
    response = application.test_client().get(
        "/api/v1/_fault", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 500
    assert error_of(response)["code"] == "internal_error"
    assert "Amal" not in response.get_data(as_text=True)


@pytest.mark.nodb
def test_503_when_the_database_is_gone(fault_app, tmp_path):
    application, token = fault_app
    (tmp_path / "fault.db").unlink()
    (tmp_path / "fault.db").mkdir()  # now a directory: SQLite cannot open it
    with application.app_context():
        db.engine.dispose()
    response = application.test_client().get(
        "/api/v1/me", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 503
    assert error_of(response)["code"] == "unavailable"
