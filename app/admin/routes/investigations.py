"""Admin views for investigations and their memberships (never their content)."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from app.admin import bp, services
from app.admin.approvals import services as approvals
from app.admin.forms import AddMemberForm, ChangeMemberForm, InvestigationForm
from app.auth.forms import ConfirmForm
from app.auth.roles import role_required
from app.extensions import db
from app.form_submission import (
    commit_or_flash,
    commit_or_refuse,
    committed,
    saved,
    submit_form,
    template_page,
)
from app.investigations.access import managed_investigation_or_404, managed_membership_or_404
from app.investigations.models import Investigation, Membership
from app.retention import closing
from app.service_errors import ServiceError


@bp.route("/investigations", methods=["GET", "POST"])
@role_required("admin")
def investigations():
    form = InvestigationForm()
    return submit_form(
        form,
        lambda: services.create_investigation(
            form.reference.data, form.title.data, form.description.data or "", current_user
        ),
        done=lambda investigation: saved(
            f"Investigation {investigation.reference} created.",
            "admin.members",
            reference=investigation.reference,
        ),
        page=lambda status: (
            render_template(
                "admin/investigations.html",
                investigations=db.session.scalars(
                    select(Investigation).order_by(Investigation.reference)
                ),
                form=form,
            ),
            status,
        ),
        unnamed_to="reference",
    )


def members_page(investigation: Investigation, form: AddMemberForm):
    memberships = list(
        db.session.scalars(
            select(Membership).where(Membership.investigation_id == investigation.id)
        )
    )
    return template_page(
        "admin/members.html",
        investigation=investigation,
        memberships=memberships,
        form=form.offer(services.accounts_to_add(investigation)),
        change_form_for=lambda m: ChangeMemberForm(
            role=m.role, may_see_identities=m.may_see_identities
        ),
        confirm_form=ConfirmForm(),
    )


@bp.route("/investigations/<reference>/members", methods=["GET", "POST"])
@role_required("admin")
def members(reference: str):
    investigation = managed_investigation_or_404(reference)
    form = AddMemberForm()
    return submit_form(
        form,
        lambda: approvals.grant_membership_by_email(
            investigation,
            form.email.data,
            actor=current_user,
            role=form.role.data,
            may_see_identities=form.may_see_identities.data,
        ),
        done=lambda membership: saved(
            f"{membership.user.email} is now a member.", "admin.members", reference=reference
        ),
        page=members_page(investigation, form),
        unnamed_to="email",
    )


@bp.route("/investigations/<reference>/members/<membership_id>", methods=["POST"])
@role_required("admin")
def change_member(reference: str, membership_id: str):
    investigation = managed_investigation_or_404(reference)
    membership = managed_membership_or_404(investigation, membership_id)
    form = ChangeMemberForm()
    if not form.validate_on_submit():  # a row of the list: the refusal is said above it
        for errors in form.errors.values():
            for error in errors:
                flash(f"{membership.user.email}: {error}", "error")
        return redirect(url_for("admin.members", reference=reference), 303)
    outcome = commit_or_refuse(
        lambda: approvals.change_membership(
            membership, current_user, form.role.data, bool(form.may_see_identities.data)
        )
    )
    if isinstance(outcome, ServiceError):  # shown as a message: a request waits, or a refusal
        return redirect(url_for("admin.members", reference=reference))
    return saved("Membership changed.", "admin.members", reference=reference)


@bp.route("/investigations/<reference>/members/<membership_id>/revoke", methods=["POST"])
@role_required("admin")
def revoke_member(reference: str, membership_id: str):
    investigation = managed_investigation_or_404(reference)
    membership = managed_membership_or_404(investigation, membership_id)
    ConfirmForm.require()
    committed(lambda: services.revoke_membership(membership, current_user))
    return saved("Membership revoked.", "admin.members", reference=reference)


@bp.route("/investigations/<reference>/close", methods=["POST"])
@role_required("admin")
def close_investigation(reference: str):
    """Retention rules may count from the closing; one administrator may do it (closing.py)."""
    return _change_status(reference, closing.close_investigation, _l("Investigation closed."))


@bp.route("/investigations/<reference>/reopen", methods=["POST"])
@role_required("admin")
def reopen_investigation(reference: str):
    return _change_status(
        reference,
        closing.reopen_investigation,
        _l("Investigation reopened: due dates counted from its closing are gone."),
    )


def _change_status(reference: str, change, done: str):
    investigation = managed_investigation_or_404(reference)
    ConfirmForm.require()
    commit_or_flash(lambda: change(investigation, current_user), done)
    return redirect(url_for("admin.members", reference=reference))
