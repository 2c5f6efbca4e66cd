"""Settings classes for Custos; every knob is read from the environment here and nowhere else."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url

BASE_DIR = Path(__file__).resolve().parent
DEFAULT_INSTANCE_PATH = BASE_DIR / "instance"


class ConfigurationError(RuntimeError):
    """Raised when the operator's configuration is unsafe or incomplete."""


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigurationError(f"{name} must be an integer, got {raw!r}") from exc


def _env_rate_limit(name: str, default: str) -> str:
    """A Flask-Limiter limit such as "600 per minute" (or several, joined by ";")."""
    from limits import parse_many

    raw = (os.environ.get(name) or "").strip() or default
    try:
        parse_many(raw)
    except ValueError as exc:
        raise ConfigurationError(f"{name} must look like '600 per minute', got {raw!r}") from exc
    return raw


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _normalise_database_url(url: str) -> str:
    """Make plain postgres:// URLs use the psycopg 3 driver that we pin."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def map_tiles_origin(url: str) -> str | None:
    """The CSP source for a map tile URL template (None when no tiles are configured).

    A `{s}` subdomain placeholder becomes the CSP wildcard `*.`; any other placeholder in
    the host, or a scheme other than http(s), is refused rather than allowed too broadly.
    """
    if not url:
        return None
    scheme, _, rest = url.partition("://")
    host = rest.split("/", 1)[0]
    if host.startswith("{s}."):
        host = "*." + host[len("{s}.") :]
    bare = host[2:] if host.startswith("*.") else host
    if scheme not in ("https", "http") or not bare or any(c in bare for c in "{}*'; ,"):
        raise ConfigurationError(
            "CUSTOS_MAP_TILES_URL must look like https://{s}.tile.example.org/{z}/{x}/{y}.png "
            f"(got {url!r})"
        )
    return f"{scheme}://{host}"


def instance_path() -> Path:
    """Where the SQLite file, blobs, keys and generated secrets live."""
    return Path(os.environ.get("CUSTOS_INSTANCE_PATH") or DEFAULT_INSTANCE_PATH).resolve()


def _development_secret_key(path: Path) -> str:
    """A per-installation random key kept in the instance folder; never a hard-coded fallback."""
    key_file = path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return key


class Config:
    """Settings shared by every environment."""

    ENV_NAME = "base"
    TESTING = False
    DEBUG = False

    def __init__(self) -> None:
        self.INSTANCE_PATH = instance_path()
        self.SECRET_KEY = os.environ.get("SECRET_KEY") or None
        database_url = os.environ.get("DATABASE_URL")
        if database_url:
            self.SQLALCHEMY_DATABASE_URI = _normalise_database_url(database_url)
        else:
            self.SQLALCHEMY_DATABASE_URI = f"sqlite:///{self.INSTANCE_PATH / 'custos.db'}"
        # hide_parameters: SQL errors must never echo bound values (witness data) into logs.
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "hide_parameters": True}
        self.SQLALCHEMY_TRACK_MODIFICATIONS = False

        # Field encryption master secret (see app/security/master_key.py).
        self.CUSTOS_MASTER_KEY = os.environ.get("CUSTOS_MASTER_KEY") or None
        self.CUSTOS_MASTER_KEY_FILE = Path(
            os.environ.get("CUSTOS_MASTER_KEY_FILE") or self.INSTANCE_PATH / "master.key"
        )
        self.CUSTOS_PREVIOUS_MASTER_KEYS = [
            value.strip()
            for value in os.environ.get("CUSTOS_PREVIOUS_MASTER_KEYS", "").split(",")
            if value.strip()
        ]
        self.CUSTOS_INTAKE_ONLY = _env_bool("CUSTOS_INTAKE_ONLY", False)
        # The organisation recipient new evidence is encrypted to, as `flask keys public`
        # prints it (SHA256:<hex>); required on an intake-only node, which otherwise could not
        # tell the organisation's key from one planted in its keys folder
        # (app/security/recipient_pin.py).
        self.CUSTOS_ORG_RECIPIENT_FINGERPRINT = (
            os.environ.get("CUSTOS_ORG_RECIPIENT_FINGERPRINT") or ""
        ).strip()
        self.BLOB_DIR = Path(os.environ.get("CUSTOS_BLOB_DIR") or self.INSTANCE_PATH / "blobs")

        # Evidence vault (docs/vault.md). Keys default to <instance>/keys when unset.
        keys_dir = os.environ.get("CUSTOS_KEYS_DIR")
        self.CUSTOS_KEYS_DIR = Path(keys_dir) if keys_dir else None
        self.CUSTOS_BLOB_BACKEND = (os.environ.get("CUSTOS_BLOB_BACKEND") or "local").lower()
        self.CUSTOS_S3_BUCKET = os.environ.get("CUSTOS_S3_BUCKET") or None
        self.CUSTOS_S3_ENDPOINT_URL = os.environ.get("CUSTOS_S3_ENDPOINT_URL") or None
        self.CUSTOS_S3_PREFIX = os.environ.get("CUSTOS_S3_PREFIX") or ""
        # Bytes one GET fetches ahead for a reader reading on (app/vault/blobstore/s3_read.py).
        self.CUSTOS_S3_READ_AHEAD_BYTES = _env_int("CUSTOS_S3_READ_AHEAD_BYTES", 8 * 1024 * 1024)
        # The bucket has S3 Object Lock: a legal hold also sets Object Lock's legal hold on the
        # object version of every blob it covers (docs/retention.md).
        self.CUSTOS_S3_OBJECT_LOCK = _env_bool("CUSTOS_S3_OBJECT_LOCK", False)
        self.CUSTOS_MAX_UPLOAD_BYTES = _env_int("CUSTOS_MAX_UPLOAD_BYTES", 4 * 1024**3)
        self.CUSTOS_UPLOAD_TTL_HOURS = _env_int("CUSTOS_UPLOAD_TTL_HOURS", 24)
        # Drafts of long writing (app/drafts): an unsaved draft is deleted this many hours
        # after it was last kept (a week: an interview typed on a trip, saved on return), and
        # one person holds at most this many at once.
        self.CUSTOS_DRAFT_RETENTION_HOURS = _env_int("CUSTOS_DRAFT_RETENTION_HOURS", 168)
        self.CUSTOS_MAX_DRAFTS_PER_USER = _env_int("CUSTOS_MAX_DRAFTS_PER_USER", 100)
        # How long a tus PATCH holds its upload; a PATCH whose worker died blocks the resume
        # (423, "retry") this long (app/vault/tus/sessions.py).
        self.CUSTOS_TUS_LEASE_SECONDS = _env_int("CUSTOS_TUS_LEASE_SECONDS", 60)
        # Reading evidence (app/vault/reading/evidence.py): one `streamed` custody entry
        # per user and item per this many seconds, however many Range requests a player makes.
        # Days a ledger entry's keyed client-address digest is kept (0: never recorded).
        self.CUSTOS_CUSTODY_ORIGIN_DAYS = _env_int("CUSTOS_CUSTODY_ORIGIN_DAYS", 30)
        # A directory the database's owner cannot rewrite (another volume or host, mounted
        # append-only): every signed checkpoint is also written there once, and `custody
        # verify` compares the database with it (app/custody/witness.py). Unset: no witness.
        witness_dir = os.environ.get("CUSTOS_CUSTODY_WITNESS_DIR")
        # RFC 3161 timestamp authorities for signed checkpoints, comma-separated URLs; empty
        # (the default) asks none. Tokens are accepted only if their chain ends in one of the
        # PEM certificates of CUSTOS_TSA_ROOTS (app/custody/timestamps.py).
        self.CUSTOS_TSA_URLS = [
            url.strip() for url in os.environ.get("CUSTOS_TSA_URLS", "").split(",") if url.strip()
        ]
        tsa_roots = os.environ.get("CUSTOS_TSA_ROOTS")
        self.CUSTOS_TSA_ROOTS = Path(tsa_roots) if tsa_roots else None
        self.CUSTOS_TSA_TIMEOUT_SECONDS = _env_int("CUSTOS_TSA_TIMEOUT_SECONDS", 10)
        self.CUSTOS_CUSTODY_WITNESS_DIR = Path(witness_dir) if witness_dir else None
        # Other Custos instances that cosign our checkpoints: their minisign public keys
        # (RW...), comma-separated. `custody verify` then checks every cosignature kept
        # (app/custody/cosign_log.py). Empty (the default): none is trusted or checked.
        self.CUSTOS_CUSTODY_COSIGNER_KEYS = [
            key.strip()
            for key in os.environ.get("CUSTOS_CUSTODY_COSIGNER_KEYS", "").split(",")
            if key.strip()
        ]
        # As a witness for other instances: the log keys (RW..., comma-separated) whose
        # checkpoints POST /api/v1/custody/cosign countersigns. Empty (the default): the
        # endpoint answers 404 to everyone (app/custody/cosign_http.py).
        self.CUSTOS_CUSTODY_WITNESS_LOG_KEYS = [
            key.strip()
            for key in os.environ.get("CUSTOS_CUSTODY_WITNESS_LOG_KEYS", "").split(",")
            if key.strip()
        ]
        # Cosign requests accepted per client address (a signature check and a proof each).
        self.CUSTOS_CUSTODY_COSIGN_RATE_LIMIT = (
            os.environ.get("CUSTOS_CUSTODY_COSIGN_RATE_LIMIT") or "30 per minute"
        )
        # A second (or the only) witness: an S3 bucket created with Object Lock. Each record is
        # written in COMPLIANCE mode, kept this many days; no account can delete it sooner
        # (app/custody/witness_s3.py). The endpoint defaults to CUSTOS_S3_ENDPOINT_URL.
        self.CUSTOS_CUSTODY_WITNESS_S3_BUCKET = (
            os.environ.get("CUSTOS_CUSTODY_WITNESS_S3_BUCKET") or None
        )
        self.CUSTOS_CUSTODY_WITNESS_S3_ENDPOINT_URL = (
            os.environ.get("CUSTOS_CUSTODY_WITNESS_S3_ENDPOINT_URL") or None
        )
        self.CUSTOS_CUSTODY_WITNESS_S3_PREFIX = os.environ.get(
            "CUSTOS_CUSTODY_WITNESS_S3_PREFIX", "custody-witness/"
        )
        self.CUSTOS_CUSTODY_WITNESS_S3_RETAIN_DAYS = _env_int(
            "CUSTOS_CUSTODY_WITNESS_S3_RETAIN_DAYS", 3650
        )
        if self.CUSTOS_CUSTODY_WITNESS_S3_RETAIN_DAYS < 1:
            raise ConfigurationError("CUSTOS_CUSTODY_WITNESS_S3_RETAIN_DAYS must be at least 1")
        self.CUSTOS_STREAM_CUSTODY_WINDOW_SECONDS = _env_int(
            "CUSTOS_STREAM_CUSTODY_WINDOW_SECONDS", 600
        )

        # Sessions: HttpOnly always, SameSite=Lax so a top-level link from mail still works,
        # Secure wherever the site is served over HTTPS (enforced in production).
        self.SESSION_COOKIE_NAME = "custos_session"
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE
        self.IDLE_TIMEOUT_MINUTES = _env_int("CUSTOS_IDLE_TIMEOUT_MINUTES", 30)
        # Server-side sessions (app/auth/session_registry.py): however active, a session ends
        # this many hours after sign-in; an account holds at most this many at once (a new
        # sign-in beyond it ends the one idle longest).
        self.SESSION_MAX_HOURS = _env_int("CUSTOS_SESSION_MAX_HOURS", 12)
        self.MAX_SESSIONS_PER_USER = _env_int("CUSTOS_MAX_SESSIONS_PER_USER", 5)
        self.PERMANENT_SESSION_LIFETIME = timedelta(minutes=self.IDLE_TIMEOUT_MINUTES)

        # Credential checks: lockout after consecutive failures, rate limits per client.
        # New passwords (app/security/password_strength.py): zxcvbn must estimate at least
        # 10**PASSWORD_MIN_GUESSES_LOG10 guesses, counting these organisation words (comma-
        # separated: the organisation's name, its projects) as the first an attacker tries.
        self.PASSWORD_MIN_GUESSES_LOG10 = _env_int("CUSTOS_PASSWORD_MIN_GUESSES_LOG10", 9)
        self.PASSWORD_CONTEXT_WORDS = tuple(
            w.strip()
            for w in os.environ.get("CUSTOS_PASSWORD_CONTEXT_WORDS", "").split(",")
            if w.strip()
        )
        # Consecutive failed password or code checks before an account waits between tries;
        # each further failure doubles the wait, from the base up to the ceiling
        # (app/auth/services/login.py, throttle_delay). Never a lock anyone could trigger.
        self.LOCKOUT_THRESHOLD = _env_int("CUSTOS_LOCKOUT_THRESHOLD", 5)
        self.LOGIN_DELAY_BASE_SECONDS = _env_int("CUSTOS_LOGIN_DELAY_BASE_SECONDS", 1)
        self.LOGIN_DELAY_MAX_MINUTES = _env_int("CUSTOS_LOGIN_DELAY_MAX_MINUTES", 15)
        self.RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI") or "memory://"
        # How many processes serve requests; gunicorn.conf.py sets it from --workers. With
        # more than one, memory:// counts in each process apart (a limit of 10 becomes 10 per
        # worker), so production refuses that pair (validate_rate_limit_storage).
        self.WEB_WORKERS = _env_int("CUSTOS_WEB_WORKERS", 1)
        self.RATELIMIT_ENABLED = _env_bool("RATELIMIT_ENABLED", True)
        self.LOGIN_RATE_LIMIT = os.environ.get("CUSTOS_LOGIN_RATE_LIMIT") or "10 per minute"
        self.INVITE_TTL_HOURS = _env_int("CUSTOS_INVITE_TTL_HOURS", 72)

        # argon2id parameters (RFC 9106 second recommended option: 64 MiB, t=3, p=4).
        self.ARGON2_TIME_COST = _env_int("CUSTOS_ARGON2_TIME_COST", 3)
        self.ARGON2_MEMORY_KIB = _env_int("CUSTOS_ARGON2_MEMORY_KIB", 65536)
        self.ARGON2_PARALLELISM = _env_int("CUSTOS_ARGON2_PARALLELISM", 4)

        self.WTF_CSRF_TIME_LIMIT = None  # tied to the session, which has its own idle limit
        self.BABEL_DEFAULT_LOCALE = "en"
        self.BABEL_SUPPORTED_LOCALES = ["en", "ar", "ru"]
        self.HSTS = False
        self.PREFERRED_URL_SCHEME = "http"
        self.SITE_NAME = "Custos"
        self.LOG_LEVEL = os.environ.get("CUSTOS_LOG_LEVEL") or "INFO"
        # A `Server-Timing: app;dur=MS, cpu;dur=MS` header on every answer (benchmarks/
        # bench_pages.py); off by default. Durations alone, which a client can time anyway.
        self.SERVER_TIMING = _env_bool("CUSTOS_SERVER_TIMING", False)
        # Used to build links printed by CLI commands (set-password links), outside any request.
        self.CUSTOS_BASE_URL = os.environ.get("CUSTOS_BASE_URL") or "http://127.0.0.1:5000"
        # Mail (issue 18): where set, a case file sent for review is mailed to the lawyers who
        # may approve it (app/casefiles/services/review_mail.py); empty host, no mail at all.
        self.CUSTOS_SMTP_HOST = (os.environ.get("CUSTOS_SMTP_HOST") or "").strip()
        self.CUSTOS_SMTP_PORT = _env_int("CUSTOS_SMTP_PORT", 587)
        self.CUSTOS_SMTP_STARTTLS = _env_bool("CUSTOS_SMTP_STARTTLS", True)
        self.CUSTOS_SMTP_USERNAME = os.environ.get("CUSTOS_SMTP_USERNAME") or ""
        self.CUSTOS_SMTP_PASSWORD = os.environ.get("CUSTOS_SMTP_PASSWORD") or ""
        self.CUSTOS_MAIL_FROM = os.environ.get("CUSTOS_MAIL_FROM") or (
            f"custos@{urlsplit(self.CUSTOS_BASE_URL).hostname or 'localhost'}"
        )
        self.validate_mail()
        # The name the organisation signs custody checkpoints as (C2SP signed note key name,
        # and the first part of each ledger's log origin "<name>/custody/<reference>").
        # Keep it stable: it is inside every signed checkpoint. Default: the base URL's host.
        self.CUSTOS_CUSTODY_LOG_NAME = (
            os.environ.get("CUSTOS_CUSTODY_LOG_NAME") or urlsplit(self.CUSTOS_BASE_URL).netloc
        )

        # Intake (issue 5). The incident map's tile URL template, e.g.
        # https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png; empty (the default) means no tiles:
        # markers on a blank background, and the page needs no internet. Its origin is added to
        # the CSP img-src (app/security/headers.py) and nothing else is.
        self.CUSTOS_MAP_TILES_URL = (os.environ.get("CUSTOS_MAP_TILES_URL") or "").strip()
        self.CUSTOS_MAP_TILES_ATTRIBUTION = (
            os.environ.get("CUSTOS_MAP_TILES_ATTRIBUTION") or ""
        ).strip()
        self.CUSTOS_MAP_TILES_ORIGIN = map_tiles_origin(self.CUSTOS_MAP_TILES_URL)
        # Non-file form fields (long transcripts, in Arabic up to 6 bytes a character once
        # URL-encoded); Flask's default of 500 kB would cut a long testimony off with a 413.
        self.MAX_FORM_MEMORY_SIZE = _env_int("CUSTOS_MAX_FORM_BYTES", 8 * 1024 * 1024)

        # Case-file exports (issue 6): finished web exports (age-encrypted tars) and their
        # working copies live here; give it room for the largest case file, twice.
        self.CUSTOS_EXPORT_DIR = Path(
            os.environ.get("CUSTOS_EXPORT_DIR") or self.INSTANCE_PATH / "exports"
        )
        # Finished exports are deleted this many days after they finish (issue 15, item 4).
        self.CUSTOS_EXPORT_RETENTION_DAYS = _env_int("CUSTOS_EXPORT_RETENTION_DAYS", 7)
        if self.CUSTOS_EXPORT_RETENTION_DAYS < 1:
            raise ConfigurationError("CUSTOS_EXPORT_RETENTION_DAYS must be at least 1")
        # How long a removed case-file item can be put back with its links, grades and notes.
        self.CUSTOS_CASEFILE_UNDO_HOURS = _env_int("CUSTOS_CASEFILE_UNDO_HOURS", 24)
        if not 1 <= self.CUSTOS_CASEFILE_UNDO_HOURS <= 24 * 30:
            raise ConfigurationError("CUSTOS_CASEFILE_UNDO_HOURS must be between 1 and 720")

        # JSON API (issue 5, item 6). Wrong bearer tokens allowed per client address before
        # 429 (Flask-Limiter syntax; right tokens are never limited), and the largest JSON
        # body read into memory (a long Arabic transcript, JSON-escaped, fits in the default).
        self.CUSTOS_API_AUTH_FAILURE_LIMIT = (
            os.environ.get("CUSTOS_API_AUTH_FAILURE_LIMIT") or "10 per minute"
        )
        self.CUSTOS_API_MAX_JSON_BYTES = _env_int("CUSTOS_API_MAX_JSON_BYTES", 8 * 1024 * 1024)
        # Personal API tokens end (issue 15): one made without a date expires this many days
        # after it is made, and none may be made to last longer.
        self.CUSTOS_API_TOKEN_MAX_DAYS = _env_int("CUSTOS_API_TOKEN_MAX_DAYS", 90)
        # Phone apps over OpenRosa (issue 22, docs/openrosa.md): a device credential lasts at
        # most this many days; a submission POST may carry this many bytes (told to the apps in
        # X-OpenRosa-Accept-Content-Length, so they split larger submissions across POSTs; a
        # single attachment larger than this is refused, 413, and nothing of it is stored).
        self.CUSTOS_DEVICE_MAX_DAYS = _env_int("CUSTOS_DEVICE_MAX_DAYS", 90)
        self.CUSTOS_OPENROSA_MAX_POST_BYTES = _env_int(
            "CUSTOS_OPENROSA_MAX_POST_BYTES", 1024 * 1024 * 1024
        )
        # The forms ask the phone to encrypt each finalized submission to this node's form key
        # (ODK encrypted forms, app/openrosa/form_key.py): the phone then keeps nothing
        # readable. 0 publishes them unencrypted.
        self.CUSTOS_OPENROSA_ENCRYPTED_FORMS = _env_bool("CUSTOS_OPENROSA_ENCRYPTED_FORMS", True)
        # On an intake-only node: the reading node's public form key, pinned by fingerprint as
        # `flask keys form-key` prints it there (SHA256:<hex>). With it the node's forms are
        # encrypted to that key and what comes back is kept sealed for the reading node; the
        # copied key file must match or the node refuses to start.
        self.CUSTOS_OPENROSA_FORM_KEY_FINGERPRINT = (
            os.environ.get("CUSTOS_OPENROSA_FORM_KEY_FINGERPRINT") or ""
        ).strip()

        # Anti-automation (ASVS V2.4.1, app/security/rate_limits.py): costly requests per
        # person (the signed-in user or the API token's user, else the address), refused
        # with 429 and Retry-After beyond these. Sized so real field work never meets them.
        # tus PATCHes: static/js/upload.js sends 8 MiB each, so 600 a minute is 80 MiB/s
        # (640 Mbit/s) sustained, with room for every retry of a flaky link: a 4 GiB file is
        # 512 PATCHes. Each PATCH, however small, costs three commits and an fsync, so this
        # bounds what 7-byte PATCHes can cost. No minimum PATCH size: tus 1.0 lets a client
        # cut a file into any pieces, and a conforming client must not be refused for that.
        self.CUSTOS_TUS_PATCH_RATE_LIMIT = _env_rate_limit(
            "CUSTOS_TUS_PATCH_RATE_LIMIT", "600 per minute"
        )
        # tus uploads created (each a row and a partial file until finished or expired): 240
        # a minute is four files a second, beyond what a phone sends over a poor connection.
        self.CUSTOS_TUS_CREATE_RATE_LIMIT = _env_rate_limit(
            "CUSTOS_TUS_CREATE_RATE_LIMIT", "240 per minute"
        )
        # Whole-file uploads (the web form fallback and POST /api/v1/.../evidence), one budget:
        # each request stores one file (a form several), so as many as tus creations.
        self.CUSTOS_UPLOAD_RATE_LIMIT = _env_rate_limit(
            "CUSTOS_UPLOAD_RATE_LIMIT", "240 per minute"
        )
        # Case-file exports started (or failed ones tried again): each packs, hashes and
        # encrypts the whole case file in a background job; a lawyer makes a few a day.
        self.CUSTOS_EXPORT_RATE_LIMIT = _env_rate_limit("CUSTOS_EXPORT_RATE_LIMIT", "10 per hour")
        # Every API write (POST/PUT/PATCH/DELETE under /api/) per token user: a field client
        # syncing a day's backlog sends a few records a second at most.
        self.CUSTOS_API_WRITE_RATE_LIMIT = _env_rate_limit(
            "CUSTOS_API_WRITE_RATE_LIMIT", "300 per minute"
        )

        # C2PA trust anchors (app/provenance/trust.py): a PEM file of the roots whose signers
        # the organisation trusts (e.g. the C2PA trust list). Unset: a validly signed file is
        # "valid, signer not trusted". Read at each check; its SHA-256 is kept with the result.
        self.CUSTOS_C2PA_TRUST_ANCHORS = os.environ.get("CUSTOS_C2PA_TRUST_ANCHORS") or None
        # SafetyNet roots (app/provenance/safetynet.py): a PEM file of the roots that issue
        # attest.android.com's certificates (Google's, which this server cannot fetch). Unset:
        # a ProofMode bundle's SafetyNet attestation says "chain not checked: no root configured".
        self.CUSTOS_SAFETYNET_ROOTS = os.environ.get("CUSTOS_SAFETYNET_ROOTS") or None
        # WACZ domain signatures (app/webcapture/trust.py): PEM files of the roots trusted for
        # the signing domain's certificate chain and for the RFC 3161 timestamp's. Unset: a
        # domain signature that holds is "untrusted chain". Read at each check, SHA-256 kept.
        self.CUSTOS_WACZ_DOMAIN_ROOTS = os.environ.get("CUSTOS_WACZ_DOMAIN_ROOTS") or None
        self.CUSTOS_WACZ_TIMESTAMP_ROOTS = os.environ.get("CUSTOS_WACZ_TIMESTAMP_ROOTS") or None

        # Background jobs (issue 8, app/jobs/runners.py): "thread" runs them in this process
        # (the embedded default, no Redis), "inline" at commit in the caller's thread, "rq" on
        # the Redis queue CUSTOS_JOB_QUEUE for `flask worker` processes. A horse killed
        # mid-job is retried CUSTOS_JOB_RETRIES times; a job running longer than
        # CUSTOS_JOB_TIMEOUT_SECONDS is stopped and marked failed.
        self.CUSTOS_JOB_BACKEND = (os.environ.get("CUSTOS_JOB_BACKEND") or "thread").lower()
        self.REDIS_URL = os.environ.get("REDIS_URL") or None
        # How many reverse proxies (nginx, a load balancer) stand in front of Custos and set
        # X-Forwarded-For/-Proto/-Host; 0 (the default) ignores those headers entirely.
        self.TRUSTED_PROXIES = _env_int("CUSTOS_TRUSTED_PROXIES", 0)
        # Set by gunicorn.conf.py in web workers: they serve requests and never migrate, so
        # they skip loading Alembic (app/extensions.py, init_migrations).
        self.WEB_WORKER = _env_bool("CUSTOS_WEB_WORKER", False)
        # Set by worker.py (the job worker's entry point): it runs jobs and never migrates
        # nor runs a command, so it skips Alembic and the commands as a web worker does.
        self.JOB_WORKER = _env_bool("CUSTOS_JOB_WORKER", False)
        self.CUSTOS_JOB_QUEUE = os.environ.get("CUSTOS_JOB_QUEUE") or "custos"
        self.CUSTOS_JOB_TIMEOUT_SECONDS = _env_int("CUSTOS_JOB_TIMEOUT_SECONDS", 6 * 3600)
        self.CUSTOS_JOB_RETRIES = _env_int("CUSTOS_JOB_RETRIES", 2)
        # A running job writes a heartbeat this often; one silent for CUSTOS_JOB_STALE_SECONDS
        # lost its runner (killed worker or web process) and is marked failed, retryable.
        self.CUSTOS_JOB_HEARTBEAT_SECONDS = _env_int("CUSTOS_JOB_HEARTBEAT_SECONDS", 10)
        self.CUSTOS_JOB_STALE_SECONDS = _env_int("CUSTOS_JOB_STALE_SECONDS", 90)

    def validate(self) -> None:
        """Refuse configurations that would be unsafe in this environment."""
        if not self.SECRET_KEY:
            raise ConfigurationError("SECRET_KEY is not set.")
        self.validate_vault()
        self.validate_jobs()

    def validate_vault(self) -> None:
        if self.CUSTOS_BLOB_BACKEND not in ("local", "s3"):
            raise ConfigurationError(
                f"CUSTOS_BLOB_BACKEND must be local or s3, got {self.CUSTOS_BLOB_BACKEND!r}"
            )
        if self.CUSTOS_BLOB_BACKEND == "s3" and not self.CUSTOS_S3_BUCKET:
            raise ConfigurationError("CUSTOS_BLOB_BACKEND=s3 needs CUSTOS_S3_BUCKET.")
        if not 64 * 1024 <= self.CUSTOS_S3_READ_AHEAD_BYTES <= 256 * 1024 * 1024:
            raise ConfigurationError(
                "CUSTOS_S3_READ_AHEAD_BYTES must be between 65536 (64 KiB) and 268435456 (256 MiB)."
            )
        if self.CUSTOS_MAX_UPLOAD_BYTES < 1:
            raise ConfigurationError("CUSTOS_MAX_UPLOAD_BYTES must be a positive number of bytes.")
        if self.CUSTOS_UPLOAD_TTL_HOURS < 1:
            raise ConfigurationError("CUSTOS_UPLOAD_TTL_HOURS must be at least 1.")
        if not self.CUSTOS_CUSTODY_LOG_NAME or any(
            c.isspace() or c == "+" for c in self.CUSTOS_CUSTODY_LOG_NAME
        ):
            raise ConfigurationError("CUSTOS_CUSTODY_LOG_NAME is one word without '+'.")
        if any(urlsplit(url).scheme not in ("http", "https") for url in self.CUSTOS_TSA_URLS):
            raise ConfigurationError("CUSTOS_TSA_URLS are http:// or https:// URLs.")
        if self.CUSTOS_CUSTODY_ORIGIN_DAYS < 0:
            raise ConfigurationError("CUSTOS_CUSTODY_ORIGIN_DAYS must not be negative.")
        if self.CUSTOS_DRAFT_RETENTION_HOURS < 1:
            raise ConfigurationError("CUSTOS_DRAFT_RETENTION_HOURS must be at least 1.")
        if self.CUSTOS_API_TOKEN_MAX_DAYS < 1:
            raise ConfigurationError("CUSTOS_API_TOKEN_MAX_DAYS must be at least 1.")
        if self.CUSTOS_DEVICE_MAX_DAYS < 1:
            raise ConfigurationError("CUSTOS_DEVICE_MAX_DAYS must be at least 1.")
        if self.CUSTOS_OPENROSA_MAX_POST_BYTES < 1024 * 1024:
            raise ConfigurationError("CUSTOS_OPENROSA_MAX_POST_BYTES must be at least 1 MiB.")
        if self.CUSTOS_STREAM_CUSTODY_WINDOW_SECONDS < 0:
            raise ConfigurationError("CUSTOS_STREAM_CUSTODY_WINDOW_SECONDS must not be negative.")

    def validate_mail(self) -> None:
        """A mail password is never sent in the clear: a login needs STARTTLS."""
        if self.CUSTOS_SMTP_USERNAME and not self.CUSTOS_SMTP_STARTTLS:
            raise ConfigurationError(
                "CUSTOS_SMTP_USERNAME is set with CUSTOS_SMTP_STARTTLS off: the password would "
                "cross the network in the clear. Turn STARTTLS on."
            )

    def validate_jobs(self) -> None:
        if self.CUSTOS_JOB_BACKEND not in ("inline", "thread", "rq"):
            raise ConfigurationError(
                f"CUSTOS_JOB_BACKEND must be inline, thread or rq, got {self.CUSTOS_JOB_BACKEND!r}"
            )
        if self.CUSTOS_JOB_BACKEND == "rq" and not self.REDIS_URL:
            raise ConfigurationError(
                "CUSTOS_JOB_BACKEND=rq needs REDIS_URL, e.g. redis://:PASSWORD@127.0.0.1:6379/0"
            )
        if self.CUSTOS_JOB_TIMEOUT_SECONDS < 1 or self.CUSTOS_JOB_RETRIES < 0:
            raise ConfigurationError(
                "CUSTOS_JOB_TIMEOUT_SECONDS must be positive and CUSTOS_JOB_RETRIES not negative."
            )

    def validate_rate_limit_storage(self) -> None:
        problem = rate_limit_storage_problem(self.RATELIMIT_STORAGE_URI, self.WEB_WORKERS)
        if problem:
            raise ConfigurationError(problem)


def database_tls_problem(database_url: str, environ: Mapping[str, str] = os.environ) -> str | None:
    """Why the application's PostgreSQL connection might go unencrypted or unverified, or None.

    libpq's default sslmode is `prefer`: it tries TLS, silently falls back to plain text, and
    never checks the server's certificate, so anyone on the path can read witness data or pose
    as the database (ASVS V12.3.1/V12.3.2). Production asks for `verify-full` (TLS, a
    certificate from a trusted CA, for this host name). A Unix socket never leaves the machine.
    """
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        return None
    host = url.host or str(url.query.get("host") or "")
    if not host or host.startswith("/"):
        return None
    sslmode = url.query.get("sslmode") or environ.get("PGSSLMODE") or "prefer"
    if sslmode == "verify-full":
        return None
    return (
        f"DATABASE_URL connects to PostgreSQL at {host} with sslmode={sslmode}: the connection "
        "may be unencrypted and the server is not authenticated. Production needs "
        "?sslmode=verify-full (and the CA in sslrootcert or ~/.postgresql/root.crt), e.g. "
        "postgresql://custos:PASSWORD@db.internal/custos?sslmode=verify-full"
    )


def rate_limit_storage_problem(storage_uri: str, workers: int) -> str | None:
    """Why per-process rate-limit storage cannot serve this many workers, or None."""
    if not storage_uri.startswith("memory://") or workers <= 1:
        return None
    return (
        f"RATELIMIT_STORAGE_URI is memory:// while {workers} workers serve requests: each "
        "would count failed sign-ins and tokens on its own, so every limit would be "
        f"{workers} times looser. Point it at the Redis the workers share, e.g. "
        "RATELIMIT_STORAGE_URI=redis://:PASSWORD@127.0.0.1:6379/1, or run one worker."
    )


class DevelopmentConfig(Config):
    """Embedded default: SQLite and blobs under instance/, generated local secrets."""

    ENV_NAME = "development"

    def __init__(self) -> None:
        super().__init__()
        if not self.SECRET_KEY:
            self.SECRET_KEY = _development_secret_key(self.INSTANCE_PATH)


class TestingConfig(Config):
    """Used by the test suite: a throwaway instance folder and cheap password hashing."""

    ENV_NAME = "testing"
    TESTING = True

    def __init__(self) -> None:
        super().__init__()
        self.SECRET_KEY = self.SECRET_KEY or secrets.token_urlsafe(32)
        self.ARGON2_TIME_COST = 1
        self.ARGON2_MEMORY_KIB = 8192
        self.ARGON2_PARALLELISM = 1


class ProductionConfig(Config):
    """Production: refuses to start with a weak key or without HTTPS-only cookies."""

    ENV_NAME = "production"

    def __init__(self) -> None:
        super().__init__()
        self.SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", True)
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE
        if self.SESSION_COOKIE_SECURE:
            # __Host-: the browser accepts it only from this exact host over HTTPS with Path=/
            # and no Domain, so a sibling subdomain cannot plant or overwrite it (ASVS V3.3.3).
            self.SESSION_COOKIE_NAME = "__Host-custos_session"
        self.HSTS = True
        self.PREFERRED_URL_SCHEME = "https"

    def validate(self) -> None:
        self.validate_vault()
        self.validate_jobs()
        self.validate_rate_limit_storage()
        database_problem = database_tls_problem(self.SQLALCHEMY_DATABASE_URI)
        if database_problem:
            raise ConfigurationError(database_problem)
        if self.REDIS_URL and not urlsplit(self.REDIS_URL).password:
            # A Redis without a password lets anyone who reaches it queue work or read job ids
            # (SecureDrop's 2024 audit flagged exactly this).
            raise ConfigurationError(
                "REDIS_URL has no password. Production Redis must require one "
                "(requirepass or an ACL user): redis://:PASSWORD@host:6379/0"
            )
        key = self.SECRET_KEY or ""
        if not key:
            raise ConfigurationError(
                "SECRET_KEY is not set. Production needs a random secret of at least 32 "
                'characters, e.g. python -c "import secrets; print(secrets.token_urlsafe(48))"'
            )
        if len(key) < 32 or key.lower() in {"dev", "changeme", "secret", "change-me"}:
            raise ConfigurationError(
                "SECRET_KEY is too short or a well-known default; "
                "use at least 32 random characters."
            )
        if not self.SESSION_COOKIE_SECURE:
            raise ConfigurationError(
                "SESSION_COOKIE_SECURE is off. Production serves Custos over HTTPS only and its "
                "cookies must be HTTPS-only; unset SESSION_COOKIE_SECURE or set it to 1."
            )


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_from_environment() -> Config:
    """The config named by CUSTOS_ENV (development when unset)."""
    name = os.environ.get("CUSTOS_ENV", "development").strip().lower()
    if name not in CONFIGS:
        raise ConfigurationError(
            f"CUSTOS_ENV must be one of {', '.join(sorted(CONFIGS))}, got {name!r}"
        )
    return CONFIGS[name]()
