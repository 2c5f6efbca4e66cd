"""Admin views for accounts: list, create/invite, role, deactivate, unlock, 2FA reset."""

from __future__ import annotations

from flask import abort, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from app.admin import bp
from app.admin.approvals import services as approvals
from app.admin.forms import CreateUserForm, RoleForm
from app.auth.forms import ConfirmForm
from app.auth.models import User
from app.auth.roles import role_required
from app.auth.services import accounts
from app.extensions import db
from app.form_submission import (
    commit_or_flash,
    commit_or_refuse,
    submit_form,
    template_page,
)
from app.investigations.models import Membership
from app.service_errors import ServiceError


def user_or_404(user_id: str) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


def set_password_link(token: str) -> str:
    # The token goes after '#': browsers never send the fragment, so no log ever holds it.
    return url_for("auth.set_password", _external=True) + "#" + token


@bp.route("/")
@role_required("admin")
def index():
    return redirect(url_for("admin.users"))


@bp.route("/users")
@role_required("admin")
def users():
    rows = db.session.scalars(select(User).order_by(User.email))
    return render_template("admin/users.html", users=rows, confirm_form=ConfirmForm())


@bp.route("/users/new", methods=["GET", "POST"])
@role_required("admin")
def create_user():
    form = CreateUserForm()
    return submit_form(
        form,
        lambda: accounts.invite_user(
            form.email.data, form.name.data, form.role.data, actor=current_user
        ),
        done=lambda invited: render_template(
            "admin/user_invited.html", user=invited[0], link=set_password_link(invited[1])
        ),
        page=template_page("admin/user_new.html", form=form),
        unnamed_to="email",
    )


@bp.route("/users/<user_id>")
@role_required("admin")
def user_detail(user_id: str):
    user = user_or_404(user_id)
    return _user_page(user, RoleForm(role=user.role))


def _user_page(user: User, role_form: RoleForm, status: int = 200):
    memberships = db.session.scalars(select(Membership).where(Membership.user_id == user.id))
    return render_template(
        "admin/user_detail.html",
        user=user,
        memberships=list(memberships),
        role_form=role_form,
        confirm_form=ConfirmForm(),
    ), status


def _run_user_action(user_id: str, action, success: str):
    user = user_or_404(user_id)
    ConfirmForm.require()
    commit_or_flash(lambda: action(user), success)
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.route("/users/<user_id>/role", methods=["POST"])
@role_required("admin")
def change_role(user_id: str):
    user = user_or_404(user_id)
    form = RoleForm()
    if not form.validate_on_submit():  # the account's page again, saying what was refused
        return _user_page(user, form, 400)
    commit_or_flash(
        lambda: accounts.change_role(user, form.role.data, actor=current_user),
        "Role changed; the user's open sessions were signed out.",
    )
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.route("/users/<user_id>/deactivate", methods=["POST"])
@role_required("admin")
def deactivate(user_id: str):
    return _run_user_action(
        user_id,
        lambda user: accounts.deactivate(user, actor=current_user),
        "Account deactivated; its sessions end at their next request.",
    )


@bp.route("/users/<user_id>/reactivate", methods=["POST"])
@role_required("admin")
def reactivate(user_id: str):
    return _run_user_action(
        user_id, lambda user: accounts.reactivate(user, actor=current_user), "Account reactivated."
    )


@bp.route("/users/<user_id>/unlock", methods=["POST"])
@role_required("admin")
def unlock(user_id: str):
    return _run_user_action(
        user_id, lambda user: accounts.unlock(user, actor=current_user), "Account unlocked."
    )


@bp.route("/users/<user_id>/sign-out", methods=["POST"])
@role_required("admin")
def sign_out_everywhere(user_id: str):
    return _run_user_action(
        user_id,
        lambda user: accounts.sign_out_everywhere([user], actor=current_user),
        "Every open session of this account was signed out.",
    )


@bp.route("/users/<user_id>/reset-2fa", methods=["POST"])
@role_required("admin")
def reset_2fa(user_id: str):
    return _run_user_action(
        user_id,
        lambda user: approvals.reset_second_factor_of(user, actor=current_user),
        "Second factor reset; the user enrolls again at next sign-in.",
    )


@bp.route("/users/<user_id>/invite", methods=["POST"])
@role_required("admin")
def reinvite(user_id: str):
    user = user_or_404(user_id)
    ConfirmForm.require()
    token = commit_or_refuse(lambda: approvals.reinvite(user, actor=current_user))
    if isinstance(token, ServiceError):  # shown as a message: the request waits for approval
        return redirect(url_for("admin.user_detail", user_id=user.id))
    return render_template("admin/user_invited.html", user=user, link=set_password_link(token))
