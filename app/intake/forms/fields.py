"""Form fields the intake pages need beyond WTForms' own: checkboxes, an answer left open."""

from __future__ import annotations

from wtforms import RadioField, SelectMultipleField
from wtforms.widgets import CheckboxInput, ListWidget


class MultiCheckboxField(SelectMultipleField):
    """Several choices as checkboxes: easier to tap on a phone than a multiple select."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form: object) -> None:
        # Unknown values are reported by the service with a named error, not WTForms' text.
        return None


class OptionalRadioField(RadioField):
    """Radio buttons that may be left unanswered (a draft): nothing ticked is no answer, and
    anything ticked must be one of the choices."""

    def pre_validate(self, form: object) -> None:
        if self.data:
            super().pre_validate(form)
