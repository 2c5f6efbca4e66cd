"""Locust users: field staff uploading evidence through the real intake paths, lawyers reading it.

Configured by the JSON file named in CUSTOS_LOAD_CONFIG (written by benchmarks/load/runner.py):
accounts and tokens, the investigation, user counts, file sizes, pacing, and where to write
each acknowledged upload (one JSON line: path, id, SHA-256 and size of what was sent, seconds)
and the response-time samples per request name (for percentiles across names).

- FieldUser signs in on the web, then in a loop uploads one file of 1-20 MB (a photo, video or
  PDF) by one of: the web form (multipart, 303), the JSON API with its token (201 with the id),
  or tus (POST, then 8 MiB PATCHes as static/js/upload.js sends them; the last answer names
  the id), and now and then opens its evidence list.
- LawyerUser signs in with password and TOTP, browses the investigation's pages and plays
  media: Range requests on /stream (the first MiB, then a seek), timed to the response headers
  (locust's stream=True), i.e. time to first byte.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import random
import re
import time
from pathlib import Path
from urllib.parse import quote

import pyotp
from locust import HttpUser, between, events, task

from benchmarks.load.payloads import PayloadMaker

CONFIG = json.loads(Path(os.environ["CUSTOS_LOAD_CONFIG"]).read_text())
REF = CONFIG["reference"]
MB = 1000 * 1000
MIB = 1024 * 1024
TUS_CHUNK = 8 * MIB
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
ITEM_RE = re.compile(rf'/investigations/{re.escape(REF)}/evidence/([0-9A-Za-z_-]{{16,}})"')
RANGE_RE = re.compile(r"bytes (\d+)-(\d+)/(\d+)")

_samples: dict[str, list[float]] = {}
_accounts = {role: list(CONFIG[role]) for role in ("field", "lawyer")}


@events.request.add_listener
def _record(name, response_time, exception, **_kwargs):
    if exception is None:
        _samples.setdefault(name, []).append(response_time)


@events.quitting.add_listener
def _write_samples(environment, **_kwargs):
    """Samples per name, and locust's own counts (final, unlike the periodic CSV files)."""
    stats = environment.stats
    names = [
        {
            "name": entry.name,
            "requests": entry.num_requests,
            "failures": entry.num_failures,
            "median_ms": entry.median_response_time,
            "p95_ms": entry.get_response_time_percentile(0.95),
        }
        for entry in stats.entries.values()
    ]
    errors = [
        f"{error.occurrences}x {error.method} {error.name}: {error.error!r}"
        for error in stats.errors.values()
    ]
    total = {"requests": stats.total.num_requests, "failures": stats.total.num_failures}
    Path(CONFIG["samples_path"]).write_text(
        json.dumps({"samples": _samples, "names": names, "errors": errors, "total": total})
    )


def _fail(reply, what: str) -> None:
    """Mark a request failed, naming the status or, without an answer, the connection error."""
    reason = reply.status_code or repr(getattr(reply, "error", None))
    reply.failure(f"{what} answered {reason}")


def _acknowledge(record: dict) -> None:
    with open(CONFIG["acks_path"], "a", encoding="utf-8") as handle:
        handle.write(json.dumps(record) + "\n")


class SignedIn(HttpUser):
    abstract = True
    role = ""

    def on_start(self) -> None:
        self.account = _accounts[self.role].pop()
        self.email = self.account["email"]
        token = self.csrf("/auth/login", "sign in: form")
        with self.client.post(
            "/auth/login",
            data={"email": self.email, "password": self.account["password"], "csrf_token": token},
            allow_redirects=False,
            name="sign in",
            catch_response=True,
        ) as reply:
            if reply.status_code != 302:
                _fail(reply, "sign-in")
                return
            needs_code = "/auth/2fa" in reply.headers.get("Location", "")
        if needs_code:
            token = self.csrf("/auth/2fa", "sign in: 2fa form")
            code = pyotp.TOTP(self.account["totp_secret"]).now()
            with self.client.post(
                "/auth/2fa",
                data={"code": code, "csrf_token": token},
                allow_redirects=False,
                name="sign in: 2fa",
                catch_response=True,
            ) as reply:
                if reply.status_code != 302:
                    _fail(reply, "2fa")

    def csrf(self, path: str, name: str) -> str:
        reply = self.client.get(path, name=name)
        match = CSRF_RE.search(reply.text)
        return match.group(1) if match else ""

    def page(self, path: str, label: str) -> str:
        with self.client.get(path, name=f"page: {label}", catch_response=True) as reply:
            if reply.status_code != 200:
                _fail(reply, label)
            return reply.text


class FieldUser(SignedIn):
    """Field staff: uploads, one after another, with a pause between them."""

    fixed_count = int(CONFIG["field_users"])
    role = "field"
    wait_time = between(CONFIG["pace_min_s"], CONFIG["pace_max_s"])

    def on_start(self) -> None:
        super().on_start()
        self.rng = random.Random()
        self.maker = PayloadMaker(Path(CONFIG["bases_dir"]), self.rng)
        self.upload_page = f"/investigations/{REF}/evidence/upload"
        self.token = self.csrf(self.upload_page, "sign in: upload form")

    def _payload(self):
        size = self.rng.randint(CONFIG["min_mb"] * MB, CONFIG["max_mb"] * MB)
        kind = self.rng.choices(("photo", "video", "document"), (4, 3, 3))[0]
        return self.maker.make(kind, size)

    @task(3)
    def upload(self) -> None:
        payload = self._payload()
        path = self.rng.choice(("multipart", "api", "tus"))
        sent = {"sha256": hashlib.sha256(payload.data).hexdigest(), "size": len(payload.data)}
        start = time.perf_counter()
        evidence_id = getattr(self, f"_via_{path}")(payload)
        if evidence_id is False:
            return
        seconds = time.perf_counter() - start
        _acknowledge(
            {"path": path, "id": evidence_id, "user": self.email, "seconds": seconds, **sent}
        )

    @task(1)
    def my_evidence(self) -> None:
        self.page(f"/investigations/{REF}/evidence", "evidence list (field)")

    def _via_multipart(self, payload):
        boundary = "----custos-load-" + os.urandom(12).hex()
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
            f"{self.token}\r\n--{boundary}\r\nContent-Disposition: form-data; "
            f'name="files"; filename="{payload.filename}"\r\n'
            f"Content-Type: {payload.media_type}\r\n\r\n"
        ).encode()
        body = head + payload.data + f"\r\n--{boundary}--\r\n".encode()
        with self.client.post(
            self.upload_page,
            data=body,
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
            allow_redirects=False,
            name="upload: web form (multipart)",
            catch_response=True,
        ) as reply:
            if reply.status_code != 303:
                _fail(reply, "web upload")
                return False
        return None  # the form answers with a redirect, not an id

    def _via_api(self, payload):
        with self.client.post(
            f"/api/v1/investigations/{REF}/evidence",
            data=payload.data,
            headers={
                "Authorization": f"Bearer {self.account['token']}",
                "Content-Type": payload.media_type,
                "X-Filename": quote(payload.filename),
            },
            name="upload: JSON API",
            catch_response=True,
        ) as reply:
            if reply.status_code != 201:
                _fail(reply, "API upload")
                return False
            return reply.json()["id"]

    def _via_tus(self, payload):
        metadata = "filename " + base64.b64encode(payload.filename.encode()).decode()
        tus = {"Tus-Resumable": "1.0.0", "X-CSRFToken": self.token}
        with self.client.post(
            f"/investigations/{REF}/uploads",
            headers={**tus, "Upload-Length": str(len(payload.data)), "Upload-Metadata": metadata},
            name="upload: tus create",
            catch_response=True,
        ) as reply:
            if reply.status_code != 201:
                _fail(reply, "tus create")
                return False
            location = reply.headers["Location"]
        offset = 0
        evidence_id = None
        while offset < len(payload.data):
            chunk = payload.data[offset : offset + TUS_CHUNK]
            with self.client.patch(
                location,
                data=chunk,
                headers={
                    **tus,
                    "Upload-Offset": str(offset),
                    "Content-Type": "application/offset+octet-stream",
                },
                name="upload: tus patch (8 MiB)",
                catch_response=True,
            ) as reply:
                if reply.status_code != 204:
                    _fail(reply, "tus patch")
                    return False
                offset = int(reply.headers["Upload-Offset"])
                evidence_id = reply.headers.get("Custos-Evidence-Id")
        if evidence_id is None:
            return False
        return evidence_id


class LawyerUser(SignedIn):
    """Lawyers: read pages and play media with Range requests, a second or two apart."""

    fixed_count = int(CONFIG["lawyers"])
    role = "lawyer"
    wait_time = between(1, 3)

    def on_start(self) -> None:
        super().on_start()
        self.ids: list[str] = []
        self.rng = random.Random()

    def _refresh(self) -> None:
        html = self.page(f"/investigations/{REF}/evidence", "evidence list")
        found = ITEM_RE.findall(html)
        if found:
            self.ids = list(dict.fromkeys(found))

    @task(2)
    def overview(self) -> None:
        self.page("/investigations/", "investigations")
        self.page(f"/investigations/{REF}", "investigation overview")

    @task(3)
    def evidence_list(self) -> None:
        self._refresh()

    @task(3)
    def item_page(self) -> None:
        if not self.ids:
            self._refresh()
        if self.ids:
            item = self.rng.choice(self.ids)
            self.page(f"/investigations/{REF}/evidence/{item}", "evidence item")

    @task(1)
    def custody(self) -> None:
        self.page(f"/investigations/{REF}/custody", "custody ledger")

    @task(6)
    def play(self) -> None:
        if not self.ids:
            self._refresh()
        if not self.ids:
            return
        url = f"/investigations/{REF}/evidence/{self.rng.choice(self.ids)}/stream"
        total = self._range(url, 0)
        if total and total > MIB:
            self._range(url, self.rng.randrange(0, total - MIB))

    def _range(self, url: str, start: int) -> int | None:
        with self.client.get(
            url,
            headers={"Range": f"bytes={start}-{start + MIB - 1}"},
            name="stream: Range 1 MiB (TTFB)",
            stream=True,
            catch_response=True,
        ) as reply:
            if reply.status_code != 206:
                _fail(reply, "stream")
                return None
            received = sum(len(block) for block in reply.iter_content(64 * 1024))
            match = RANGE_RE.match(reply.headers.get("Content-Range", ""))
            if not match or received != int(match.group(2)) - int(match.group(1)) + 1:
                reply.failure("the Range body does not match its Content-Range")
                return None
            return int(match.group(3))
