"""Who may reach each endpoint, written apart from the routes: the route matrices' answer key.

tests/test_route_matrix.py (web, session cookie) and tests/api/test_api_matrix.py (API, tokens)
walk every endpoint of the app's URL map and compare each persona's status with this table.
Nothing here is read from the code under test (no decorator attributes, no allow-lists of
app/): deleting `@role_required("admin")` from a view makes the matrix fail, and a route
added without a line here fails until someone decides who may reach it.

The personas, all in or around one investigation (tests/test_route_matrix.py, World):
- FIELD_A: a field account, field member, who made the witness, interview, incident, evidence
  and upload in the URLs (the object owner);
- FIELD_B: another field member (object level: A's submissions do not exist for B);
- LAWYER: a lawyer member without the identity grant, who asked for the case file's export;
- LAWYER_ID: a lawyer member holding the identity grant (`may_see_identities`);
- LAWYER_AS_FIELD: a lawyer account given only a field membership;
- ADMIN_MEMBER: an admin account that is a member as lead;
- ADMIN_OUTSIDER, FIELD_OUTSIDER, LAWYER_OUTSIDER: accounts without a membership;
- ANONYMOUS: not signed in.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ANONYMOUS = "anonymous"
FIELD_A = "field_a"
FIELD_B = "field_b"
LAWYER = "lawyer"
LAWYER_ID = "lawyer_identities"
LAWYER_AS_FIELD = "lawyer_as_field"
ADMIN_MEMBER = "admin_member"
ADMIN_OUTSIDER = "admin_outsider"
FIELD_OUTSIDER = "field_outsider"
LAWYER_OUTSIDER = "lawyer_outsider"

SIGNED_IN = (
    FIELD_A,
    FIELD_B,
    LAWYER,
    LAWYER_ID,
    LAWYER_AS_FIELD,
    ADMIN_MEMBER,
    ADMIN_OUTSIDER,
    FIELD_OUTSIDER,
    LAWYER_OUTSIDER,
)
PERSONAS = (ANONYMOUS, *SIGNED_IN)

# Outcomes. OK: the page works (a GET answers < 400; a write with an empty form or body may be
# refused as invalid, 400/409/415/422, never as 401/403/404 and never with a 5xx).
# LOGIN: sent to sign in (302 to /auth/login for pages, 401 for JSON callers).
# PUBLIC: reachable without signing in (never sent to sign in, never a 5xx).
OK = "ok"
LOGIN = "login"
PUBLIC = "public"
FORBIDDEN = 403
NOT_FOUND = 404
# Refused as forbidden or as missing, either way nothing shown (used for known gaps, whose fix
# may choose either).
REFUSED = "refused"


@dataclass(frozen=True)
class Policy:
    """One access rule, as a status for every persona."""

    name: str
    outcomes: dict[str, str | int]
    # Cells where main does not yet do what the rule says: (persona, issue reference). The
    # matrix marks them strict xfail, so the day the gap closes the test asks for this entry
    # to go.
    gaps: dict[str, str] = field(default_factory=dict)

    def outcome(self, persona: str) -> str | int:
        return self.outcomes[persona]


def policy(name: str, default: str | int, **overrides: str | int) -> Policy:
    outcomes = {persona: default for persona in SIGNED_IN}
    outcomes[ANONYMOUS] = LOGIN
    outcomes.update(overrides)
    return Policy(name, outcomes)


# Reachable without an account: signing in, the second factor, setting a password from an
# invitation link, and the health probes of the load balancer.
PUBLIC_PAGE = Policy("public", {persona: PUBLIC for persona in PERSONAS})
# Anyone signed in, about their own account or the organisation's shared reference data.
ACCOUNT = policy("account", OK)
# Phone apps' OpenRosa endpoints (issue 22): a device credential (HTTP Basic) is the only way
# in; a browser's session cookie, whoever it belongs to, is no credential there (401, with the
# Basic challenge). tests/openrosa/ covers what a device may and may not do.
DEVICE_ONLY = Policy("device credential only", {persona: 401 for persona in PERSONAS})
# The cosigning witness endpoint (issue 14): off unless the instance is configured with the
# log keys it serves (CUSTOS_CUSTODY_WITNESS_LOG_KEYS, unset here), so 404 for everyone;
# once on, a log-signed checkpoint is the only credential, never a session.
# tests/custody/test_cosign_http.py covers it switched on.
WITNESS_OFF = Policy("witness endpoint, off unless configured", {p: 404 for p in PERSONAS})
# Administration: the account's role decides, not membership (admins manage investigations
# they are not members of, and see no content through these pages).
ADMIN = policy(
    "admin",
    FORBIDDEN,
    **{ADMIN_MEMBER: OK, ADMIN_OUTSIDER: OK},
)
# Investigation content every member sees: 404 (never 403) for anyone else, so an outsider
# cannot tell an investigation exists.
MEMBER = policy(
    "member",
    OK,
    **{ADMIN_OUTSIDER: NOT_FOUND, FIELD_OUTSIDER: NOT_FOUND, LAWYER_OUTSIDER: NOT_FOUND},
)
# A submission of field researcher A (witness, interview, evidence and its derivatives): A and
# the investigation's reviewers (lawyer or lead members on a non-field account) see it; for
# other field members, including a lawyer account holding a field membership, it does not exist.
OWN_SUBMISSION = policy(
    "own submission",
    NOT_FOUND,
    **{FIELD_A: OK, LAWYER: OK, LAWYER_ID: OK, ADMIN_MEMBER: OK},
)
# Changing A's testimony (edit, seal, evidence links): A alone; reviewers see it but may not
# change it (403); for everyone else it does not exist.
OWNER_CHANGES = policy(
    "owner changes",
    NOT_FOUND,
    **{FIELD_A: OK, LAWYER: FORBIDDEN, LAWYER_ID: FORBIDDEN, ADMIN_MEMBER: FORBIDDEN},
)
# Editing A's witness: A, or a reviewer holding the identity grant (the form holds the identity).
WITNESS_EDIT = policy(
    "witness edit",
    NOT_FOUND,
    **{FIELD_A: OK, LAWYER: FORBIDDEN, LAWYER_ID: OK, ADMIN_MEMBER: FORBIDDEN},
)
# Deciding a consent re-grant on A's witness (four eyes on consent given back): a reviewer of
# the investigation decides; A, who registered the witness, is refused; for everyone else the
# witness does not exist.
REGRANT_DECISION = policy(
    "re-grant decision",
    NOT_FOUND,
    **{FIELD_A: FORBIDDEN, LAWYER: OK, LAWYER_ID: OK, ADMIN_MEMBER: OK},
)
# Editing an incident (shared by every member): its author or a reviewer.
INCIDENT_EDIT = policy(
    "incident edit",
    FORBIDDEN,
    **{
        FIELD_A: OK,
        LAWYER: OK,
        LAWYER_ID: OK,
        ADMIN_MEMBER: OK,
        ADMIN_OUTSIDER: NOT_FOUND,
        FIELD_OUTSIDER: NOT_FOUND,
        LAWYER_OUTSIDER: NOT_FOUND,
    },
)
# A resumable upload in progress answers its uploader alone (no investigation in its URL).
UPLOADER_ONLY = policy("uploader only", NOT_FOUND, **{FIELD_A: OK})
# Case files are lawyers' work: a non-lawyer account gets 403 whatever its membership; a lawyer
# outside the investigation gets 404.
CASEFILE = policy(
    "case file",
    FORBIDDEN,
    **{
        LAWYER: OK,
        LAWYER_ID: OK,
        LAWYER_AS_FIELD: OK,
        LAWYER_OUTSIDER: NOT_FOUND,
    },
)
# A case file's item and its preview show the evidence decrypted: a lawyer account holding
# only a field membership must not reach colleagues' evidence this way, as the vault's own
# pages refuse it (issue 15, item 1); nor grade, annotate, corroborate or link to an element
# an item it may not see.
CASEFILE_EVIDENCE = Policy("case-file evidence", {**CASEFILE.outcomes, LAWYER_AS_FIELD: REFUSED})
# Who read which identity, testimony or original, and why (issue 15, item 3): the lawyers,
# leads and admin members of the investigation; field members (whatever their account) 403.
ACCESS_REPORT = policy(
    "access report",
    FORBIDDEN,
    **{
        LAWYER: OK,
        LAWYER_ID: OK,
        ADMIN_MEMBER: OK,
        ADMIN_OUTSIDER: NOT_FOUND,
        FIELD_OUTSIDER: NOT_FOUND,
        LAWYER_OUTSIDER: NOT_FOUND,
    },
)
# Downloading an original of A's (issue 15, item 3): those who see it must state a reason
# first; a caller that is not a browser (this matrix's client) is told so with 428 before any
# byte; for everyone else it does not exist.
ORIGINAL_DOWNLOAD = policy(
    "original download",
    NOT_FOUND,
    **{FIELD_A: 428, LAWYER: 428, LAWYER_ID: 428, ADMIN_MEMBER: 428},
)
# Revealing A's witness's identity, with a stated reason: only a member holding the identity
# grant; the others who see the witness are refused (403); for the rest it does not exist.
IDENTITY_REVEAL = policy(
    "identity reveal",
    NOT_FOUND,
    **{FIELD_A: FORBIDDEN, LAWYER: FORBIDDEN, LAWYER_ID: OK, ADMIN_MEMBER: FORBIDDEN},
)
# An export answers its requester alone (issue 15, item 4); other lawyers of the investigation
# get 404, non-lawyers 403.
EXPORT_REQUESTER = policy(
    "export requester",
    FORBIDDEN,
    **{
        LAWYER: OK,
        LAWYER_ID: NOT_FOUND,
        LAWYER_AS_FIELD: NOT_FOUND,
        LAWYER_OUTSIDER: NOT_FOUND,
    },
)
# Acknowledging a custody alarm is an administrator's act on the investigation's ledger.
CUSTODY_ALARM = policy(
    "custody alarm",
    FORBIDDEN,
    **{ADMIN_MEMBER: OK, ADMIN_OUTSIDER: OK},
)

# Legal holds, the disposition queue and tombstones (issue 23): decided by those who read the
# whole ledger (lawyers, leads, admin members); field members 403; outsiders 404.
RETENTION = Policy("retention", dict(ACCESS_REPORT.outcomes))

EXPECTATIONS: dict[str, Policy] = {
    # admin/
    "admin.approval_requests": ADMIN,
    "admin.approve_request": ADMIN,
    "admin.audit": ADMIN,
    "admin.change_member": ADMIN,
    "admin.change_role": ADMIN,
    "admin.close_investigation": ADMIN,
    "admin.create_user": ADMIN,
    "admin.deactivate": ADMIN,
    "admin.fixity": ADMIN,
    "admin.sealed_submissions": ADMIN,
    "admin.framework_detail": ADMIN,
    "admin.framework_translation": ADMIN,
    "admin.frameworks": ADMIN,
    "admin.index": ADMIN,
    "admin.investigations": ADMIN,
    "admin.members": ADMIN,
    "admin.reactivate": ADMIN,
    "admin.refuse_request": ADMIN,
    "admin.reinvite": ADMIN,
    "admin.reopen_investigation": ADMIN,
    "admin.reset_2fa": ADMIN,
    "admin.revoke_member": ADMIN,
    "admin.sign_out_everywhere": ADMIN,
    "admin.taxonomy_labels": ADMIN,
    "admin.taxonomy_weapons": ADMIN,
    "admin.unlock": ADMIN,
    "admin.update_taxonomy_weapon": ADMIN,
    "admin.user_detail": ADMIN,
    "admin.users": ADMIN,
    # api/ (tokens only): no account role decides there, membership and ownership do.
    "openrosa.form_download": DEVICE_ONLY,
    "openrosa.form_list_document": DEVICE_ONLY,
    "openrosa.submission": DEVICE_ONLY,
    "api.add_interview_addendum": OWN_SUBMISSION,
    "api.custody_cosign": WITNESS_OFF,
    "api.evidence_item": OWN_SUBMISSION,
    "api.evidence_list": MEMBER,
    "api.incident": MEMBER,
    "api.incidents": MEMBER,
    "api.interview": OWN_SUBMISSION,
    "api.interviews": MEMBER,
    "api.investigation": MEMBER,
    "api.investigations": ACCOUNT,
    "api.link_evidence_incident": OWN_SUBMISSION,
    # An item's acquisition record: whoever may see the item (A's upload: A and reviewers).
    "api.evidence_acquisition": OWN_SUBMISSION,
    "api.record_evidence_acquisition": OWN_SUBMISSION,
    "api.link_interview_evidence": OWNER_CHANGES,
    "api.me": ACCOUNT,
    "api.new_incident": MEMBER,
    "api.new_interview": MEMBER,
    "api.new_witness": MEMBER,
    "api.openapi": ACCOUNT,
    "api.replace_interview": OWNER_CHANGES,
    "api.seal_interview": OWNER_CHANGES,
    "api.taxonomies": ACCOUNT,
    "api.unlink_evidence_incident": OWN_SUBMISSION,
    "api.unlink_interview_evidence": OWNER_CHANGES,
    "api.upload_evidence": MEMBER,
    "api.withdraw_witness_consent": OWN_SUBMISSION,
    "api.witness": OWN_SUBMISSION,
    "api.witnesses": MEMBER,
    # auth/
    "auth.change_language": ACCOUNT,
    "auth.change_password": ACCOUNT,
    "auth.end_sessions": ACCOUNT,
    "auth.enroll_2fa": ACCOUNT,
    "auth.enroll_2fa_qr": ACCOUNT,
    "auth.login": PUBLIC_PAGE,
    "auth.logout": ACCOUNT,
    "auth.new_api_token": ACCOUNT,
    "auth.recovery_codes": ACCOUNT,
    "auth.revoke_api_token": ACCOUNT,
    "auth.new_openrosa_device": ACCOUNT,
    "auth.revoke_openrosa_device": ACCOUNT,
    "auth.second_factor": PUBLIC_PAGE,
    "auth.set_password": PUBLIC_PAGE,
    "auth.settings": ACCOUNT,
    # casefiles/
    "casefiles.add_item": CASEFILE,
    "casefiles.annotate": CASEFILE_EVIDENCE,
    "casefiles.assess": CASEFILE_EVIDENCE,
    "casefiles.corroborate": CASEFILE_EVIDENCE,
    "casefiles.edit": CASEFILE,
    "casefiles.export": CASEFILE,
    "casefiles.export_download": EXPORT_REQUESTER,
    "casefiles.export_progress": EXPORT_REQUESTER,
    "casefiles.export_retry": EXPORT_REQUESTER,
    "casefiles.export_status": EXPORT_REQUESTER,
    "casefiles.index": CASEFILE,
    "casefiles.item": CASEFILE_EVIDENCE,
    "casefiles.link_element": CASEFILE_EVIDENCE,
    "casefiles.matrix": CASEFILE,
    "casefiles.new": CASEFILE,
    "casefiles.preview": CASEFILE_EVIDENCE,
    "casefiles.redact": CASEFILE_EVIDENCE,
    "casefiles.redact_media": CASEFILE_EVIDENCE,
    "casefiles.redaction_preview": CASEFILE_EVIDENCE,
    "casefiles.confirm_removal": CASEFILE,
    "casefiles.remove": CASEFILE,
    "casefiles.restore": CASEFILE,
    "casefiles.show": CASEFILE,
    "casefiles.transition": CASEFILE,
    "casefiles.unlink_element": CASEFILE,
    # accesslog/
    "accesslog.report": ACCESS_REPORT,
    "accesslog.report_download": ACCESS_REPORT,
    # retention/
    "retention.approve": RETENTION,
    "retention.holds_page": RETENTION,
    "retention.queue": RETENTION,
    "retention.refuse": RETENTION,
    "retention.request_destruction": RETENTION,
    "retention.request_forgetting": RETENTION,
    "retention.request_release": RETENTION,
    "retention.rules_page": RETENTION,
    "retention.tombstones": RETENTION,
    # custody/
    "custody.acknowledge_alarm": CUSTODY_ALARM,
    "custody.ledger": MEMBER,
    # drafts/, health/, main/
    "drafts.keep": ACCOUNT,
    "health.healthz": PUBLIC_PAGE,
    "health.readyz": PUBLIC_PAGE,
    "main.home": ACCOUNT,
    # intake/
    "intake.add_interview_addendum": OWN_SUBMISSION,
    "intake.edit_incident": INCIDENT_EDIT,
    "intake.edit_interview": OWNER_CHANGES,
    "intake.edit_witness": WITNESS_EDIT,
    # Choosing the codes of a flagged free-text language: who may add an addendum.
    "intake.fix_interview_languages": OWN_SUBMISSION,
    "intake.reveal_witness_identity": IDENTITY_REVEAL,
    "intake.incident": MEMBER,
    "intake.incident_map": MEMBER,
    "intake.incident_map_data": MEMBER,
    "intake.incident_timeline": MEMBER,
    "intake.incidents": MEMBER,
    "intake.interview": OWN_SUBMISSION,
    "intake.interviews": MEMBER,
    # Tying evidence to an incident: whoever may see the item (A's upload: A and reviewers).
    "intake.link_evidence_incident": OWN_SUBMISSION,
    "intake.link_interview_evidence": OWNER_CHANGES,
    "intake.upload_interview_evidence": OWNER_CHANGES,
    "intake.new_incident": MEMBER,
    "intake.new_interview": MEMBER,
    "intake.new_witness": MEMBER,
    "intake.seal_interview": OWNER_CHANGES,
    # Translations go with the testimony (docs/translations.md): whoever sees A's testimony
    # reads its translations, starts one, and revises and seals another person's draft (the
    # translator's own seal is refused as input, 400); only the translator edits a draft.
    "intake.new_translation": OWN_SUBMISSION,
    "intake.translation": OWN_SUBMISSION,
    "intake.seal_translation": OWN_SUBMISSION,
    "intake.edit_translation": OWNER_CHANGES,
    "intake.unlink_evidence_incident": OWN_SUBMISSION,
    "intake.unlink_interview_evidence": OWNER_CHANGES,
    "intake.witness": OWN_SUBMISSION,
    "intake.witness_consent": OWN_SUBMISSION,
    "intake.witness_regrant": REGRANT_DECISION,
    "intake.witnesses": MEMBER,
    # investigations/
    "investigations.index": ACCOUNT,
    "investigations.overview": MEMBER,
    # vault/
    "vault.evidence_derivative": OWN_SUBMISSION,
    "vault.evidence_download": ORIGINAL_DOWNLOAD,
    "vault.evidence_download_reason": OWN_SUBMISSION,
    "vault.evidence_item": OWN_SUBMISSION,
    "consistency.consistency_recheck": OWN_SUBMISSION,
    "provenance.provenance_recheck": OWN_SUBMISSION,
    "provenance.proofmode_key_pin": REGRANT_DECISION,
    "provenance.wacz_key_pin": REGRANT_DECISION,
    "provenance.wacz_key_unpin": REGRANT_DECISION,
    "duplicates.duplicate_decision": REGRANT_DECISION,
    # An item's acquisition record: whoever may see the item (A's upload: A and reviewers).
    "acquisition.record_evidence_acquisition": OWN_SUBMISSION,
    "vault.evidence_list": MEMBER,
    "vault.evidence_stream": OWN_SUBMISSION,
    "vault.tus_create": MEMBER,
    "vault.tus_upload": UPLOADER_ONLY,
    "vault.upload_evidence": MEMBER,
}
