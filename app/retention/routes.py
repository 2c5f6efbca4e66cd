"""Views: an investigation's legal holds, its disposition queue and its tombstones (reviewers)."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for

from app.auth.forms import ConfirmForm
from app.form_submission import commit_or_flash, commit_or_refuse, submit_form, template_page
from app.retention import bp, decisions, disposition, forgetting, holds, pages, rules
from app.retention.forms import DestroyForm, ForgetForm, HoldForm, ReleaseForm, RuleForm
from app.service_errors import ServiceError

BASE = "/<reference>/retention"


@bp.route(f"{BASE}/holds", methods=["GET", "POST"])
def holds_page(reference: str):
    viewer = pages.reviewer_for(reference)
    form = HoldForm()
    return submit_form(
        form,
        lambda: holds.place_hold(viewer, pages.hold_input(form)),
        lambda hold: pages.hold_placed(hold, reference),
        template_page("retention/holds.html", **pages.holds_context(viewer, form)),
    )


@bp.route(f"{BASE}/holds/<hold_id>/release", methods=["POST"])
def request_release(reference: str, hold_id: str):
    viewer = pages.reviewer_for(reference)
    form = ReleaseForm()
    pages.require_posted(form)
    commit_or_flash(
        lambda: holds.request_release(viewer, hold_id, form.reason.data or ""),
        pages.RELEASE_ASKED,
    )
    return redirect(url_for("retention.holds_page", reference=reference))


@bp.route(f"{BASE}/requests")
def queue(reference: str):
    viewer = pages.reviewer_for(reference)
    return render_template("retention/queue.html", **pages.queue_context(viewer))


@bp.route(f"{BASE}/requests/destroy", methods=["POST"])
def request_destruction(reference: str):
    viewer = pages.reviewer_for(reference)
    form = DestroyForm()
    return submit_form(
        form,
        lambda: disposition.request_destruction(viewer, form.evidence_id.data, form.reason.data),
        lambda request: pages.done(pages.DESTRUCTION_ASKED, "retention.queue", reference),
        template_page("retention/queue.html", **pages.queue_context(viewer, destroy=form)),
    )


@bp.route(f"{BASE}/requests/forget", methods=["POST"])
def request_forgetting(reference: str):
    viewer = pages.reviewer_for(reference)
    form = ForgetForm()
    return submit_form(
        form,
        lambda: forgetting.request_forgetting(
            viewer, form.witness_code.data, form.reason.data, form.scope.data == "identity"
        ),
        lambda request: pages.done(pages.FORGETTING_ASKED, "retention.queue", reference),
        template_page("retention/queue.html", **pages.queue_context(viewer, forget=form)),
    )


@bp.route(f"{BASE}/requests/<request_id>/approve", methods=["POST"])
def approve(reference: str, request_id: str):
    viewer = pages.reviewer_for(reference)
    ConfirmForm.require()
    decision = commit_or_refuse(lambda: decisions.approve(viewer, request_id))
    if not isinstance(decision, ServiceError):
        decisions.finish(decision)
        flash(pages.approved_message(decision.request), "success")
    return redirect(url_for("retention.queue", reference=reference))


@bp.route(f"{BASE}/requests/<request_id>/refuse", methods=["POST"])
def refuse(reference: str, request_id: str):
    viewer = pages.reviewer_for(reference)
    ConfirmForm.require()
    commit_or_flash(lambda: decisions.refuse(viewer, request_id), pages.REFUSED)
    return redirect(url_for("retention.queue", reference=reference))


@bp.route(f"{BASE}/tombstones")
def tombstones(reference: str):
    viewer = pages.reviewer_for(reference)
    return render_template("retention/tombstones.html", **pages.tombstones_context(viewer))


@bp.route(f"{BASE}/rules", methods=["GET", "POST"])
def rules_page(reference: str):
    viewer = pages.reviewer_for(reference)
    form = RuleForm()
    if form.preview.data and form.validate_on_submit():
        return pages.rule_preview(viewer, form)
    return submit_form(
        form,
        lambda: rules.add_rule(viewer, pages.rule_input(form)),
        lambda rule: pages.done(pages.RULE_ADDED, "retention.rules_page", reference),
        template_page("retention/rules.html", **pages.rules_context(viewer, form)),
    )
