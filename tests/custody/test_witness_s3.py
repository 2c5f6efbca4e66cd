"""The S3 witness: checkpoints kept under Object Lock, which even the bucket's owner cannot remove.

Issue 14, deliverable 3, against moto's S3 on loopback (which enforces Object Lock
retention): every signed checkpoint becomes one locked object version; deleting that
version is refused; truncating or rewriting the database shows against it; a bucket
without Object Lock, or none at all, leaves intake working and says so in /readyz.
"""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.exceptions import ClientError

from app.custody.ledger import append_custody_event
from app.custody.witness import witnesses
from app.custody.witness_records import WitnessConflict
from app.extensions import db
from tests.custody.tamper import failure, rewrite_and_rehash, truncate
from tests.vault.vault_support import moto_endpoint

ENTRIES = 5
PREFIX = "custody-witness/"


@pytest.fixture
def s3(app, monkeypatch):
    endpoint = moto_endpoint()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    bucket = f"witness-{secrets.token_hex(6)}"
    client.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True)
    monkeypatch.setitem(app.config, "CUSTOS_CUSTODY_WITNESS_S3_BUCKET", bucket)
    monkeypatch.setitem(app.config, "CUSTOS_CUSTODY_WITNESS_S3_ENDPOINT_URL", endpoint)
    monkeypatch.setitem(app.config, "CUSTOS_CUSTODY_WITNESS_S3_RETAIN_DAYS", 30)
    monkeypatch.setitem(app.config, "CUSTOS_CUSTODY_WITNESS_DIR", None)
    app.extensions.pop("custos.custody_witnesses", None)
    return client, bucket


@pytest.fixture
def ledger(app_ctx, investigation, s3, append_entries):
    append_entries(investigation, ENTRIES)
    return investigation


def versions(s3, investigation) -> list[dict]:
    client, bucket = s3
    answer = client.list_object_versions(
        Bucket=bucket, Prefix=f"{PREFIX}{investigation.reference}/"
    )
    return answer.get("Versions", [])


def test_every_signed_checkpoint_is_one_object_version_locked_in_compliance_mode(ledger, s3, cli):
    client, bucket = s3
    found = versions(s3, ledger)
    assert len(found) == ENTRIES
    newest = max(found, key=lambda v: v["Key"])
    head = client.head_object(Bucket=bucket, Key=newest["Key"], VersionId=newest["VersionId"])
    assert head["ObjectLockMode"] == "COMPLIANCE"
    until = head["ObjectLockRetainUntilDate"]
    assert until > datetime.now(UTC) + timedelta(days=29)
    body = client.get_object(Bucket=bucket, Key=newest["Key"])["Body"].read()
    assert json.loads(json.loads(body)["statement"])["seq"] == ENTRIES
    result = cli("custody", "verify", ledger.reference)
    assert result.exit_code == 0, result.stderr


def test_the_bucket_refuses_to_delete_a_witnessed_version(ledger, s3, cli):
    client, bucket = s3
    target = versions(s3, ledger)[-1]
    with pytest.raises(ClientError) as refused:
        client.delete_object(Bucket=bucket, Key=target["Key"], VersionId=target["VersionId"])
    assert refused.value.response["Error"]["Code"] in ("AccessDenied", "InvalidRequest")
    # A plain delete only hides the object behind a delete marker: the version stays, and the
    # witness reads every version.
    client.delete_object(Bucket=bucket, Key=target["Key"])
    assert len(versions(s3, ledger)) == ENTRIES
    assert cli("custody", "verify", ledger.reference).exit_code == 0


def test_truncating_the_ledger_with_its_checkpoints_fails_against_the_bucket(ledger, cli, attacker):
    truncate(attacker, ledger, 3)
    line = failure(cli("custody", "verify", ledger.reference), ledger.reference)
    assert f"FAILED {ledger.reference}: entries 4..5: witnessed at " in line


def test_a_rewritten_history_fails_against_the_bucket(ledger, cli, attacker):
    rewrite_and_rehash(attacker, ledger, 2, "system:colleague")
    line = failure(cli("custody", "verify", ledger.reference), ledger.reference)
    assert "entry 2" in line


def test_a_second_write_under_a_witnessed_name_is_refused_and_the_first_stays(ledger, s3, app):
    client, bucket = s3
    target = versions(s3, ledger)[0]
    name = target["Key"].rsplit("/", 1)[1]
    original = client.get_object(Bucket=bucket, Key=target["Key"])["Body"].read()
    ((_, store),) = witnesses()
    with pytest.raises(WitnessConflict):
        store.put(ledger.reference, name, b'{"forged": true}')
    assert store.put(ledger.reference, name, original) is False  # the same record: nothing new
    assert [v["VersionId"] for v in versions(s3, ledger) if v["Key"] == target["Key"]] == [
        target["VersionId"]
    ]


def test_a_bucket_without_object_lock_is_degraded_and_intake_goes_on(app, ledger, s3, monkeypatch):
    client, _ = s3
    plain = f"plain-{secrets.token_hex(6)}"
    client.create_bucket(Bucket=plain)
    monkeypatch.setitem(app.config, "CUSTOS_CUSTODY_WITNESS_S3_BUCKET", plain)
    ready = app.test_client().get("/readyz").get_json()
    assert ready["status"] == "degraded" and ready["checks"]["custody_witness"] == "s3_not_locked"
    entry = append_custody_event(ledger.id, "system:test", "viewed", "evidence", "x", {})
    db.session.commit()
    assert entry.seq == ENTRIES + 1


def test_a_missing_bucket_is_degraded_and_the_checkpoints_are_named_unwitnessed(
    app, ledger, cli, monkeypatch
):
    monkeypatch.setitem(app.config, "CUSTOS_CUSTODY_WITNESS_S3_BUCKET", "no-such-witness-bucket")
    append_custody_event(ledger.id, "system:test", "viewed", "evidence", "x", {})
    db.session.commit()
    ready = app.test_client().get("/readyz").get_json()
    assert ready["checks"]["custody_witness"] in ("s3_missing", "s3_write_failed")
    assert "not witnessed" in failure(cli("custody", "verify", ledger.reference), ledger.reference)


def test_a_retention_shorter_than_a_day_is_refused_at_start(monkeypatch):
    from config import Config, ConfigurationError

    monkeypatch.setenv("CUSTOS_CUSTODY_WITNESS_S3_RETAIN_DAYS", "0")
    with pytest.raises(ConfigurationError, match="at least 1"):
        Config()


def test_with_both_witnesses_each_is_checked_on_its_own(app, ledger, cli, tmp_path, monkeypatch):
    from app.custody.witness import catch_up

    directory = tmp_path / "witness"
    directory.mkdir()
    monkeypatch.setitem(app.config, "CUSTOS_CUSTODY_WITNESS_DIR", directory)
    assert catch_up(ledger.reference) == (ENTRIES, 0)  # the directory had none of them
    assert cli("custody", "verify", ledger.reference).exit_code == 0
    newest = sorted((directory / ledger.reference).glob("*.json"))[-1]
    newest.chmod(0o644)
    newest.unlink()  # the bucket still holds it; the directory no longer does
    line = failure(cli("custody", "verify", ledger.reference), ledger.reference)
    assert f"at entries {ENTRIES}: not witnessed" in line
