"""Witness registration (with the first consent record), witness edit and consent forms."""

from __future__ import annotations

from uuid import uuid4

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, SelectField, StringField, SubmitField
from wtforms.validators import Optional

from app.intake.models import RiskLevel
from app.intake.services.consent import PURPOSES, ConsentInput, withdrawal
from app.intake.services.witnesses import WitnessInput
from app.timeutil import utcnow
from app.vocabulary.labels import label_of

RISK_CHOICES = [
    ("", _l("— choose —")),
    (RiskLevel.LOW.value, _l("Low")),
    (RiskLevel.MEDIUM.value, _l("Medium")),
    (RiskLevel.HIGH.value, _l("High")),
    (RiskLevel.EXTREME.value, _l("Extreme")),
]
NO_AUTOFILL = {"autocomplete": "off"}


def _today():
    return utcnow().date()


class _ConsentFields:
    """The consent questions, shared by registration and the consent page."""

    # Labelled with the purposes' labels in the reader's language (data: __init__).
    consent_interview = BooleanField()
    consent_legal_proceedings = BooleanField()
    consent_un_sharing = BooleanField()
    consent_publication = BooleanField()
    consent_named = BooleanField()

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for purpose in PURPOSES:
            getattr(self, f"consent_{purpose}").label.text = label_of("consent_purpose", purpose)

    consent_obtained_on = DateField(
        _l("Consent obtained on"), validators=[Optional()], default=_today
    )
    consent_language = StringField(
        _l("Language in which consent was explained"),
        render_kw={"list": "all-languages", "autocomplete": "off"},
    )

    def consent_input(self, obtained_by_id: str | None = None) -> ConsentInput:
        return ConsentInput(
            interview=bool(self.consent_interview.data),
            legal_proceedings=bool(self.consent_legal_proceedings.data),
            un_sharing=bool(self.consent_un_sharing.data),
            publication=bool(self.consent_publication.data),
            named=bool(self.consent_named.data),
            obtained_on=self.consent_obtained_on.data,
            language=self.consent_language.data or "",
            obtained_by_id=obtained_by_id,
        )


class _IdentityFields:
    full_name = StringField(_l("Full name"), render_kw=NO_AUTOFILL)
    date_of_birth = StringField(
        _l("Date of birth (YYYY, YYYY-MM or YYYY-MM-DD)"),
        render_kw={"autocomplete": "off", "inputmode": "numeric"},
    )
    contact = StringField(_l("Contact (phone, messenger, via whom)"), render_kw=NO_AUTOFILL)
    current_location = StringField(_l("Current location"), render_kw=NO_AUTOFILL)


class WitnessForm(_IdentityFields, _ConsentFields, FlaskForm):
    client_id = HiddenField()
    risk_level = SelectField(_l("Protection risk"), choices=RISK_CHOICES, validate_choice=False)

    @classmethod
    def fresh(cls) -> WitnessForm:
        """The registration form; shown for the first time, it gets its own client id."""
        form = cls()
        if not form.is_submitted():
            form.client_id.data = str(uuid4())
        return form

    def registration(self) -> dict:
        """register_witness's arguments after the investigation and the user."""
        return {
            "data": self.witness_input(),
            "consent": self.consent_input(),
            "client_id": self.client_id.data,
        }

    def witness_input(self) -> WitnessInput:
        return WitnessInput(
            risk_level=self.risk_level.data or "",
            full_name=self.full_name.data or "",
            date_of_birth=self.date_of_birth.data or "",
            contact=self.contact.data or "",
            current_location=self.current_location.data or "",
        )


class WitnessEditForm(_IdentityFields, FlaskForm):
    risk_level = SelectField(_l("Protection risk"), choices=RISK_CHOICES, validate_choice=False)

    @classmethod
    def starting_from(cls, risk_level: str, identity: dict[str, str] | None) -> WitnessEditForm:
        """Shown first: the witness as stored; identity fields only for who may see them."""
        form = cls()
        if not form.is_submitted():
            form.risk_level.data = risk_level
            for name, value in (identity or {}).items():
                getattr(form, name).data = value
        return form

    def changes(self, may_see_identities: bool) -> tuple[str, dict[str, str]]:
        """The risk level and the identity changes, as update_witness takes them."""
        return self.risk_level.data or "", self.identity_changes(may_see_identities)

    def identity_changes(self, may_see_identities: bool) -> dict[str, str]:
        """What to change: everything for those who saw the values; else only what was typed."""
        values = {
            name: getattr(self, name).data or ""
            for name in ("full_name", "date_of_birth", "contact", "current_location")
        }
        if may_see_identities:
            return values
        return {name: value for name, value in values.items() if value.strip()}


class RegrantDecisionForm(FlaskForm):
    """A second reviewer's decision on consent given back after a withdrawal."""

    approve = SubmitField(_l("Approve: put this consent in force"))
    refuse = SubmitField(_l("Refuse: the withdrawal stays in force"))


class ConsentForm(_ConsentFields, FlaskForm):
    consent_obtained_by_id = SelectField(
        _l("Consent obtained by"), choices=[], validate_choice=False
    )
    consent_document = SelectField(
        _l("Document of the new consent (needed to give consent back after a withdrawal)"),
        choices=[],
        validate_choice=False,
    )
    record = SubmitField(_l("Record this consent"))
    withdraw_all = SubmitField(_l("Record withdrawal of all consent"))

    @classmethod
    def starting_from(
        cls,
        consent: dict | None,
        obtained_by_id: str,
        members: list[tuple[str, str]],
        documents: list[tuple[str, str]] | None = None,
    ) -> ConsentForm:
        """Shown first: the witness's current consent, obtained by the person filling it in."""
        form = cls()
        form.consent_obtained_by_id.choices = members
        form.consent_document.choices = [("", _l("None"))] + (documents or [])
        if not form.is_submitted():
            form.consent_obtained_by_id.data = obtained_by_id
            if consent:
                for purpose, allowed in consent["purposes"].items():
                    getattr(form, f"consent_{purpose}").data = allowed
                form.consent_language.data = consent["language"]
        return form

    def change_input(self) -> ConsentInput:
        """The consent to record: all withdrawn (that button), or the purposes as ticked."""
        if self.withdraw_all.data:
            return withdrawal(self.consent_language.data or "", self.consent_obtained_on.data)
        return self.consent_input(self.consent_obtained_by_id.data)
