"""The PostgreSQL role an intake node connects as: the GRANTs, as SQL an operator runs.

Least privilege for a node that may be seized (docs/operations.md, "An intake node's
database role"). It may sign its staff in, read the investigations and memberships it
serves and its own upload state, and INSERT what intake creates: incidents, witnesses,
consents, interviews, evidence and their custody entries. It may not read the content it
wrote back (column grants leave out names, contacts, places, transcripts, notes and
descriptions), nor UPDATE or DELETE a custody entry, a checkpoint or an audit event.
The one statement list below is what `flask db intake-role` prints or applies and what
the test runs an intake node under.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import Flask

_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


@dataclass(frozen=True)
class Grant:
    table: str
    privileges: tuple[str, ...]  # "SELECT", "INSERT", "UPDATE", "DELETE", or "SELECT (a, b)"


# Columns an intake node reads back of the rows it creates: ids and numbering, for links
# and receipts (sealed_sizes: the bytes each sealed field stores); never the content.
_WITNESS_KEYS = (
    "SELECT (id, investigation_id, number, code, risk_level, created_by_id, created_at, "
    "updated_at, sealed_sizes)"
)
_INTERVIEW_KEYS = (
    "SELECT (id, investigation_id, witness_id, interviewer_id, created_by_id, status, "
    "content_hash, sealed_at, created_at, updated_at, sealed_sizes)"
)
_INCIDENT_KEYS = (
    "SELECT (id, investigation_id, occurred_from, created_by_id, created_at, updated_at, "
    "sealed_sizes)"
)
_EVIDENCE_RECEIPT = (
    "SELECT (id, investigation_id, kind, media_type, size, sha256, blob_key, uploaded_by_id, "
    "received_at)"
)

INTAKE_GRANTS: tuple[Grant, ...] = (
    # Signing in: accounts, sessions, second factors, API tokens.
    Grant("users", ("SELECT",)),
    Grant(
        "users",
        ("UPDATE (failed_logins, locked_until, last_login_at, totp_last_step, language)",),
    ),
    Grant("user_sessions", ("SELECT", "INSERT", "UPDATE")),
    Grant("recovery_codes", ("SELECT", "UPDATE (used_at)")),
    Grant("api_tokens", ("SELECT", "UPDATE (last_used_at)")),
    # Recent failed sign-ins of an account (the throttle); never addresses or details.
    Grant("audit_events", ("INSERT", "SELECT (id, time, event, target_type, target_id)")),
    # What the node serves: investigations, who is a member, the forms' word lists.
    Grant("investigations", ("SELECT",)),
    Grant("memberships", ("SELECT",)),
    Grant("weapon_types", ("SELECT",)),
    Grant("target_types", ("SELECT",)),
    # Consent purposes' and custody actions' labels in the reader's language.
    Grant("vocabulary_labels", ("SELECT",)),
    # What intake creates, written blind.
    # Places, areas, coordinates and alleged perpetrators are one sealed column (particulars),
    # left out of the key columns like every other sealed one.
    Grant("incidents", ("INSERT", _INCIDENT_KEYS)),
    Grant("incident_targets", ("INSERT",)),
    Grant("witnesses", ("INSERT", _WITNESS_KEYS)),
    # Consent records hold purposes (yes/no), dates, a language and staff ids, never a name:
    # sealing a testimony on the node checks the consent in force (app/intake/services/sealing.py).
    Grant("witness_consents", ("INSERT", "SELECT")),
    Grant("interviews", ("INSERT", _INTERVIEW_KEYS)),
    Grant("interview_incidents", ("INSERT",)),
    Grant("interview_evidence", ("INSERT", "SELECT (interview_id, evidence_id, role, linked_at)")),
    Grant("evidence_items", ("INSERT", _EVIDENCE_RECEIPT)),
    # An upload tied to the incident chosen on the form; an upload with a SHA-256 the
    # investigation already holds, linked to the earlier item (ids and hashes only).
    Grant("incident_evidence", ("INSERT", "SELECT (id, evidence_id, incident_id)")),
    Grant("evidence_links", ("INSERT",)),
    # Upload state: the node's own resumable uploads, created, advanced and ended.
    Grant("upload_sessions", ("SELECT", "INSERT", "UPDATE", "DELETE")),
    # A person's own unsaved writing, kept while they type (app/drafts).
    Grant("drafts", ("SELECT", "INSERT", "UPDATE", "DELETE")),
    Grant("jobs", ("SELECT", "INSERT", "UPDATE")),
    # Phones (OpenRosa): a device's credential (a SHA-256 of a random password, as API
    # tokens), the submissions it sent, keyed by instanceID, and their attachments' names;
    # ids, names and hashes, never an answer.
    Grant("openrosa_devices", ("SELECT", "UPDATE (last_used_at)")),
    Grant(
        "openrosa_submissions",
        ("SELECT", "INSERT", "UPDATE (interview_id, witness_id, incident_id, completed_at)"),
    ),
    Grant("openrosa_attachments", ("SELECT", "INSERT")),
    # Encrypted submissions kept for the reading node (app/openrosa/sealed_keeping.py): the
    # manifest ODK sends in clear (form, instanceID, the wrapped key, file names) read back to
    # answer a resend, and each `.enc` file's blob key, size and SHA-256, written blind.
    Grant("openrosa_sealed_submissions", ("SELECT", "INSERT")),
    Grant("openrosa_sealed_files", ("INSERT",)),
    # Their blobs, reserved while the request brings them, so `blobs gc` leaves them (random
    # blob keys and a time: app/vault/reservations.py).
    Grant("blob_reservations", ("SELECT", "INSERT", "DELETE")),
    # The custody ledger: append only. The head row is the append lock and pointer; tree
    # nodes are derived from the entries (an append overwrites what a rolled-back one left).
    # Read in full: before signing a head the node checks that the entries since the last
    # checkpoint extend it (app/custody/presign.py). Bodies name staff (id, email, role),
    # actions, object ids and hashes; never a witness or content (app/custody/ledger.py).
    Grant("custody_entries", ("SELECT", "INSERT")),
    Grant("custody_heads", ("SELECT", "INSERT", "UPDATE")),
    Grant("custody_tree_nodes", ("SELECT", "INSERT", "UPDATE (hash)")),
    Grant("custody_entry_origins", ("INSERT",)),
    # Its own checkpoints (signed with the node's key), the signers it may check the last
    # one against, and RFC 3161 requests for them: add, never change.
    Grant("custody_checkpoints", ("SELECT", "INSERT")),
    Grant("custody_timestamps", ("INSERT",)),
    Grant("custody_signers", ("SELECT",)),
    # The broken-ledger banner every page shows its members.
    Grant("custody_alarms", ("SELECT (id, investigation_id, acknowledged_at)", "INSERT")),
)


def check_name(name: str, what: str) -> str:
    """A role or schema name we may put in SQL unquoted-safe (and then quote anyway)."""
    if not _NAME.match(name):
        raise ValueError(f"{what} must be lower-case letters, digits and _ (got {name!r})")
    return name


def intake_role_statements(role: str, schema: str = "public", password: str | None = None):
    """The SQL, in order, that creates `role` (if a password is given) and grants it exactly
    INTAKE_GRANTS in `schema`: nothing else, because a role starts with no privileges."""
    role, schema = check_name(role, "the role name"), check_name(schema, "the schema")
    statements: list[str] = []
    if password is not None:
        literal = password.replace("'", "''")
        statements.append(f"CREATE ROLE \"{role}\" LOGIN PASSWORD '{literal}'")
    statements += [
        f'REVOKE ALL ON ALL TABLES IN SCHEMA "{schema}" FROM "{role}"',
        f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"',
        # nextval() for the integer keys of the tables above; sequences hold no content.
        f'GRANT USAGE ON ALL SEQUENCES IN SCHEMA "{schema}" TO "{role}"',
    ]
    for grant in INTAKE_GRANTS:
        for privilege in grant.privileges:
            statements.append(f'GRANT {privilege} ON "{schema}"."{grant.table}" TO "{role}"')
    return statements


def install_write_only_sessions(app: Flask) -> None:
    """On an intake node, a commit does not expire what was just written: otherwise the next
    attribute read (the new row's id, for the redirect) reloads the whole row, content
    columns included, which the role may not SELECT."""
    if not app.config.get("CUSTOS_INTAKE_ONLY"):
        return
    from app.extensions import db

    @app.before_request
    def keep_written_rows() -> None:
        db.session().expire_on_commit = False
