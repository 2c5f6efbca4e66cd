"""Interview (testimony) form, sealing confirmation, addendum and evidence-link forms."""

from __future__ import annotations

from uuid import uuid4

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Optional

from app.intake.forms.fields import MultiCheckboxField, OptionalRadioField
from app.intake.models import EvidenceRole, Interview, InterviewMode
from app.intake.services.interviews import InterviewInput
from app.language_codes import code_from_entry, label
from app.timeutil import utcnow

MODE_CHOICES = [
    (InterviewMode.IN_PERSON.value, _l("In person")),
    (InterviewMode.REMOTE.value, _l("Remote")),
]
FIRST_HAND_CHOICES = [
    ("yes", _l("First-hand: the witness saw or heard it themselves")),
    ("no", _l("Not first-hand: the witness was told by others")),
]
INTERPRETER_CHOICES = [("no", _l("No interpreter")), ("yes", _l("An interpreter was present"))]
READ_BACK_CHOICES = [("yes", _l("Read back")), ("no", _l("Not read back"))]
# The one-language fields take their options from the page's one <datalist id=all-languages>
# (templates/intake/interviews/form.html).
ONE_LANGUAGE = {"list": "all-languages", "autocomplete": "off"}


def _yes_no(value: str | None) -> bool | None:
    return {"yes": True, "no": False}.get(value or "")


def _shown(code: str | None) -> str:
    """A stored code as its label in the reader's language, as the list offers it."""
    return label(code, str(get_locale() or "en")) if code else ""


def _as_yes_no(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


ROLE_CHOICES = [
    (EvidenceRole.ATTACHMENT.value, _l("Attachment")),
    (EvidenceRole.RECORDING.value, _l("Recording of this interview (audio or video)")),
]


class InterviewForm(FlaskForm):
    client_id = HiddenField()
    witness_id = SelectField(_l("Witness"), choices=[], validate_choice=False)
    interviewer_id = SelectField(_l("Interviewer"), choices=[], validate_choice=False)
    conducted_on = DateField(
        _l("Date of the interview"), validators=[Optional()], default=lambda: utcnow().date()
    )
    place = StringField(_l("Place of the interview"), render_kw={"autocomplete": "off"})
    mode = RadioField(_l("Mode"), choices=MODE_CHOICES, default=InterviewMode.IN_PERSON.value)
    languages = SelectMultipleField(
        _l("Languages spoken in the interview"), choices=[], validate_choice=False
    )
    interpreter_present = OptionalRadioField(
        _l("Was an interpreter present?"), choices=INTERPRETER_CHOICES, default=""
    )
    interpreter_user_id = SelectField(
        _l("Interpreter: a member of this investigation"), choices=[], validate_choice=False
    )
    interpreter_code = StringField(
        _l("or an external interpreter's code"), render_kw={"autocomplete": "off"}
    )
    interpreter = StringField(
        _l("External interpreter's name and contact (sealed, shown like a witness's identity)"),
        render_kw={"autocomplete": "off"},
    )
    # One language each, typed or picked from one list the page holds once (a <datalist>: four
    # selects of all 633 languages made the page 135 KB, 71 KB now); the code is read back.
    interpreted_from = StringField(_l("Interpreted from"), render_kw=ONE_LANGUAGE)
    interpreted_to = StringField(_l("Interpreted into"), render_kw=ONE_LANGUAGE)
    read_back = OptionalRadioField(
        _l("Was the record read back to the witness?"), choices=READ_BACK_CHOICES, default=""
    )
    read_back_language = StringField(_l("Read back in"), render_kw=ONE_LANGUAGE)
    first_hand = RadioField(
        _l("Is the account first-hand?"), choices=FIRST_HAND_CHOICES, default="yes"
    )
    incident_ids = MultiCheckboxField(_l("Incidents this testimony concerns"), choices=[])
    transcript = TextAreaField(_l("Transcript"), render_kw={"rows": 16})
    notes = TextAreaField(_l("Interviewer's notes"), render_kw={"rows": 4})
    save = SubmitField(_l("Save draft"))
    save_and_seal = SubmitField(_l("Save and review for sealing"))

    @classmethod
    def with_choices(cls, choices: dict[str, list[tuple[str, str]]]) -> InterviewForm:
        """The form with the options its select fields offer (app/intake/pages.py)."""
        form = cls()
        for name, options in choices.items():
            getattr(form, name).choices = options
        # The <datalist> of the one-language fields: the spoken languages' options again.
        form.language_list = choices.get("languages", [])
        return form

    def fill_new(self, witness_id: str, interviewer_id: str, incident_id: str | None) -> None:
        """A fresh draft: its client id, and the witness or incident the link came from."""
        self.client_id.data = str(uuid4())
        self.witness_id.data = witness_id
        self.interviewer_id.data = interviewer_id
        self.incident_ids.data = [incident_id] if incident_id else []

    def fill_from(self, interview: Interview) -> None:
        self.witness_id.data = interview.witness_id
        self.interviewer_id.data = interview.interviewer_id
        self.conducted_on.data = interview.conducted_on
        self.place.data = interview.place or ""
        self.mode.data = interview.mode
        self.languages.data = (interview.languages or "").split()
        self.interpreter_present.data = _as_yes_no(interview.interpreter_present)
        self.interpreter_user_id.data = interview.interpreter_user_id or ""
        self.interpreter_code.data = interview.interpreter_code or ""
        self.interpreter.data = interview.interpreter or ""
        self.interpreted_from.data = _shown(interview.interpreted_from)
        self.interpreted_to.data = _shown(interview.interpreted_to)
        self.read_back.data = _as_yes_no(interview.read_back)
        self.read_back_language.data = _shown(interview.read_back_language)
        self.first_hand.data = "yes" if interview.first_hand else "no"
        self.incident_ids.data = [incident.id for incident in interview.incidents]
        self.transcript.data = interview.transcript or ""
        self.notes.data = interview.notes or ""

    def to_input(self) -> InterviewInput:
        return InterviewInput(
            witness_id=self.witness_id.data or "",
            interviewer_id=self.interviewer_id.data or None,
            conducted_on=self.conducted_on.data,
            mode=self.mode.data or "",
            first_hand=self.first_hand.data == "yes",
            place=self.place.data or "",
            languages=list(self.languages.data or []),
            interpreter_present=_yes_no(self.interpreter_present.data),
            interpreter_user_id=self.interpreter_user_id.data or None,
            interpreter_code=self.interpreter_code.data or "",
            interpreter=self.interpreter.data or "",
            interpreted_from=code_from_entry(self.interpreted_from.data),
            interpreted_to=code_from_entry(self.interpreted_to.data),
            read_back=_yes_no(self.read_back.data),
            read_back_language=code_from_entry(self.read_back_language.data),
            incident_ids=list(self.incident_ids.data or []),
            transcript=self.transcript.data or "",
            notes=self.notes.data or "",
        )


class SealForm(FlaskForm):
    confirm = BooleanField(
        _l("I have checked this testimony. I understand it cannot be changed after sealing."),
        validators=[DataRequired(message=_l("Tick the box to confirm."))],
    )

    def __init__(self, *args, problems: list[str] | None = None, **kwargs) -> None:
        """`problems`: what stops the draft from being sealed now (app/intake/services/sealing)."""
        super().__init__(*args, **kwargs)
        self.problems = problems or []

    def validate(self, extra_validators=None) -> bool:
        return super().validate(extra_validators) and not self.problems


class AddendumForm(FlaskForm):
    text = TextAreaField(_l("Correction or addition"), render_kw={"rows": 5})


class LanguagesFixForm(FlaskForm):
    """The codes of a language written as free text before codes (a flagged record)."""

    languages = SelectMultipleField(
        _l("Languages spoken in the interview"), choices=[], validate_choice=False
    )


class LinkEvidenceForm(FlaskForm):
    evidence_id = MultiCheckboxField(_l("Your uploads not attached yet"), choices=[])
    role = RadioField(_l("They are"), choices=ROLE_CHOICES, default=EvidenceRole.ATTACHMENT.value)


class UnlinkEvidenceForm(FlaskForm):
    evidence_id = HiddenField()
