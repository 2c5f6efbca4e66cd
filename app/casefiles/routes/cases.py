"""Views: the list of case files, creating and editing one, its overview, items and workflow."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.auth.forms import ConfirmForm
from app.auth.roles import role_required
from app.casefiles import bp
from app.casefiles.forms import AddItemForm, CaseFileForm, TransitionForm
from app.casefiles.routes.context import load_case, load_case_item, refuse
from app.casefiles.services import casefiles as service
from app.casefiles.services import workflow
from app.casefiles.services.assessments import casefile_assessments
from app.casefiles.services.errors import CaseFileError
from app.casefiles.services.exports import exports_of
from app.casefiles.services.frameworks import crime_choices, load_shipped_frameworks
from app.casefiles.services.items import candidates, summaries_for
from app.extensions import db
from app.investigations.viewer import viewer_for


def _member_investigation(reference: str):
    return viewer_for(reference).investigation


def _crime_form(form: CaseFileForm) -> CaseFileForm:
    crimes = crime_choices()
    if not crimes:
        # First use on a fresh installation: the shipped frameworks are data, loaded on demand.
        load_shipped_frameworks()
        db.session.commit()
        crimes = crime_choices()
    form.crimes.choices = [(crime.id, f"{crime.code} — {crime.title}") for crime in crimes]
    return form


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
@role_required("lawyer")
def new(reference: str):
    investigation = _member_investigation(reference)
    form = _crime_form(CaseFileForm())
    if form.validate_on_submit():
        try:
            casefile = service.create_casefile(
                investigation,
                current_user,
                form.title.data,
                form.legal_question.data,
                form.crimes.data or [],
            )
        except CaseFileError as exc:
            db.session.rollback()
            refuse(exc, form)
        else:
            db.session.commit()
            flash(f"Case file {casefile.reference} created.", "success")
            return redirect(url_for(".show", reference=reference, case_ref=casefile.reference))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "casefiles/edit.html", investigation=investigation, form=form, casefile=None
    ), status


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
    grades = {}
    for assessment in casefile_assessments(casefile):
        grades.setdefault(assessment.case_item_id, assessment)
    return render_template(
        "casefiles/show.html",
        investigation=investigation,
        casefile=casefile,
        items=items,
        summaries=summaries,
        grades=grades,
        add_form=add_form,
        transition_form=transition_form or TransitionForm(),
        choices=workflow.choices(casefile, current_user),
        history=workflow.history(casefile),
        status_labels=workflow.STATUS_LABELS,
        exports=exports_of(casefile, current_user),
        confirm=ConfirmForm(),
    ), status


@bp.route("/<case_ref>/edit", methods=["GET", "POST"])
@role_required("lawyer")
def edit(reference: str, case_ref: str):
    investigation, casefile = load_case(reference, case_ref)
    form = _crime_form(CaseFileForm(obj=None if request.method == "POST" else casefile))
    if request.method == "GET":
        form.crimes.data = [crime.id for crime in casefile.characterizations]
    if form.validate_on_submit():
        try:
            service.update_casefile(
                casefile,
                current_user,
                form.title.data,
                form.legal_question.data,
                form.crimes.data or [],
            )
        except CaseFileError as exc:
            db.session.rollback()
            refuse(exc, form)
        else:
            db.session.commit()
            flash("Case file saved.", "success")
            return redirect(url_for(".show", reference=reference, case_ref=case_ref))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "casefiles/edit.html", investigation=investigation, form=form, casefile=casefile
    ), status


@bp.route("/<case_ref>/items", methods=["POST"])
@role_required("lawyer")
def add_item(reference: str, case_ref: str):
    investigation, casefile = load_case(reference, case_ref)
    form = AddItemForm()
    if form.validate_on_submit():
        item_type, _, item_id = (form.item.data or "").partition(":")
        try:
            service.add_item(casefile, investigation, current_user, item_type, item_id)
        except CaseFileError as exc:
            db.session.rollback()
            refuse(exc, form)
            return _overview(investigation, casefile, add_form=form, status=exc.status)
        db.session.commit()
        flash("Item added to the case file.", "success")
        return redirect(url_for(".show", reference=reference, case_ref=case_ref))
    return _overview(investigation, casefile, add_form=form, status=400)


@bp.route("/<case_ref>/items/<item_id>/remove", methods=["POST"])
@role_required("lawyer")
def remove_item(reference: str, case_ref: str, item_id: str):
    investigation, casefile, case_item = load_case_item(reference, case_ref, item_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        service.remove_item(casefile, current_user, case_item)
    except CaseFileError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _overview(investigation, casefile, status=exc.status)
    db.session.commit()
    flash("Item removed from the case file.", "success")
    return redirect(url_for(".show", reference=reference, case_ref=case_ref))


@bp.route("/<case_ref>/transition", methods=["POST"])
@role_required("lawyer")
def transition(reference: str, case_ref: str):
    investigation, casefile = load_case(reference, case_ref)
    form = TransitionForm()
    if not form.validate_on_submit():
        return _overview(investigation, casefile, transition_form=form, status=400)
    try:
        workflow.transition(
            investigation, casefile, current_user, form.to_status.data, form.comment.data
        )
    except CaseFileError as exc:
        db.session.rollback()
        refuse(exc, form)
        return _overview(investigation, casefile, transition_form=form, status=exc.status)
    db.session.commit()
    flash(f"Status: {workflow.STATUS_LABELS[casefile.status]}.", "success")
    return redirect(url_for(".show", reference=reference, case_ref=case_ref))
