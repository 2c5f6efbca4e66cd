"""Admin forms: accounts, roles, investigations, memberships and audit-log filters."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, EmailField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.admin.audit_wording import event_choices
from app.admin.services import MEMBER_ROLES
from app.auth.models import ROLES

ROLE_CHOICES = [(role, role) for role in ROLES]
MEMBER_ROLE_CHOICES = [(role, role) for role in MEMBER_ROLES]


class CreateUserForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)


class InvestigationForm(FlaskForm):
    reference = StringField(
        _l("Reference (e.g. INV-2015-SYR-01)"), validators=[DataRequired(), Length(max=64)]
    )
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])


class AddMemberForm(FlaskForm):
    # A picker of the active accounts that are not members yet (set by the page, `offer`).
    email = SelectField(
        _l("Account"), validators=[DataRequired(), Length(max=254)], validate_choice=False
    )
    role = SelectField(
        _l("Role in this investigation"),
        choices=[("", _l("The account's own role (field, lawyer; an admin leads)"))]
        + MEMBER_ROLE_CHOICES,
        default="",
    )
    may_see_identities = BooleanField(_l("May see witness identities"))

    def offer(self, accounts: list) -> AddMemberForm:
        """Offer these accounts, by name, email and role; nothing is chosen for the admin."""
        self.email.choices = [("", _l("— choose an account —"))] + [
            (user.email, f"{user.name} <{user.email}> · {user.role}") for user in accounts
        ]
        return self


class ChangeMemberForm(FlaskForm):
    role = SelectField(_l("Role in this investigation"), choices=MEMBER_ROLE_CHOICES)
    may_see_identities = BooleanField(_l("May see witness identities"))


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    event = SelectField(
        _l("Event"), choices=[("", _l("Any event")), *event_choices()], validators=[Optional()]
    )
    actor = StringField(_l("Actor email"), validators=[Optional(), Length(max=254)])
    since = DateField(_l("From (UTC)"), validators=[Optional()])
    until = DateField(_l("Until (UTC, inclusive)"), validators=[Optional()])
