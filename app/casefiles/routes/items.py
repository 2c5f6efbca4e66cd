"""Views: one item of a case file (links to elements, grades, notes, corroborations, redaction)."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from app.auth.forms import ConfirmForm
from app.auth.roles import role_required
from app.casefiles import bp
from app.casefiles.forms import (
    AnnotationForm,
    AssessmentForm,
    CorroborationForm,
    LinkElementForm,
    RedactForm,
)
from app.casefiles.models import ItemType
from app.casefiles.routes.context import load_case_item
from app.casefiles.services import assessments as grading
from app.casefiles.services import casefiles as service
from app.casefiles.services.errors import CaseFileError
from app.casefiles.services.item_content import item_content
from app.casefiles.services.items import fetch_item, summaries_for, summarize
from app.casefiles.services.redaction import create_redacted_copy, redacted_copies
from app.drafts.declare import keeps_drafts
from app.form_submission import commit_or_refuse, committed, saved, submit_form
from app.investigations.viewer import viewer_of
from app.security.headers import sandbox_evidence
from app.service_errors import ServiceError

FORMS = {
    "link": LinkElementForm,
    "assess": AssessmentForm,
    "annotate": AnnotationForm,
    "corroborate": CorroborationForm,
}


def _item_page(investigation, casefile, case_item, forms=None, status=200):
    forms = dict(forms or {})
    refused = set(forms)  # forms posted and refused: they show what was posted
    for name, form_class in FORMS.items():
        forms.setdefault(name, form_class(formdata=None))
    elements = service.elements_of(casefile)
    forms["link"].element.choices = [
        (element.id, f"{element.crime.code} el. {element.code}: {element.shown_text[:90]}")
        for element in elements
    ]
    summaries = summaries_for(investigation, current_user, casefile.items)
    forms["corroborate"].other_item.choices = [
        (item.id, summaries[item.id].label)
        for item in casefile.items
        if item.id != case_item.id and item.id in summaries
    ]
    summary = summaries.get(case_item.id)
    if summary is None:
        abort(404)
    assessments = grading.assessments_of(case_item)
    if assessments and "assess" not in refused:
        # The form shows the grade on record, never a default that contradicts it (issue 18).
        forms["assess"].reliability.data = assessments[0].reliability
        forms["assess"].credibility.data = str(assessments[0].credibility)
    copies = redacted_copies(summary.obj) if case_item.item_type == ItemType.EVIDENCE.value else []
    content = item_content(viewer_of(investigation, current_user), case_item.item_type, summary.obj)
    return render_template(
        "casefiles/item.html",
        investigation=investigation,
        casefile=casefile,
        case_item=case_item,
        summary=summary,
        content=content,
        summaries=summaries,
        forms=forms,
        assessments=assessments,
        annotations=grading.annotations_of(case_item),
        corroborations=grading.corroborations_of(case_item),
        redacted=copies,
        confirm=ConfirmForm(),
    ), status


@bp.route("/<case_ref>/items/<item_id>")
@role_required("lawyer")
def item(reference: str, case_ref: str, item_id: str):
    return _item_page(*load_case_item(reference, case_ref, item_id))


# What each item form asks of the services, given the case file, the item and the valid form.
ACTIONS = {
    "link": lambda casefile, case_item, form: service.link_element(
        casefile, current_user, case_item, form.element.data, form.stance.data, form.note.data
    ),
    "assess": lambda casefile, case_item, form: grading.assess_item(
        casefile,
        current_user,
        case_item,
        form.reliability.data,
        form.credibility.data,
        form.rationale.data,
    ),
    "annotate": lambda casefile, case_item, form: grading.annotate_item(
        casefile, current_user, case_item, form.body.data
    ),
    "corroborate": lambda casefile, case_item, form: grading.corroborate(
        casefile, current_user, case_item, form.other_item.data, form.note.data
    ),
}


def _post(reference: str, case_ref: str, item_id: str, name: str) -> object:
    investigation, casefile, case_item = load_case_item(reference, case_ref, item_id)
    form = FORMS[name]()
    if name == "link":
        form.element.choices = [(e.id, "") for e in service.elements_of(casefile)]
    return submit_form(
        form,
        lambda: ACTIONS[name](casefile, case_item, form),
        done=lambda _saved: _item_saved(
            "Saved and recorded in the custody ledger.", reference, case_ref, item_id
        ),
        page=lambda status: _item_page(
            investigation, casefile, case_item, {name: form}, status=status
        ),
    )


def _item_saved(message: str, reference: str, case_ref: str, item_id: str):
    return saved(message, ".item", reference=reference, case_ref=case_ref, item_id=item_id)


@bp.route("/<case_ref>/items/<item_id>/links", methods=["POST"])
@keeps_drafts("element", "stance", "note")
@role_required("lawyer")
def link_element(reference: str, case_ref: str, item_id: str):
    return _post(reference, case_ref, item_id, "link")


@bp.route("/<case_ref>/items/<item_id>/links/<link_id>/remove", methods=["POST"])
@role_required("lawyer")
def unlink_element(reference: str, case_ref: str, item_id: str, link_id: str):
    investigation, casefile, case_item = load_case_item(reference, case_ref, item_id)
    link = service.link_for(casefile, case_item, link_id)
    if link is None:
        abort(404)
    ConfirmForm.require()
    outcome = commit_or_refuse(lambda: service.unlink_element(casefile, current_user, link))
    if isinstance(outcome, ServiceError):
        return _item_page(investigation, casefile, case_item, status=outcome.status)
    return _item_saved(
        "Link removed and recorded in the custody ledger.", reference, case_ref, item_id
    )


@bp.route("/<case_ref>/items/<item_id>/assessments", methods=["POST"])
@keeps_drafts("reliability", "credibility", "rationale")
@role_required("lawyer")
def assess(reference: str, case_ref: str, item_id: str):
    return _post(reference, case_ref, item_id, "assess")


@bp.route("/<case_ref>/items/<item_id>/annotations", methods=["POST"])
@keeps_drafts("body")
@role_required("lawyer")
def annotate(reference: str, case_ref: str, item_id: str):
    return _post(reference, case_ref, item_id, "annotate")


@bp.route("/<case_ref>/items/<item_id>/corroborations", methods=["POST"])
@keeps_drafts("other_item", "note")
@role_required("lawyer")
def corroborate(reference: str, case_ref: str, item_id: str):
    return _post(reference, case_ref, item_id, "corroborate")


# --- Redacting a photo --------------------------------------------------------------------------


def _photo_or_redirect(investigation, casefile, case_item):
    if case_item.item_type == ItemType.EVIDENCE.value:
        try:
            evidence = fetch_item(investigation, current_user, "evidence", case_item.item_id)
        except CaseFileError:
            abort(404)
        if evidence.kind == "photo":
            return evidence, None
    flash("Only photos can be redacted.", "error")
    target = url_for(
        ".item",
        reference=investigation.reference,
        case_ref=casefile.reference,
        item_id=case_item.id,
    )
    return None, redirect(target)


@bp.route("/<case_ref>/items/<item_id>/redact", methods=["GET", "POST"])
@role_required("lawyer")
def redact(reference: str, case_ref: str, item_id: str):
    investigation, casefile, case_item = load_case_item(reference, case_ref, item_id)
    evidence, elsewhere = _photo_or_redirect(investigation, casefile, case_item)
    if elsewhere is not None:
        return elsewhere
    form = RedactForm()
    return submit_form(
        form,
        lambda: create_redacted_copy(casefile, current_user, evidence, form.drawn()),
        done=lambda _copy: _item_saved(
            "Redacted copy saved; the original is unchanged.", reference, case_ref, item_id
        ),
        page=lambda status: (
            render_template(
                "casefiles/redact.html",
                investigation=investigation,
                casefile=casefile,
                case_item=case_item,
                summary=summarize("evidence", evidence),
                form=form,
            ),
            status,
        ),
    )


@bp.route("/<case_ref>/items/<item_id>/preview")
@role_required("lawyer")
def preview(reference: str, case_ref: str, item_id: str):
    """The photo, upright and without metadata, for drawing redaction boxes over it."""
    from app.casefiles.services.previews import photo_preview

    investigation, casefile, case_item = load_case_item(reference, case_ref, item_id)
    evidence, elsewhere = _photo_or_redirect(investigation, casefile, case_item)
    if elsewhere is not None:
        return elsewhere
    data = committed(lambda: photo_preview(evidence, current_user, casefile))
    response = Response(data, mimetype="image/jpeg")
    response.headers["Cache-Control"] = "no-store"
    return sandbox_evidence(response)
