"""Admin views: legal frameworks as data (list, upload a YAML/JSON document, retire/restore)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import TextAreaField
from wtforms.validators import Length, Optional

from app.admin import bp
from app.auth.forms import ConfirmForm
from app.auth.roles import role_required
from app.casefiles.services import frameworks as service
from app.casefiles.services.errors import CaseFileError
from app.extensions import db


class FrameworkUploadForm(FlaskForm):
    document = FileField("Framework file (YAML or JSON)")
    text = TextAreaField(
        "…or paste it here", validators=[Optional(), Length(max=service.MAX_DOCUMENT_BYTES)]
    )


@bp.route("/frameworks", methods=["GET", "POST"])
@role_required("admin")
def frameworks():
    form = FrameworkUploadForm()
    status = 200
    if form.validate_on_submit():
        upload = form.document.data
        raw = upload.read(service.MAX_DOCUMENT_BYTES + 1) if upload else (form.text.data or "")
        try:
            if not raw:
                raise service.FrameworkDocumentError(
                    "Choose a file or paste a document.", "document"
                )
            framework = service.add_uploaded_framework(raw, current_user)
        except CaseFileError as exc:
            db.session.rollback()
            form.document.errors = [*form.document.errors, exc.message]
            status = 400
        else:
            db.session.commit()
            flash(f"Framework {framework.code} added.", "success")
            return redirect(url_for("admin.framework_detail", framework_code=framework.code))
    elif request.method == "POST":
        status = 400
    return render_template(
        "casefiles/admin/frameworks.html",
        frameworks=service.all_frameworks(),
        form=form,
        example=service.example_document(),
    ), status


@bp.route("/frameworks/<framework_code>", methods=["GET", "POST"])
@role_required("admin")
def framework_detail(framework_code: str):
    framework = service.framework_by_code(framework_code)
    if framework is None:
        abort(404)
    form = ConfirmForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        service.set_framework_active(framework, not framework.active)
        db.session.commit()
        flash(f"{framework.code} is now {'offered' if framework.active else 'retired'}.", "success")
        return redirect(url_for("admin.framework_detail", framework_code=framework_code))
    return render_template("casefiles/admin/framework.html", framework=framework, form=form)
