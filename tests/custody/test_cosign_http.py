"""Cosigning over HTTP: a second Custos instance, served by gunicorn on 127.0.0.1, answers
POST /api/v1/custody/cosign for the log keys it serves, and `flask custody cosign-request
--witness-url` sends the request and keeps the cosignature (custody-format.md s.10.3)."""

from __future__ import annotations

import json
import shutil

import pytest
import requests

from app.crypto.minisign import SigningKey
from app.custody.cosign_log import cosign_request
from app.custody.verify import verify_ledgers
from tests.custody import test_cosign
from tests.custody.test_cosign import _forged_request, append
from tests.helpers.live_gunicorn import Gunicorn

witness_template = test_cosign.witness_template
PATH = "/api/v1/custody/cosign"
RATE_LIMIT = 12


@pytest.fixture
def live_witness(witness_template, tmp_path, app, public_key, monkeypatch):  # noqa: F811
    """The second instance under gunicorn, serving our log key; the log trusts its key."""
    template, key = witness_template
    home = tmp_path / "witness"
    shutil.copytree(template, home)
    monkeypatch.setitem(app.config, "CUSTOS_CUSTODY_COSIGNER_KEYS", [key])
    env = test_cosign._env(home)
    env.update(
        SECRET_KEY="witness-secret-key-for-the-test-only",
        CUSTOS_CUSTODY_WITNESS_LOG_KEYS=public_key,
        CUSTOS_CUSTODY_COSIGN_RATE_LIMIT=f"{RATE_LIMIT} per minute",
    )
    server = Gunicorn(env, tmp_path / "witness.log", None)
    server.public_key = key
    yield server
    server.stop()


def cosign_over_http(app, investigation, witness):
    runner = app.test_cli_runner()
    return runner.invoke(
        args=[
            "custody",
            "cosign-request",
            investigation.reference,
            "--witness-key",
            witness.public_key,
            "--witness-url",
            witness.base + PATH,
        ]
    )


def test_the_log_has_a_growing_ledger_cosigned_over_http_and_verify_checks_it(
    app, app_ctx, investigation, public_key, live_witness
):
    append(investigation, 3)
    first = cosign_over_http(app, investigation, live_witness)
    append(investigation, 2)
    second = cosign_over_http(app, investigation, live_witness)
    (verdict,) = verify_ledgers(investigation.reference)

    assert first.exit_code == 0, first.output + live_witness.output()
    assert f"{investigation.reference}: entries 1..3 cosigned by witness " in first.output
    assert second.exit_code == 0, second.output
    assert "entries 1..5 cosigned" in second.output
    assert verdict.ok and verdict.line().endswith(", 2 cosignatures checked"), verdict.line()


def post(witness, body: bytes, **headers) -> requests.Response:
    headers = {"Content-Type": "application/json", **headers}
    return requests.post(witness.base + PATH, data=body, headers=headers, timeout=30)


def test_the_witness_refuses_with_the_api_error_shape_and_nothing_half_done(
    app, app_ctx, investigation, public_key, live_witness
):
    append(investigation, 3)
    assert cosign_over_http(app, investigation, live_witness).exit_code == 0
    stranger = SigningKey.generate()
    foreign = json.loads(_forged_request(investigation, 3))
    foreign["minisig"] = stranger.sign(foreign["statement"].encode(), "x")

    answers = {
        "rewritten": post(live_witness, _forged_request(investigation, 3)),
        "foreign log": post(live_witness, json.dumps(foreign).encode()),
        "not json": post(live_witness, b"{not json"),
        "too large": post(live_witness, b" " * (64 * 1024 + 1)),
        "form": post(live_witness, b"a=1", **{"Content-Type": "application/x-www-form-urlencoded"}),
    }

    expected = {
        "rewritten": (409, "cosign_refused", "entries 1..3 are not what was cosigned before"),
        "foreign log": (403, "log_key_not_served", "not signed by a log key this witness"),
        "not json": (400, "bad_request", "the request is not JSON"),
        "too large": (413, "too_large", "at most 64 KiB"),
        "form": (415, "unsupported_media_type", "as application/json"),
    }
    for case, (status, code, message) in expected.items():
        answer = answers[case]
        assert answer.status_code == status, (case, answer.text)
        error = answer.json()["error"]
        assert set(error) == {"code", "message"} and error["code"] == code, (case, error)
        assert message in error["message"], (case, error)
        assert "Set-Cookie" not in answer.headers, case
    # Nothing was remembered: the honest continuation is cosigned.
    append(investigation, 1)
    done = cosign_over_http(app, investigation, live_witness)
    assert done.exit_code == 0 and "entries 1..4 cosigned" in done.output, done.output


def test_a_refusal_reaches_the_operator_and_nothing_is_kept(
    app, app_ctx, investigation, public_key, live_witness, monkeypatch
):
    append(investigation, 2)
    monkeypatch.setitem(app.config, "CUSTOS_CUSTODY_COSIGNER_KEYS", [public_key])

    done = cosign_over_http(app, investigation, live_witness)

    # The witness cosigned, but its key is not the one configured here: refused, not kept.
    assert done.exit_code == 1
    assert "REFUSED: the cosignature is refused: signed by key" in done.output
    (verdict,) = verify_ledgers(investigation.reference)
    assert "cosignatures checked" not in verdict.line()


def test_deleting_the_kept_cosignatures_gets_the_next_request_refused_by_the_witness(
    app, app_ctx, investigation, public_key, live_witness, attacker
):
    append(investigation, 3)
    assert cosign_over_http(app, investigation, live_witness).exit_code == 0
    attacker("DELETE FROM custody_cosignatures WHERE investigation_id = :inv", inv=investigation.id)
    append(investigation, 1)

    done = cosign_over_http(app, investigation, live_witness)

    assert done.exit_code == 1
    assert "REFUSED: the witness refused (409): the last cosigned head is at entry 3" in done.output


def test_the_endpoint_is_off_unless_configured_with_log_keys(app, investigation, public_key):
    with app.app_context():
        append(investigation, 1)
        body = cosign_request(investigation.reference, SigningKey.generate().public_key_string())
    answer = app.test_client().post(PATH, data=body, content_type="application/json")

    assert answer.status_code == 404
    assert answer.get_json()["error"]["code"] == "not_found"


def test_a_replayed_request_is_refused_and_requests_are_rate_limited_per_address(
    app_ctx, investigation, public_key, live_witness
):
    append(investigation, 1)
    body = cosign_request(investigation.reference, live_witness.public_key)
    statuses = [post(live_witness, body).status_code for _ in range(RATE_LIMIT + 1)]

    # The first is cosigned; its replays are first requests for a ledger the witness knows.
    assert statuses == [200] + [409] * (RATE_LIMIT - 1) + [429]
    refused = post(live_witness, body)
    assert refused.json()["error"]["code"] == "rate_limited"
    assert int(refused.headers["Retry-After"]) > 0
