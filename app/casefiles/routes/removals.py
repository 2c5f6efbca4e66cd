"""Views: removing an item from a case file (asked first) and undoing the removal."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user

from app.auth.forms import ConfirmForm
from app.auth.roles import role_required
from app.casefiles import bp
from app.casefiles.routes.context import load_case, load_case_item
from app.casefiles.services.items import summaries_for
from app.casefiles.services.removals import remove_item, restore_item, undo_window, what_goes_with
from app.form_submission import committed, saved


@bp.route("/<case_ref>/items/<item_id>/remove", methods=["GET"])
@role_required("lawyer")
def confirm_removal(reference: str, case_ref: str, item_id: str):
    investigation, casefile, case_item = load_case_item(reference, case_ref, item_id)
    summary = summaries_for(investigation, current_user, [case_item]).get(case_item.id)
    return render_template(
        "casefiles/remove.html",
        investigation=investigation,
        casefile=casefile,
        case_item=case_item,
        summary=summary,
        goes_with=what_goes_with(case_item),
        undo_hours=int(undo_window().total_seconds() // 3600),
        confirm=ConfirmForm(),
    )


@bp.route("/<case_ref>/items/<item_id>/remove", methods=["POST"])
@role_required("lawyer")
def remove(reference: str, case_ref: str, item_id: str):
    _investigation, casefile, case_item = load_case_item(reference, case_ref, item_id)
    ConfirmForm.require()
    committed(lambda: remove_item(casefile, current_user, case_item))
    return saved(
        "Item removed from the case file. Undo it from “Recently removed” below.",
        ".show",
        reference=reference,
        case_ref=case_ref,
    )


@bp.route("/<case_ref>/removed/<removal_id>/restore", methods=["POST"])
@role_required("lawyer")
def restore(reference: str, case_ref: str, removal_id: str):
    investigation, casefile = load_case(reference, case_ref)
    ConfirmForm.require()
    committed(lambda: restore_item(investigation, casefile, current_user, removal_id))
    return saved(
        "Item put back with its links, grades and notes.",
        ".show",
        reference=reference,
        case_ref=case_ref,
    )
