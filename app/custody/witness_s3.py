"""The custody witness in an S3 bucket under Object Lock: records its owner cannot remove.

A witness directory protects against the database's owner only as far as the directory's
own permissions do. An S3 bucket created with Object Lock, written in COMPLIANCE mode, keeps
every object version until its retain-until date, and no account, the bucket's root
included, can shorten that or delete the version before then. Each witness record becomes
`<prefix><REF>/<name>` written once with a retention of CUSTOS_CUSTODY_WITNESS_S3_RETAIN_DAYS;
the bucket is versioned (Object Lock requires it), so a second write under the same name
adds a version beside the first instead of replacing it, and reading lists every version:
a name whose versions disagree is a conflict that `custody verify` reports.
"""

from __future__ import annotations

import hashlib
import logging
import time
from base64 import b64encode
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from app.custody.witness_records import WitnessConflict

log = logging.getLogger(__name__)

# readiness() asks the bucket at most this often (it runs on every /readyz).
_READINESS_TTL_SECONDS = 60


class S3Witness:
    """Witness records as object versions in a bucket with Object Lock."""

    # What a write to the bucket may raise besides OSError: logged by name, never raised
    # (app/custody/witness.py imports botocore only through this module, when S3 is set).
    store_errors: tuple[type[Exception], ...] = (BotoCoreError, ClientError)

    def __init__(self, client: Any, bucket: str, prefix: str, retain_days: int) -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix
        self.retain_days = retain_days
        self._checked_at = 0.0
        self._problem: str | None = None
        self.last_write_failed = False

    def key(self, reference: str, name: str) -> str:
        return f"{self.prefix}{reference}/{name}"

    def put(self, reference: str, name: str, data: bytes) -> bool:
        """Write one record, locked; False if an identical record was already there."""
        existing = self._versions_of(self.key(reference, name))
        if existing:
            if any(self._body(key, version) != data for key, version in existing):
                raise WitnessConflict(f"witness object {name} already holds another checkpoint")
            return False
        retain_until = datetime.now(UTC) + timedelta(days=self.retain_days)
        self.client.put_object(
            Bucket=self.bucket,
            Key=self.key(reference, name),
            Body=data,
            ContentType="application/json",
            ContentMD5=b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode(),
            ObjectLockMode="COMPLIANCE",
            ObjectLockRetainUntilDate=retain_until,
        )
        return True

    def names(self, reference: str) -> set[str]:
        prefix = self.key(reference, "")
        return {key[len(prefix) :] for key, _ in self._all_versions(prefix)}

    def records(self, reference: str) -> list[tuple[str, bytes]]:
        """(name, bytes) of every version under the investigation; a disagreeing name twice."""
        prefix = self.key(reference, "")
        found = []
        for key, version in self._all_versions(prefix):
            try:
                found.append((key[len(prefix) :], self._body(key, version)))
            except (ClientError, BotoCoreError):
                found.append((key[len(prefix) :], b""))  # verify names it
        return sorted(found)

    def readiness(self) -> str | None:
        """None when the bucket takes locked writes; else why not (cached for a minute)."""
        now = time.monotonic()
        if now - self._checked_at >= _READINESS_TTL_SECONDS:
            self._problem = self._ask_bucket()
            self._checked_at = now
        if self._problem is not None:
            return self._problem
        return "write_failed" if self.last_write_failed else None

    def _ask_bucket(self) -> str | None:
        try:
            answer = self.client.get_object_lock_configuration(Bucket=self.bucket)
        except ClientError as exc:
            return "missing" if _code(exc) in ("NoSuchBucket", "404") else "not_locked"
        except BotoCoreError:
            return "unreachable"
        configuration = answer.get("ObjectLockConfiguration", {})
        return None if configuration.get("ObjectLockEnabled") == "Enabled" else "not_locked"

    def _all_versions(self, prefix: str) -> list[tuple[str, str]]:
        """Every record version under ``prefix``; none when the bucket cannot be listed (a
        missing or unreachable witness then leaves every checkpoint "not witnessed")."""
        paginator = self.client.get_paginator("list_object_versions")
        versions = []
        try:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
                for version in page.get("Versions", []):
                    if version["Key"].endswith(".json"):
                        versions.append((version["Key"], version["VersionId"]))
        except (ClientError, BotoCoreError) as exc:
            log.warning("custody witness (s3): the bucket could not be listed: %s", _code(exc))
            return []
        return sorted(versions)

    def _versions_of(self, key: str) -> list[tuple[str, str]]:
        return [(k, v) for k, v in self._all_versions(key) if k == key]

    def _body(self, key: str, version: str) -> bytes:
        answer = self.client.get_object(Bucket=self.bucket, Key=key, VersionId=version)
        return answer["Body"].read()


def _code(exc: Exception) -> str:
    """S3's error code, or the exception's type: never a key or a credential."""
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", ""))
    return type(exc).__name__
