"""The acquisition record's form on the item page (values checked by the service)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField

from app.acquisition.models import Edited, Generation, Method

METHOD_LABELS = {
    Method.WEB_CAPTURE.value: _l("Web capture (WACZ or WARC)"),
    Method.DOWNLOAD.value: _l("Downloaded from a website or platform"),
    Method.SCREEN_RECORDING.value: _l("Screen recording"),
    Method.SCREENSHOT.value: _l("Screenshot"),
    Method.FROM_SOURCE.value: _l("Handed over by a source"),
    Method.OWN_RECORDING.value: _l("Recorded by the investigator"),
    Method.OTHER.value: _l("Other (say how in the note)"),
}
GENERATION_LABELS = {
    Generation.ORIGINAL.value: _l("Original"),
    Generation.COPY.value: _l("Copy"),
}
EDITED_LABELS = {
    Edited.NO.value: _l("Not edited"),
    Edited.YES.value: _l("Edited (say how in the note)"),
    Edited.UNKNOWN.value: _l("Not known"),
}


def _choices(labels: dict) -> list[tuple[str, object]]:
    return [("", _l("Not recorded")), *labels.items()]


class AcquisitionForm(FlaskForm):
    online_link = StringField(_l("Online link"))
    online_title = StringField(_l("Online title"))
    acquired_at = StringField(_l("Date and time of acquisition (UTC)"))
    method = SelectField(_l("Method of acquisition"), choices=_choices(METHOD_LABELS))
    method_note = StringField(_l("How (tool, account, device)"))
    acquired_from = StringField(_l("Acquired from"))
    generation = SelectField(_l("Generation"), choices=_choices(GENERATION_LABELS))
    original_location = StringField(_l("Where the original is"))
    edited = SelectField(_l("Edited"), choices=_choices(EDITED_LABELS))
    edit_note = StringField(_l("What was edited"))
    hashes_at_acquisition = TextAreaField(_l("Hashes at acquisition (one algorithm:hex a line)"))

    def values(self) -> dict:
        return {name: field.data for name, field in self._fields.items() if name != "csrf_token"}
