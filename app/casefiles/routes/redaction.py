"""Views: redacting a video, recording or PDF of a case file by numbers, previewed, then queued."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.auth.roles import role_required
from app.casefiles import bp
from app.casefiles.models import ItemType
from app.casefiles.redaction_forms import MediaRedactForm
from app.casefiles.routes.context import load_case_item
from app.casefiles.services import redaction_previews as previews
from app.casefiles.services.errors import CaseFileError
from app.casefiles.services.items import fetch_item, summarize
from app.casefiles.services.redaction_jobs import (
    check_redaction,
    redaction_jobs,
    redaction_kind,
    start_redaction,
)
from app.form_submission import committed, submit_form
from app.jobs.models import Job
from app.security.headers import sandbox_evidence


def _media_or_redirect(investigation, casefile, case_item):
    """The evidence item and what it is ('video', 'audio', 'pdf'), or a redirect to the item."""
    if case_item.item_type == ItemType.EVIDENCE.value:
        try:
            evidence = fetch_item(investigation, current_user, "evidence", case_item.item_id)
        except CaseFileError:
            abort(404)
        kind = redaction_kind(evidence)
        if kind is not None:
            return evidence, kind, None
    flash("Only videos, recordings and PDF documents are redacted on this page.", "error")
    here = {"reference": investigation.reference, "case_ref": casefile.reference}
    return None, None, redirect(url_for(".item", item_id=case_item.id, **here))


def _raw(form: MediaRedactForm, kind: str):
    return form.pdf_raw() if kind == "pdf" else form.media_raw()


def _page(context: dict, form: MediaRedactForm, checked=None, status: int = 200):
    return render_template(
        "casefiles/redact_media.html",
        form=form,
        checked=checked,
        previews=previews,
        jobs=redaction_jobs(context["case_item"].id),
        **context,
    ), status


@bp.route("/<case_ref>/items/<item_id>/redact-media", methods=["GET", "POST"])
@role_required("lawyer")
def redact_media(reference: str, case_ref: str, item_id: str):
    investigation, casefile, case_item = load_case_item(reference, case_ref, item_id)
    evidence, kind, elsewhere = _media_or_redirect(investigation, casefile, case_item)
    if elsewhere is not None:
        return elsewhere
    form = MediaRedactForm()
    context = dict(investigation=investigation, casefile=casefile, case_item=case_item, kind=kind)
    context["summary"] = summarize("evidence", evidence)

    def act():
        raw = _raw(form, kind)
        if form.save.data:
            return start_redaction(casefile, case_item.id, current_user, evidence, raw)
        return check_redaction(evidence, raw)

    def done(result):
        if isinstance(result, Job):
            flash("The redacted copy is being made; the original is unchanged.", "success")
            return redirect(request.path)
        return _page(context, form, checked=result)

    return submit_form(form, act, done, lambda status: _page(context, form, status=status))


@bp.route("/<case_ref>/items/<item_id>/redact-media/preview")
@role_required("lawyer")
def redaction_preview(reference: str, case_ref: str, item_id: str):
    """A still (video) or page (PDF) with the boxes drawn, made in memory, never cached."""
    investigation, casefile, case_item = load_case_item(reference, case_ref, item_id)
    evidence, kind, elsewhere = _media_or_redirect(investigation, casefile, case_item)
    if elsewhere is not None:
        return elsewhere
    if kind == "audio":
        abort(404)
    data = committed(lambda: _picture(evidence, kind, casefile))
    response = Response(data, mimetype="image/jpeg")
    response.headers["Cache-Control"] = "no-store"
    return sandbox_evidence(response)


def _picture(evidence, kind: str, casefile) -> bytes:
    boxes = previews.parse_box_args(request.args.getlist("box"))
    if kind == "pdf":
        picture = previews.pdf_page(
            evidence, request.args.get("page", 1, type=int), [b for b, _ in boxes]
        )
    else:
        picture = previews.video_still(evidence, request.args.get("at", 0.0, type=float), boxes)
    previews.record_preview(evidence, current_user, casefile)
    return picture
