"""Case-file forms: the shapes of the lawyer's inputs (the services decide what is valid)."""

from __future__ import annotations

import json

from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from app.accesslog.forms import ReasonFields
from app.casefiles.models import CREDIBILITY, RELIABILITY, Destination, FileChoice, Stance
from app.casefiles.services.destinations import RULES
from app.casefiles.services.errors import CaseFileError
from app.casefiles.services.export_bagit import ExportRequest
from app.casefiles.services.redaction import Rectangle, parse_rectangles
from app.casefiles.services.workflow import STATUS_LABELS


class CheckboxListField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class CaseFileForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    legal_question = TextAreaField(
        _l("Legal question"), validators=[DataRequired(), Length(max=4000)]
    )
    crimes = CheckboxListField(_l("Characterizations"), coerce=int, validate_choice=False)

    @classmethod
    def for_casefile(cls, casefile) -> CaseFileForm:
        """The case file as stored, to edit; what was sent when the POST comes back refused."""
        if request.method == "POST":
            return cls()
        form = cls(obj=casefile)
        form.crimes.data = [crime.id for crime in casefile.characterizations]
        return form

    def fields(self) -> tuple[str, str, list[int]]:
        """Title, legal question and crime ids, as create_casefile and update_casefile take them."""
        return self.title.data, self.legal_question.data, self.crimes.data or []


class AddItemForm(FlaskForm):
    item = SelectField(_l("Item"), validators=[DataRequired()], validate_choice=False)

    def item_key(self) -> tuple[str, str]:
        """("evidence", id) from the option's "evidence:id"."""
        item_type, _, item_id = (self.item.data or "").partition(":")
        return item_type, item_id


class LinkElementForm(FlaskForm):
    element = SelectField(_l("Element"), coerce=int, validate_choice=False)
    stance = RadioField(
        _l("The item"),
        choices=[
            (Stance.SUPPORTING.value, _l("supports the element")),
            (Stance.UNDERMINING.value, _l("undermines the element")),
        ],
        validators=[InputRequired(_l("Say whether the item supports or undermines the element."))],
        validate_choice=False,
    )
    note = TextAreaField(_l("Note: how it does"), validators=[Optional(), Length(max=4000)])


class AssessmentForm(FlaskForm):
    # No grade is preselected (issue 18): the first choice is empty and the lawyer must pick one.
    reliability = SelectField(
        _l("Source reliability"),
        choices=[("", _l("— choose a grade —"))]
        + [(code, f"{code} — {label}") for code, label in RELIABILITY.items()],
        default="",
        validators=[InputRequired(_l("Choose the source's reliability."))],
        validate_choice=False,
    )
    credibility = SelectField(
        _l("Information credibility"),
        choices=[("", _l("— choose a grade —"))]
        + [(str(code), f"{code} — {label}") for code, label in CREDIBILITY.items()],
        default="",
        validators=[InputRequired(_l("Choose the information's credibility."))],
        validate_choice=False,
    )
    rationale = TextAreaField(_l("Rationale"), validators=[DataRequired(), Length(max=4000)])


class AnnotationForm(FlaskForm):
    body = TextAreaField(_l("Annotation"), validators=[DataRequired(), Length(max=4000)])


class CorroborationForm(FlaskForm):
    other_item = SelectField(_l("This item corroborates"), validate_choice=False)
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=4000)])


class TransitionForm(FlaskForm):
    to_status = SelectField(
        _l("Change status to"), choices=list(STATUS_LABELS.items()), validate_choice=False
    )
    comment = TextAreaField(_l("Comment"), validators=[DataRequired(), Length(max=4000)])
    confirm_unsupported = BooleanField(
        _l("I have read the elements listed above and approve the file with these gaps.")
    )


class ExportForm(ReasonFields, FlaskForm):
    """The export asked for, and why (recorded on the access log when the export starts)."""

    destination = RadioField(
        _l("Where the export goes"),
        choices=[(rule.value, rule.label) for rule in RULES.values()],
        default=Destination.INTERNAL_REVIEW.value,
        validate_choice=False,
    )
    files = RadioField(
        _l("Files"),
        choices=[
            (
                FileChoice.ORIGINALS.value,
                _l(
                    "Originals: each file as received, with its recorded metadata (camera, "
                    "capture time, GPS position) and what the uploader stated about it"
                ),
            ),
            (
                FileChoice.REDACTED.value,
                _l(
                    "Redacted copies only: the redacted derivatives, without the original file "
                    "name, device metadata, GPS or stated facts; an item without a redacted "
                    "copy goes without its file, and the report lists it"
                ),
            ),
            (
                FileChoice.BOTH.value,
                _l("Both: the originals with all their metadata, and the redacted copies"),
            ),
        ],
        default=FileChoice.ORIGINALS.value,
        validate_choice=False,
    )
    location_precision = SelectField(
        _l("Location in a redacted export"),
        choices=[
            ("", _l("Leave the GPS position out")),
            ("2", _l("Rounded to about 1 km")),
            ("1", _l("Rounded to about 11 km")),
            ("0", _l("Rounded to about 111 km")),
        ],
        default="",
        validate_choice=False,
    )
    for_whom = StringField(
        _l("For whom (who will receive it)"), validators=[DataRequired(), Length(max=300)]
    )
    recipient = StringField(
        _l("Encrypt to age public key (optional, age1...)"),
        validators=[Optional(), Length(max=120)],
    )
    unencrypted_reason = StringField(
        _l("Without a key: why must the bag be delivered unencrypted?"),
        validators=[Optional(), Length(max=300)],
    )
    named_witnesses = CheckboxListField(_l("Name these witnesses"), validate_choice=False)

    def to_request(self) -> ExportRequest:
        """The export asked for; a location precision that is not offered is refused here."""
        from app.casefiles.services.exports import parse_precision

        return ExportRequest(
            destination=self.destination.data,
            unencrypted_reason=self.unencrypted_reason.data,
            location_precision=parse_precision(self.location_precision.data),
            files=self.files.data,
            for_whom=self.for_whom.data,
            recipient=self.recipient.data,
            named_witness_ids=tuple(self.named_witnesses.data or ()),
            access_reason=self.stated_reason(),
        )


class RedactForm(FlaskForm):
    rectangles = HiddenField(_l("Rectangles"), validators=[DataRequired()])

    def drawn(self) -> list[Rectangle]:
        """The rectangles drawn over the photo, as the redaction service takes them."""
        try:
            return parse_rectangles(json.loads(self.rectangles.data))
        except ValueError:
            raise CaseFileError(
                "The rectangles could not be read; draw them again.", "rectangles"
            ) from None
