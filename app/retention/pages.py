"""What the retention views show and say: page contexts, messages, the form-to-input step."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

from app.auth.forms import ConfirmForm
from app.form_submission import show_refusal
from app.investigations.viewer import InvestigationViewer, viewer_for
from app.retention import holds, rules, two_person
from app.retention.disposition import tombstones_of
from app.retention.forms import DestroyForm, ForgetForm, HoldForm, ReleaseForm, RuleForm
from app.retention.lock_pending import pending_locks
from app.retention.models import RequestKind, RetentionRequest
from app.retention.object_lock import mirror_hold
from app.retention.reviewers import require_reviewer
from app.service_errors import ServiceError

HOLD_PLACED = _l("Hold placed. Nothing it covers can be destroyed until two people release it.")
RELEASE_ASKED = _l("Release requested: a second reviewer must approve it.")
DESTRUCTION_ASKED = _l("Destruction requested: a second reviewer must approve it.")
FORGETTING_ASKED = _l("Request recorded: a second reviewer must approve it.")
REFUSED = _l("Refused; nothing was done.")
RULE_ADDED = _l("Rule saved. `flask retention run` lists the items it brings due.")
KIND_NAMES = {
    RequestKind.RELEASE_HOLD.value: _l("Release a legal hold"),
    RequestKind.DESTROY_EVIDENCE.value: _l("Destroy an evidence item"),
    RequestKind.FORGET_WITNESS.value: _l("Forget a witness (request to be forgotten)"),
    RequestKind.DESTROY_IDENTITY.value: _l("Destroy a witness's identity only (a rule)"),
}


def reviewer_for(reference: str) -> InvestigationViewer:
    """404 for a non-member, 403 for a member who is not a reviewer: before any form is read."""
    viewer = viewer_for(reference)
    require_reviewer(viewer)
    return viewer


def require_posted(form: FlaskForm) -> None:
    """400 unless the form came with a valid CSRF token and within its lengths."""
    if not form.validate_on_submit():
        abort(400)


def hold_input(form: HoldForm) -> holds.HoldInput:
    return holds.HoldInput(
        target_type=form.target_type.data or "",
        target=form.target.data or "",
        authority=form.authority.data or "",
        authority_reference=form.authority_reference.data or "",
        reason=form.reason.data or "",
    )


def done(message: str, endpoint: str, reference: str):
    flash(message, "success")
    return redirect(url_for(endpoint, reference=reference))


def hold_placed(hold, reference: str):
    """After the commit: the object store's Object Lock holds too (object_lock.py)."""
    mirror_hold(hold)
    return done(HOLD_PLACED, "retention.holds_page", reference)


def approved_message(request: RetentionRequest) -> str:
    if request.kind == RequestKind.DESTROY_EVIDENCE.value:
        return str(
            _l(
                "Approved: the item, its derivatives and every stored copy are destroyed; "
                "its tombstone remains."
            )
        )
    if request.kind in (RequestKind.FORGET_WITNESS.value, RequestKind.DESTROY_IDENTITY.value):
        kept = "; ".join(f"{entry['what']}: {entry['why']}" for entry in request.kept)
        return str(_l("Approved: the witness's identity is destroyed. Kept: %(kept)s", kept=kept))
    return str(_l("Approved: the hold is released."))


def holds_context(viewer: InvestigationViewer, form: HoldForm) -> dict:
    return {
        "investigation": viewer.investigation,
        "holds": holds.holds_of(viewer),
        "pending_locks": pending_locks(viewer.investigation.id),
        "form": form,
        "release_form": ReleaseForm(formdata=None),
    }


def queue_context(
    viewer: InvestigationViewer,
    destroy: DestroyForm | None = None,
    forget: ForgetForm | None = None,
) -> dict:
    return {
        "investigation": viewer.investigation,
        "pending": two_person.requests_of(viewer, pending=True),
        "decided": two_person.requests_of(viewer, pending=False),
        "kind_names": KIND_NAMES,
        "destroy_form": destroy or DestroyForm(formdata=None),
        "forget_form": forget or ForgetForm(formdata=None),
        "confirm_form": ConfirmForm(),
    }


def tombstones_context(viewer: InvestigationViewer) -> dict:
    return {"investigation": viewer.investigation, "tombstones": tombstones_of(viewer)}


def rule_input(form: RuleForm) -> rules.RuleInput:
    return rules.RuleInput(
        item_kind=form.item_kind.data or "",
        event=form.event.data or "",
        period_days=form.period_days.data,
        action=form.action.data or "",
        event_date=form.event_date.data,
    )


def rules_context(viewer: InvestigationViewer, form: RuleForm, preview: str | None = None) -> dict:
    return {
        "investigation": viewer.investigation,
        "rules": rules.rules_of(viewer),
        "form": form,
        "preview": preview,
    }


def rule_preview(viewer: InvestigationViewer, form: RuleForm):
    """The rules page again, the form as typed, saying what the rule would do: nothing saved."""
    try:
        count = rules.preview_rule(viewer, rule_input(form))
    except ServiceError as refusal:
        show_refusal(form, refusal)
        return render_template("retention/rules.html", **rules_context(viewer, form)), 400
    message = _l(
        "Not saved yet. This rule would bring %(n)d items due now. Existing due dates do not "
        "move: rules are only added, and an item falls due under the earliest rule.",
        n=count,
    )
    return render_template("retention/rules.html", **rules_context(viewer, form, str(message)))
