"""Admin views for investigations and their memberships (never their content)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from app.admin import bp
from app.admin.forms import AddMemberForm, ChangeMemberForm, InvestigationForm
from app.auth.accounts import user_by_email
from app.auth.forms import ConfirmForm
from app.auth.roles import role_required
from app.extensions import db
from app.investigations import services
from app.investigations.access import managed_investigation_or_404, managed_membership_or_404
from app.investigations.models import Investigation, Membership


@bp.route("/investigations", methods=["GET", "POST"])
@role_required("admin")
def investigations():
    form = InvestigationForm()
    if form.validate_on_submit():
        try:
            investigation = services.create_investigation(
                form.reference.data, form.title.data, form.description.data or "", current_user
            )
        except services.InvestigationError as exc:
            db.session.rollback()
            form.reference.errors.append(str(exc))
        else:
            db.session.commit()
            flash(f"Investigation {investigation.reference} created.", "success")
            return redirect(url_for("admin.members", reference=investigation.reference))
    rows = db.session.scalars(select(Investigation).order_by(Investigation.reference))
    status = 400 if form.errors else 200
    return render_template("admin/investigations.html", investigations=rows, form=form), status


@bp.route("/investigations/<reference>/members", methods=["GET", "POST"])
@role_required("admin")
def members(reference: str):
    investigation = managed_investigation_or_404(reference)
    form = AddMemberForm()
    if form.validate_on_submit():
        user = user_by_email(form.email.data)
        if user is None:
            form.email.errors.append("No account has this email.")
        else:
            try:
                services.grant_membership(
                    investigation,
                    user,
                    actor=current_user,
                    role=form.role.data,
                    may_see_identities=form.may_see_identities.data,
                )
            except services.InvestigationError as exc:
                db.session.rollback()
                form.email.errors.append(str(exc))
            else:
                db.session.commit()
                flash(f"{user.email} is now a member.", "success")
                return redirect(url_for("admin.members", reference=reference))
    memberships = db.session.scalars(
        select(Membership).where(Membership.investigation_id == investigation.id)
    )
    return render_template(
        "admin/members.html",
        investigation=investigation,
        memberships=list(memberships),
        form=form,
        change_form_for=lambda m: ChangeMemberForm(
            role=m.role, may_see_identities=m.may_see_identities
        ),
        confirm_form=ConfirmForm(),
    ), 400 if form.errors else 200


@bp.route("/investigations/<reference>/members/<membership_id>", methods=["POST"])
@role_required("admin")
def change_member(reference: str, membership_id: str):
    investigation = managed_investigation_or_404(reference)
    membership = managed_membership_or_404(investigation, membership_id)
    form = ChangeMemberForm()
    if not form.validate_on_submit():
        abort(400)
    services.change_membership(
        membership, current_user, form.role.data, bool(form.may_see_identities.data)
    )
    db.session.commit()
    flash("Membership changed.", "success")
    return redirect(url_for("admin.members", reference=reference))


@bp.route("/investigations/<reference>/members/<membership_id>/revoke", methods=["POST"])
@role_required("admin")
def revoke_member(reference: str, membership_id: str):
    investigation = managed_investigation_or_404(reference)
    membership = managed_membership_or_404(investigation, membership_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    services.revoke_membership(membership, current_user)
    db.session.commit()
    flash("Membership revoked.", "success")
    return redirect(url_for("admin.members", reference=reference))
