"""Witness views: list, registration with consent, the witness page, edit, consent changes.

Templates get witness *views* (app/intake/views.py), never the model: what a member without
`may_see_identities` is sent has no identity in it to leak.
"""

from __future__ import annotations

from flask import abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import undefer_group

from app.accesslog.forms import ReasonForm
from app.accesslog.views import reason_page
from app.form_submission import saved, submit_form, template_page
from app.intake import bp, pages, receipt_lists
from app.intake.forms.witnesses import (
    ConsentForm,
    RegrantDecisionForm,
    WitnessEditForm,
    WitnessForm,
)
from app.intake.models import ConsentRegrant, RegrantOutcome, Witness
from app.intake.models.witnesses import IDENTITY_GROUP
from app.intake.receipts import WITNESS_RECEIPT_LOAD
from app.intake.routes.page_context import page_number, receipt_list_page
from app.intake.services import consent_regrants as regrants
from app.intake.services.reads import record_identity_read
from app.intake.services.witnesses import (
    register_witness,
    update_witness,
)
from app.intake.views import witness_view
from app.intake.visibility import (
    may_edit_witness,
    may_record_consent,
    may_reveal_identity,
    witness_or_404,
)
from app.investigations.viewer import InvestigationViewer, viewer_for
from app.security.org_keys import intake_only


def load_witness(viewer: InvestigationViewer, witness_id: str):
    # Identity columns are decrypted only for a viewer who may see them.
    options = [undefer_group(IDENTITY_GROUP)] if viewer.may_see_identities else []
    return witness_or_404(viewer, witness_id, *options)


def witness_allowed(viewer: InvestigationViewer, witness_id: str, may) -> Witness:
    """The witness, 404 when the viewer may not see it and 403 when `may` says they may not."""
    record = load_witness(viewer, witness_id)
    if not may(viewer, record):
        abort(403)
    return record


def witness_page(template: str, viewer: InvestigationViewer, form, **context):
    return template_page(
        template,
        investigation=viewer.investigation,
        form=form,
        languages=pages.language_choices()["languages"],
        **context,
    )


def witness_saved(message: str, reference: str, witness_id: str):
    return saved(message, "intake.witness", reference=reference, witness_id=witness_id)


@bp.route("/witnesses")
def witnesses(reference: str):
    viewer = viewer_for(reference)
    if intake_only():
        return receipt_list_page(viewer, receipt_lists.witness_receipts(viewer, page_number()))
    q, risk = request.args.get("q", "")[:40], request.args.get("risk", "")[:16]
    context = pages.witness_list(viewer, q, risk, page_number())
    return render_template("intake/witnesses/list.html", **context)


@bp.route("/witnesses/new", methods=["GET", "POST"])
def new_witness(reference: str):
    viewer = viewer_for(reference)
    form = WitnessForm.fresh()
    return submit_form(
        form,
        lambda: register_witness(viewer.investigation, current_user, **form.registration()),
        done=lambda witness: witness_saved(
            _("Witness %(code)s registered.", code=witness.code), reference, witness.id
        ),
        page=witness_page("intake/witnesses/new.html", viewer, form),
    )


@bp.route("/witnesses/<witness_id>")
def witness(reference: str, witness_id: str):
    viewer = viewer_for(reference)
    if intake_only():
        # The receipt, from the columns this node's database role may read back.
        record = witness_or_404(viewer, witness_id, *WITNESS_RECEIPT_LOAD)
        return render_template(
            "intake/receipts/witness.html",
            investigation=viewer.investigation,
            witness=witness_view(record, None),
        )
    record = load_witness(viewer, witness_id)
    return render_template("intake/witnesses/detail.html", **pages.witness_detail(viewer, record))


@bp.route("/witnesses/<witness_id>/identity", methods=["GET", "POST"])
def reveal_witness_identity(reference: str, witness_id: str):
    """Break the glass: the identity, once a reason is stated (recorded before it is shown)."""
    viewer = viewer_for(reference)
    record = witness_allowed(viewer, witness_id, may_reveal_identity)
    form = ReasonForm()
    if not form.validate_on_submit():
        return reveal_reason_page(viewer, record, form)
    record_identity_read(viewer, record, form.stated_reason())
    context = pages.witness_detail(viewer, record, revealed=True)
    return render_template("intake/witnesses/detail.html", **context)


def reveal_reason_page(viewer: InvestigationViewer, record: Witness, form: ReasonForm):
    return reason_page(
        form,
        investigation=viewer.investigation,
        title=_("Reveal the identity of %(code)s", code=record.code),
        submit_label=_("Reveal identity"),
        back=url_for(
            "intake.witness", reference=viewer.investigation.reference, witness_id=record.id
        ),
    )


@bp.route("/witnesses/<witness_id>/edit", methods=["GET", "POST"])
def edit_witness(reference: str, witness_id: str):
    viewer = viewer_for(reference)
    record = witness_allowed(viewer, witness_id, may_edit_witness)
    context = pages.witness_edit(viewer, record)
    form = WitnessEditForm.starting_from(record.risk_level, context["identity_values"])
    return submit_form(
        form,
        lambda: update_witness(record, current_user, *form.changes(context["identities_visible"])),
        done=lambda _saved: witness_saved(_("Witness updated."), reference, witness_id),
        page=template_page("intake/witnesses/edit.html", form=form, **context),
    )


@bp.route("/witnesses/<witness_id>/consent", methods=["GET", "POST"])
def witness_consent(reference: str, witness_id: str):
    viewer = viewer_for(reference)
    record = witness_allowed(viewer, witness_id, may_record_consent)
    view = witness_view(record, None)  # the consent page names no one
    members, documents = pages.member_choices(viewer), regrants.document_choices(viewer)
    form = ConsentForm.starting_from(view["consent"], current_user.id, members, documents)
    return submit_form(
        form,
        lambda: regrants.record_or_request_consent(
            record, current_user, form.change_input(), form.consent_document.data or None
        ),
        done=lambda saved_: witness_saved(_consent_message(saved_), reference, witness_id),
        page=witness_page(
            "intake/witnesses/consent.html",
            viewer,
            form,
            witness=view,
            regrant=regrants.pending_view(record, viewer),
            decision=RegrantDecisionForm(),
        ),
        prefix="consent_",
    )


@bp.route("/witnesses/<witness_id>/consent/regrants/<regrant_id>", methods=["POST"])
def witness_regrant(reference: str, witness_id: str, regrant_id: str):
    viewer = viewer_for(reference)
    record = witness_allowed(viewer, witness_id, may_record_consent)
    form = RegrantDecisionForm()
    return submit_form(
        form,
        lambda: regrants.decide_regrant(regrant_id, current_user, bool(form.approve.data)),
        done=lambda saved_: witness_saved(_consent_message(saved_), reference, witness_id),
        page=witness_page(
            "intake/witnesses/consent.html",
            viewer,
            ConsentForm.starting_from(None, current_user.id, pages.member_choices(viewer)),
            witness=witness_view(record, viewer.membership),
            regrant=regrants.pending_view(record, viewer),
            decision=form,
        ),
    )


def _consent_message(saved_: object) -> str:
    if isinstance(saved_, ConsentRegrant):
        if saved_.outcome == RegrantOutcome.REFUSED.value:
            return _("Re-grant refused: the withdrawal stays in force.")
        return _("Re-grant asked: it takes effect when a second reviewer approves it.")
    return _("Consent recorded.")
