"""Admin views: legal frameworks as data (list, upload a YAML/JSON document, retire/restore)."""

from __future__ import annotations

from flask import abort, render_template, request
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import TextAreaField
from wtforms.validators import Length, Optional

from app.admin import bp
from app.auth.forms import ConfirmForm
from app.auth.roles import role_required
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
    return render_template("casefiles/admin/framework.html", framework=framework, form=form)
