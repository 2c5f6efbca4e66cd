"""Admin page for the labels of consent purposes and custody actions, in each language."""

from __future__ import annotations

from flask import abort, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length

from app.admin import bp
from app.auth.roles import role_required
from app.form_submission import saved, submit_form
from app.vocabulary.labels import MAX_LABEL, VOCABULARIES, labels, update_label

TITLES = {
    "consent_purpose": _l("Consent purposes"),
    "custody_action": _l("Custody actions"),
}


class VocabularyLabelForm(FlaskForm):
    code = HiddenField(validators=[DataRequired()])
    label = StringField(_l("Label"), validators=[DataRequired(), Length(max=MAX_LABEL)])
    label_ar = StringField(
        _l("Label in Arabic"),
        validators=[Length(max=MAX_LABEL)],
        render_kw={"lang": "ar", "dir": "rtl"},
    )
    label_ru = StringField(
        _l("Label in Russian"), validators=[Length(max=MAX_LABEL)], render_kw={"lang": "ru"}
    )

    def texts(self) -> dict[str, str | None]:
        return {
            "label": self.label.data,
            "label_ar": self.label_ar.data,
            "label_ru": self.label_ru.data,
        }


def _page(vocabulary: str, posted: VocabularyLabelForm, status: int):
    def form_for(row):
        # The row just posted and refused shows what was sent, with its errors.
        if posted.is_submitted() and posted.code.data == row.code:
            return posted
        return VocabularyLabelForm(obj=row, formdata=None)

    return render_template(
        "admin/taxonomy_labels.html",
        vocabulary=vocabulary,
        title=TITLES[vocabulary],
        titles=TITLES,
        rows=labels(vocabulary),
        form_for=form_for,
        posted=posted,
    ), status


@bp.route("/taxonomy/labels/<vocabulary>", methods=["GET", "POST"])
@role_required("admin")
def taxonomy_labels(vocabulary: str):
    if vocabulary not in VOCABULARIES:
        abort(404)
    form = VocabularyLabelForm()
    return submit_form(
        form,
        lambda: update_label(vocabulary, form.code.data, form.texts(), current_user),
        done=lambda row: saved(
            _("Label %(code)s saved.", code=row.code),
            "admin.taxonomy_labels",
            vocabulary=vocabulary,
        ),
        page=lambda status: _page(vocabulary, form, status),
        unnamed_to="label",
    )
