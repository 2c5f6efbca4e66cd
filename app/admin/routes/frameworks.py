"""Admin views: legal frameworks as data (list, upload a YAML/JSON document, retire/restore)."""

from __future__ import annotations

from flask import abort, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.admin import bp
from app.auth.forms import ConfirmForm
from app.auth.roles import role_required
from app.casefiles.services import framework_translations
from app.casefiles.services import frameworks as service
from app.form_submission import committed, saved, submit_form


class FrameworkUploadForm(FlaskForm):
    document = FileField("Framework file (YAML or JSON)")
    text = TextAreaField(
        "…or paste it here", validators=[Optional(), Length(max=service.MAX_DOCUMENT_BYTES)]
    )

    def document_text(self) -> bytes | str:
        """The uploaded file (read one byte past the limit, so too long shows), or the paste."""
        upload = self.document.data
        raw = upload.read(service.MAX_DOCUMENT_BYTES + 1) if upload else (self.text.data or "")
        if not raw:
            raise service.FrameworkDocumentError("Choose a file or paste a document.", "document")
        return raw


@bp.route("/frameworks", methods=["GET", "POST"])
@role_required("admin")
def frameworks():
    form = FrameworkUploadForm()
    return submit_form(
        form,
        lambda: service.add_uploaded_framework(form.document_text(), current_user),
        done=lambda framework: saved(
            f"Framework {framework.code} added.",
            "admin.framework_detail",
            framework_code=framework.code,
        ),
        page=lambda status: (
            render_template(
                "casefiles/admin/frameworks.html",
                frameworks=service.all_frameworks(),
                form=form,
                example=service.example_document(),
            ),
            status,
        ),
        unnamed_to="document",
    )


@bp.route("/frameworks/<framework_code>", methods=["GET", "POST"])
@role_required("admin")
def framework_detail(framework_code: str):
    framework = service.framework_by_code(framework_code)
    if framework is None:
        abort(404)
    form = ConfirmForm()
    if request.method == "POST":
        ConfirmForm.require()
        committed(lambda: service.set_framework_active(framework, not framework.active))
        state = "offered" if framework.active else "retired"
        return saved(
            f"{framework.code} is now {state}.",
            "admin.framework_detail",
            framework_code=framework_code,
        )
    return _detail_page(framework, form)


class TranslationForm(FlaskForm):
    """One text of a framework (its title, a crime's title, an element) in Arabic and Russian."""

    target = HiddenField(validators=[DataRequired()])
    text_ar = TextAreaField(
        _l("In Arabic"), render_kw={"lang": "ar", "dir": "rtl", "rows": 2}, validators=[Optional()]
    )
    text_ru = TextAreaField(
        _l("In Russian"), render_kw={"lang": "ru", "rows": 2}, validators=[Optional()]
    )
    clear = BooleanField(_l("Show the English text (remove both)"))

    def for_target(self, target: str) -> TranslationForm:
        """Field ids of their own ("text_ar-element-40"): one page holds a form per text."""
        if framework_translations.TARGET.match(target or ""):
            for field in (self.text_ar, self.text_ru, self.clear, self.target):
                field.id = f"{field.name}-{target}"
        return self


def _detail_page(framework, form, translation_form=None, status: int = 200):
    def form_for(target: str, row, field: str) -> TranslationForm:
        # The text just posted and refused shows what was sent, with its error.
        if translation_form is not None and translation_form.target.data == target:
            return translation_form.for_target(target)
        return TranslationForm(
            formdata=None,
            target=target,
            text_ar=getattr(row, f"{field}_ar"),
            text_ru=getattr(row, f"{field}_ru"),
        ).for_target(target)

    return render_template(
        "casefiles/admin/framework.html",
        framework=framework,
        form=form,
        posted=translation_form,
        translation_form_for=form_for,
    ), status


@bp.route("/frameworks/<framework_code>/translations", methods=["POST"])
@role_required("admin")
def framework_translation(framework_code: str):
    framework = service.framework_by_code(framework_code)
    if framework is None:
        abort(404)
    form = TranslationForm()
    return submit_form(
        form,
        lambda: framework_translations.update_translation(
            framework,
            form.target.data,
            {"ar": form.text_ar.data, "ru": form.text_ru.data},
            bool(form.clear.data),
        ),
        done=lambda _row: saved(
            _("Translation saved."), "admin.framework_detail", framework_code=framework_code
        ),
        page=lambda status: _detail_page(
            framework, ConfirmForm(formdata=None), form.for_target(form.target.data), status
        ),
        unnamed_to="text_ar",
    )
