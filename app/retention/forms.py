"""Forms of the retention pages: place a hold, ask for a release, a destruction, a forgetting."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import Length, Optional

from app.retention.models import HoldTarget

TARGETS = [
    (HoldTarget.INVESTIGATION.value, _l("The whole investigation")),
    (HoldTarget.CASEFILE.value, _l("A case file (its reference)")),
    (HoldTarget.EVIDENCE.value, _l("An evidence item (its id)")),
    (HoldTarget.WITNESS.value, _l("A witness (their code)")),
]


class HoldForm(FlaskForm):
    target_type = SelectField(_l("The hold is on"), choices=TARGETS, validate_choice=False)
    target = StringField(_l("Reference, id or code"), validators=[Length(max=96)])
    authority = StringField(_l("Who asked (authority)"), validators=[Length(max=200)])
    authority_reference = StringField(
        _l("Their reference (order or case number)"), validators=[Length(max=200)]
    )
    reason = TextAreaField(_l("Why"), validators=[Length(max=2000)])


class ReleaseForm(FlaskForm):
    reason = TextAreaField(_l("Why release it"), validators=[Length(max=2000)])


class DestroyForm(FlaskForm):
    evidence_id = StringField(_l("Evidence item id"), validators=[Length(max=36)])
    reason = TextAreaField(_l("Why destroy it"), validators=[Length(max=2000)])


class ForgetForm(FlaskForm):
    witness_code = StringField(_l("Witness code"), validators=[Length(max=16)])
    scope = SelectField(
        _l("What is destroyed"),
        choices=[
            ("forget", _l("The identity and the testimony: the witness asked to be forgotten")),
            ("identity", _l("The identity only: a retention rule came due")),
        ],
        validate_choice=False,
    )
    reason = TextAreaField(
        _l("The witness's request (how and when it was made)"), validators=[Length(max=2000)]
    )


class RuleForm(FlaskForm):
    item_kind = SelectField(
        _l("Items of kind"),
        choices=[
            ("any", _l("any kind")),
            ("photo", _l("photo")),
            ("video", _l("video")),
            ("audio", _l("audio")),
            ("document", _l("document")),
        ],
        validate_choice=False,
    )
    event = SelectField(
        _l("Counted from"),
        choices=[
            ("received", _l("when the item was received (a witness: registered)")),
            ("casefile_closed", _l("when its case files are closed (approved for referral)")),
            ("consent_withdrawn", _l("when the witness withdrew all consent")),
            ("investigation_closed", _l("when the investigation is closed")),
            ("date", _l("a date")),
        ],
        validate_choice=False,
    )
    event_date = DateField(_l("The date (for “a date”)"), validators=[Optional()])
    period_days = IntegerField(_l("Period (days)"), validators=[Optional()])
    action = SelectField(
        _l("At the end"),
        choices=[
            ("review", _l("a lawyer reviews the item")),
            ("destroy_identity", _l("the witness's identity only is proposed for destruction")),
            ("destroy_item", _l("the item is proposed for destruction (two people)")),
        ],
        validate_choice=False,
    )
    preview = SubmitField(_l("Preview: how many items it brings due now"))
    save = SubmitField(_l("Save the rule"))
