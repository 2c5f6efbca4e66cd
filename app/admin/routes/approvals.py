"""Admin views of four-eyes requests: every administrator sees them; another one decides."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from app.admin import bp
from app.admin.approvals import services as approvals
from app.admin.routes.users import set_password_link
from app.auth.forms import ConfirmForm
from app.auth.roles import role_required
from app.form_submission import commit_or_flash, commit_or_refuse
from app.service_errors import ServiceError


@bp.app_template_global("waiting_approvals")
def waiting_approvals() -> int:
    """How many requests wait for a decision: the admin menu shows it on every admin page."""
    return len(approvals.pending_requests())


@bp.route("/approvals")
@role_required("admin")
def approval_requests():
    return render_template(
        "admin/approvals.html",
        requests=approvals.pending_requests(),
        what=approvals.WHAT,
        cli_hint=approvals.CLI_HINT,
        alone=approvals.other_admins(current_user) == 0,
        confirm_form=ConfirmForm(),
    )


@bp.route("/approvals/<request_id>/approve", methods=["POST"])
@role_required("admin")
def approve_request(request_id: str):
    ConfirmForm.require()
    approved = commit_or_refuse(lambda: approvals.approve(request_id, current_user))
    if isinstance(approved, ServiceError):
        return redirect(url_for("admin.approval_requests"))
    if approved.set_password_token is not None:
        link = set_password_link(approved.set_password_token)
        return render_template(
            "admin/user_invited.html", user=approved.request.target_user, link=link
        )
    flash("Approved and done.", "success")
    return redirect(url_for("admin.approval_requests"))


@bp.route("/approvals/<request_id>/refuse", methods=["POST"])
@role_required("admin")
def refuse_request(request_id: str):
    ConfirmForm.require()
    commit_or_flash(
        lambda: approvals.refuse(request_id, current_user), "Refused; nothing was done."
    )
    return redirect(url_for("admin.approval_requests"))
