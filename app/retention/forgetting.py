"""A witness's request to be forgotten, decided by two people: identity destroyed, and told what
was kept and why.

What goes: every identity field (sealed name, date of birth, contact, location: set to NULL in
one Core UPDATE, so no ciphertext of them remains in the row). The testimony (transcripts,
notes, places, interpreters, addenda) goes too, unless a legal hold covers it or the witness
consented to use in legal proceedings earlier: then it stays and the reviewer is told which.
The pseudonymous code always stays: it names nobody, and the ledger and case files use it.
A hold on the witness themself refuses the request (a hold wins over every request).

"The identity only" (the action of a retention rule, not the witness's own request) destroys
the identity fields and the exports that name the witness, and keeps the testimony. Any hold
that covers the witness refuses it: a rule never outweighs a court's order to keep.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import delete, select, update

from app.casefiles.models import CaseExport
from app.casefiles.services.export_lifecycle import end_export
from app.custody.ledger import CustodyAction, append_custody_event
from app.extensions import db
from app.intake.models.interviews import Addendum, Interview, InterviewEvidence
from app.intake.models.witnesses import IDENTITY_FIELDS, Witness
from app.investigations.viewer import InvestigationViewer
from app.retention.blocking import refuse_for_holds
from app.retention.coverage import holds_on_witness
from app.retention.errors import RetentionError
from app.retention.export_guard import held_export
from app.retention.models import HoldTarget, RequestKind, RetentionRequest
from app.retention.two_person import open_request

TESTIMONY_FIELDS = ("transcript", "notes", "place", "interpreter")


def request_forgetting(
    viewer: InvestigationViewer, witness_code: str, reason: str, identity_only: bool = False
) -> RetentionRequest:
    """The witness's request (identity and testimony), or a rule's (the identity only)."""
    witness = _witness(viewer.investigation.id, witness_code)
    kind = RequestKind.DESTROY_IDENTITY if identity_only else RequestKind.FORGET_WITNESS
    _refuse_if_held(witness, viewer.user, kind)
    return open_request(viewer, kind, witness.id, witness.code, reason)


def forget_witness(request: RetentionRequest, approver) -> list[dict[str, str]]:
    """Carry out an approved request; returns (and stores on it) what was kept and why."""
    witness = db.session.get(Witness, request.target_id)
    if witness is None:
        raise RetentionError(_("This witness no longer exists."))
    kind = RequestKind(request.kind)
    _refuse_if_held(witness, approver, kind)
    holds = holds_on_witness(witness)
    kept = [
        {
            "what": _("The pseudonymous code %(code)s", code=witness.code),
            "why": _("It names nobody; the ledger and case files refer to the witness by it."),
        }
    ]
    interview_ids = list(
        db.session.scalars(select(Interview.id).where(Interview.witness_id == witness.id))
    )
    testimony_kept_because = _why_testimony_stays(witness, holds, kind)
    if interview_ids and testimony_kept_because:
        kept.append(
            {
                "what": _("The testimony (%(n)d interviews)", n=len(interview_ids)),
                "why": testimony_kept_because,
            }
        )
    elif interview_ids:
        _destroy_testimony(interview_ids)
    attached = db.session.scalar(
        select(db.func.count()).where(InterviewEvidence.interview_id.in_(interview_ids))
    )
    if attached:
        kept.append(
            {
                "what": _("%(n)d recordings or attachments of the interviews", n=attached),
                "why": _(
                    "Evidence items are destroyed one by one, each by its own "
                    "two-person destruction request."
                ),
            }
        )
    kept.extend(_withdraw_exports_naming(witness, approver))
    db.session.execute(
        update(Witness)
        .where(Witness.id == witness.id)
        .values(**{field: None for field in IDENTITY_FIELDS})
        .execution_options(synchronize_session=False)
    )
    append_custody_event(
        witness.investigation_id,
        approver,
        CustodyAction.IDENTITY_DESTROYED,
        "witness",
        witness.id,
        {
            "request": request.id,
            "fields_destroyed": list(IDENTITY_FIELDS),
            "testimony": "kept" if testimony_kept_because else "destroyed",
            "identity_only": kind is RequestKind.DESTROY_IDENTITY,
            "requested_by": request.requested_by_id,
            "approved_by": approver.id,
        },
    )
    request.kept = kept
    return kept


def _withdraw_exports_naming(witness: Witness, approver) -> list[dict[str, str]]:
    """Bags that name the witness are copies of their identity: their files go, unless held."""
    kept = []
    exports = db.session.scalars(
        select(CaseExport).where(
            CaseExport.investigation_id == witness.investigation_id,
            CaseExport.finished_at.is_not(None),
            CaseExport.withdrawn_at.is_(None),
        )
    )
    for export in exports:
        if witness.id not in (export.named_witness_ids or []):
            continue
        hold = held_export(export)
        if hold:
            kept.append(
                {
                    "what": _("A case-file export that names the witness"),
                    "why": _("Legal hold: %(holds)s.", holds=hold),
                }
            )
        else:
            end_export(export, approver, "export_withdrawn", "The witness asked to be forgotten.")
    return kept


def _why_testimony_stays(witness: Witness, holds, kind: RequestKind) -> str | None:
    if kind is RequestKind.DESTROY_IDENTITY:
        return _("Only the identity was to be destroyed (a retention rule's action).")
    if holds:
        return _("Legal hold: %(holds)s.", holds="; ".join(hold.describe() for hold in holds))
    earlier = [record for record in witness.consent_records if record.legal_proceedings]
    if earlier:
        return _(
            "The witness consented to use in legal proceedings on %(day)s, before this request.",
            day=earlier[0].obtained_on.isoformat(),
        )
    return None


def _destroy_testimony(interview_ids: list[str]) -> None:
    # Core statements on purpose: the ORM guard keeps sealed testimony from being edited, and
    # destruction is not an edit. The content hashes stay in the ledger as the record of it.
    db.session.execute(
        update(Interview)
        .where(Interview.id.in_(interview_ids))
        .values(**{field: None for field in TESTIMONY_FIELDS})
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        delete(Addendum)
        .where(Addendum.interview_id.in_(interview_ids))
        .execution_options(synchronize_session=False)
    )


def _witness(investigation_id: str, code: str) -> Witness:
    witness = db.session.scalar(
        select(Witness).where(
            Witness.investigation_id == investigation_id,
            Witness.code == (code or "").strip().upper(),
        )
    )
    if witness is None:
        raise RetentionError(
            _("No witness of this investigation has that code."), field="witness_code"
        )
    return witness


def _refuse_if_held(witness: Witness, actor, kind: RequestKind) -> None:
    """The witness's own request yields to a hold on them in person; a rule's, to any hold."""
    holds = holds_on_witness(witness)
    if kind is RequestKind.FORGET_WITNESS:
        holds = [hold for hold in holds if hold.target_type == HoldTarget.WITNESS.value]
    if holds:
        refuse_for_holds(witness.investigation_id, actor, "witness", witness.id, holds)
