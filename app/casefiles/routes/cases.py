"""Views: the list of case files, creating and editing one, its overview, items and workflow."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user

from app.auth.forms import ConfirmForm
from app.auth.roles import role_required
from app.casefiles import bp
from app.casefiles.forms import AddItemForm, CaseFileForm, TransitionForm
from app.casefiles.routes.context import load_case
from app.casefiles.services import casefiles as service
from app.casefiles.services import workflow
from app.casefiles.services.assessments import casefile_assessments
from app.casefiles.services.exports import exports_of
from app.casefiles.services.frameworks import crime_choices, load_shipped_frameworks
from app.casefiles.services.items import candidates, destroyed_summaries, summaries_for
from app.casefiles.services.removals import pending_removals
from app.drafts.declare import keeps_drafts
from app.form_submission import committed, saved, submit_form
from app.investigations.viewer import viewer_for


def _member_investigation(reference: str):
    return viewer_for(reference).investigation


def _crime_form(form: CaseFileForm) -> CaseFileForm:
    crimes = crime_choices()
    if not crimes:
        # First use on a fresh installation: the shipped frameworks are data, loaded on demand.
        committed(load_shipped_frameworks)
        crimes = crime_choices()
    form.crimes.choices = [(crime.id, f"{crime.code} — {crime.title}") for crime in crimes]
    return form


def _case_saved(message: str, reference: str, case_ref: str):
    return saved(message, ".show", reference=reference, case_ref=case_ref)


@bp.route("/")
@role_required("lawyer")
def index(reference: str):
    investigation = _member_investigation(reference)
    return render_template(
        "casefiles/index.html",
        investigation=investigation,
        casefile=None,
        casefiles=service.casefiles_of(investigation, current_user),
        status_labels=workflow.STATUS_LABELS,
    )


@bp.route("/new", methods=["GET", "POST"])
@keeps_drafts("title", "legal_question", "crimes")
@role_required("lawyer")
def new(reference: str):
    investigation = _member_investigation(reference)
    form = _crime_form(CaseFileForm())
    return submit_form(
        form,
        lambda: service.create_casefile(investigation, current_user, *form.fields()),
        done=lambda casefile: _case_saved(
            f"Case file {casefile.reference} created.", reference, casefile.reference
        ),
        page=_edit_page(investigation, form, None),
    )


def _edit_page(investigation, form: CaseFileForm, casefile):
    return lambda status: (
        render_template(
            "casefiles/edit.html", investigation=investigation, form=form, casefile=casefile
        ),
        status,
    )


@bp.route("/<case_ref>")
@role_required("lawyer")
def show(reference: str, case_ref: str):
    investigation, casefile = load_case(reference, case_ref)
    return _overview(investigation, casefile)


def _overview(investigation, casefile, add_form=None, transition_form=None, status=200):
    items = service.items_with_links(casefile)
    summaries = summaries_for(investigation, current_user, items)
    in_case = {(item.item_type, item.item_id) for item in items}
    add_form = add_form or AddItemForm()
    add_form.item.choices = [
        (summary.key, f"{summary.item_type}: {summary.label}")
        for summary in candidates(investigation, current_user)
        if (summary.item_type, summary.item_id) not in in_case
    ]
    removals = pending_removals(casefile)
    grades = {}
    for assessment in casefile_assessments(casefile):
        grades.setdefault(assessment.case_item_id, assessment)
    return render_template(
        "casefiles/show.html",
        investigation=investigation,
        casefile=casefile,
        items=items,
        summaries=summaries,
        destroyed=destroyed_summaries(investigation, current_user, items),
        grades=grades,
        add_form=add_form,
        transition_form=transition_form or TransitionForm(),
        choices=workflow.choices(casefile, current_user),
        unsupported=workflow.unsupported_elements(casefile),
        element_total=len(service.elements_of(casefile)),
        history=workflow.history(casefile),
        status_labels=workflow.STATUS_LABELS,
        exports=exports_of(casefile, current_user),
        confirm=ConfirmForm(),
        removals=removals,
        removed_summaries=summaries_for(investigation, current_user, removals),
    ), status


@bp.route("/<case_ref>/edit", methods=["GET", "POST"])
@keeps_drafts("title", "legal_question", "crimes")
@role_required("lawyer")
def edit(reference: str, case_ref: str):
    investigation, casefile = load_case(reference, case_ref)
    form = _crime_form(CaseFileForm.for_casefile(casefile))
    return submit_form(
        form,
        lambda: service.update_casefile(casefile, current_user, *form.fields()),
        done=lambda _saved: _case_saved("Case file saved.", reference, case_ref),
        page=_edit_page(investigation, form, casefile),
    )


@bp.route("/<case_ref>/items", methods=["POST"])
@role_required("lawyer")
def add_item(reference: str, case_ref: str):
    investigation, casefile = load_case(reference, case_ref)
    form = AddItemForm()
    return submit_form(
        form,
        lambda: service.add_item(casefile, investigation, current_user, *form.item_key()),
        done=lambda _added: _case_saved("Item added to the case file.", reference, case_ref),
        page=lambda status: _overview(investigation, casefile, add_form=form, status=status),
    )


@bp.route("/<case_ref>/transition", methods=["POST"])
@keeps_drafts("to_status", "comment")
@role_required("lawyer")
def transition(reference: str, case_ref: str):
    investigation, casefile = load_case(reference, case_ref)
    form = TransitionForm()
    return submit_form(
        form,
        lambda: workflow.transition(
            investigation,
            casefile,
            current_user,
            form.to_status.data,
            form.comment.data,
            gaps_confirmed=form.confirm_unsupported.data,
        ),
        done=lambda _moved: _case_saved(
            f"Status: {workflow.STATUS_LABELS[casefile.status]}.", reference, case_ref
        ),
        page=lambda status: _overview(investigation, casefile, transition_form=form, status=status),
    )
