"""What leaves the intake services for a page or an API client, per viewer (CTFd-style views).

A viewer without `may_see_identities` gets a different serialisation of a witness, one that
has no identity keys at all, rather than a template deciding what to hide: a page, a log line
or an API response built from it cannot leak what it was never given. Interviews are shown
by the witness's pseudonym code only, to everyone. An intake-only node, which holds no key to
read what it sealed, serialises witnesses and testimony as receipts (app/intake/receipts.py).
"""

from __future__ import annotations

from typing import Any

from app.intake.models import ConsentRecord, Interview, Witness
from app.intake.models.witnesses import IDENTITY_FIELDS
from app.intake.receipts import interview_receipt, witness_receipt
from app.intake.services.consent import PURPOSES
from app.intake.when import incident_when
from app.investigations.models import Membership
from app.security.org_keys import intake_only


def _person(user: Any) -> dict[str, str] | None:
    """A staff member as shown to colleagues (never a witness)."""
    if user is None:
        return None
    return {"id": user.id, "name": user.name, "email": user.email}


def consent_record_view(record: ConsentRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "seq": record.seq,
        "kind": record.kind,
        "purposes": {purpose: bool(getattr(record, purpose)) for purpose in PURPOSES},
        "obtained_by": _person(record.obtained_by),
        "obtained_on": record.obtained_on,
        "language": record.language,
        "language_code": record.language_code,
        "recorded_by": _person(record.recorded_by),
        "recorded_at": record.recorded_at,
        "supersedes_id": record.supersedes_id,
    }


class PseudonymousWitnessView:
    """A witness as seen by a member without the identities flag: code, risk, consent."""

    @classmethod
    def serialise(cls, witness: Witness) -> dict[str, Any]:
        records = list(witness.consent_records)
        current = records[-1] if records else None
        return {
            "id": witness.id,
            "code": witness.code,
            "risk_level": witness.risk_level,
            "created_at": witness.created_at,
            "created_by": _person(witness.created_by),
            "consent": consent_record_view(current) if current else None,
            "consent_history": [consent_record_view(r) for r in reversed(records)],
            "identity_visible": False,
        }


class WitnessReceiptView(PseudonymousWitnessView):
    """On an intake-only node: no identity (it cannot be read here), what was stored instead."""

    @classmethod
    def serialise(cls, witness: Witness) -> dict[str, Any]:
        # Nothing is read back, consent answers included: the node's database role may not
        # (app/security/intake_role.py); the receipt says what was stored.
        return {
            "id": witness.id,
            "code": witness.code,
            "risk_level": witness.risk_level,
            "created_at": witness.created_at,
            "created_by": _person(witness.created_by),
            "consent": None,
            "consent_history": [],
            "identity_visible": False,
            "receipt": witness_receipt(witness),
        }


class IdentifiedWitnessView(PseudonymousWitnessView):
    """The same, plus the decrypted identity: only for members with `may_see_identities`."""

    @classmethod
    def serialise(cls, witness: Witness) -> dict[str, Any]:
        view = super().serialise(witness)
        view["identity"] = {name: getattr(witness, name) or "" for name in IDENTITY_FIELDS}
        view["identity_visible"] = True
        return view


def witness_view_class(viewer_membership: Membership | None) -> type[PseudonymousWitnessView]:
    if intake_only():
        return WitnessReceiptView
    if viewer_membership is not None and viewer_membership.may_see_identities:
        return IdentifiedWitnessView
    return PseudonymousWitnessView


def witness_view(witness: Witness, viewer_membership: Membership | None) -> dict[str, Any]:
    """The witness as this member may see it (the caller checked they may see it at all)."""
    return witness_view_class(viewer_membership).serialise(witness)


def _evidence_view(link: Any) -> dict[str, Any]:
    item = link.evidence
    return {
        "evidence_id": item.id,
        "role": link.role,
        "kind": item.kind,
        "media_type": item.media_type,
        "size": item.size,
        "sha256": item.sha256,
        "received_at": item.received_at,
        "linked_at": link.linked_at,
    }


def _incident_label(incident: Any) -> dict[str, Any]:
    return {
        "id": incident.id,
        "occurred_from": incident.occurred_from,
        "time_certainty": incident.time_certainty,
        "when": incident_when(incident),
        "place_name": incident.place_name,
        "admin_area": incident.admin_area,
    }


def _interpreter_view(interview: Interview, identities: bool) -> dict[str, Any]:
    """Who interpreted: a colleague, or an external code; the identity behind a code only
    with `identities` (the caller's grant), never a key that could carry it otherwise."""
    view = {
        "present": interview.interpreter_present,
        "member": _person(interview.interpreter_user),
        "code": interview.interpreter_code,
        "interpreted_from": interview.interpreted_from,
        "interpreted_to": interview.interpreted_to,
        "read_back": interview.read_back,
        "read_back_language": interview.read_back_language,
        "identity_visible": identities,
    }
    if identities:
        view["identity"] = interview.interpreter or ""
    return view


def interview_summary(
    interview: Interview, testimony: bool = False, identities: bool = False
) -> dict[str, Any]:
    """An interview for lists and pages: the witness by code only; transcript on request."""
    view = {
        "id": interview.id,
        "status": interview.status,
        "witness": {"id": interview.witness.id, "code": interview.witness.code},
        "interviewer": _person(interview.interviewer),
        "created_by": _person(interview.created_by),
        "conducted_on": interview.conducted_on,
        "mode": interview.mode,
        "languages": (interview.languages or "").split(),
        "language_as_written": interview.language or "",
        "language_to_fix": interview.language_to_fix,
        "record_format": interview.record_format,
        "first_hand": interview.first_hand,
        "incidents": [_incident_label(incident) for incident in interview.incidents],
        "content_hash": interview.content_hash,
        "sealed_at": interview.sealed_at,
        "sealed_by": _person(interview.sealed_by),
        "created_at": interview.created_at,
        "updated_at": interview.updated_at,
    }
    if testimony:
        view.update(
            place=interview.place or "",
            interpreter=_interpreter_view(interview, identities),
            transcript=interview.transcript or "",
            notes=interview.notes or "",
            evidence=[_evidence_view(link) for link in interview.evidence_links],
            addenda=[
                {
                    "id": addendum.id,
                    "seq": addendum.seq,
                    "text": addendum.text,
                    "author": _person(addendum.author),
                    "created_at": addendum.created_at,
                    "content_hash": addendum.content_hash,
                }
                for addendum in interview.addenda
            ],
        )
    return view


def interview_receipt_view(interview: Interview) -> dict[str, Any]:
    """A testimony on an intake-only node: its state and the receipt, from the columns the
    node's database role may read (app/intake/receipts.py), never the words or the setting."""
    return {
        "id": interview.id,
        "status": interview.status,
        "witness": {"id": interview.witness.id, "code": interview.witness.code},
        "content_hash": interview.content_hash,
        "sealed_at": interview.sealed_at,
        "created_at": interview.created_at,
        "updated_at": interview.updated_at,
        "receipt": interview_receipt(interview),
    }


def interview_view(interview: Interview, identities: bool = False) -> dict[str, Any]:
    """A whole testimony for its page or an API client (the caller checked visibility).

    `identities`: the viewer may see an external interpreter's identity
    (app/intake/visibility.py, may_see_interpreter_identity). On an intake-only node: the
    summary and the receipt, never the words.
    """
    if intake_only():
        return interview_receipt_view(interview)
    return interview_summary(interview, testimony=True, identities=identities)
