"""Custody pages for members: an investigation's ledger, filtered and paginated; alarms."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.roles import role_required
from app.custody.alarms import acknowledge, open_alarm
from app.custody.forms import AcknowledgeAlarmForm, LedgerFilterForm
from app.custody.timeline import ledger_query, object_types_in, to_timeline_entry
from app.custody.timestamps import newest_status
from app.extensions import db
from app.form_submission import committed
from app.investigations.access import managed_investigation_or_404
from app.investigations.viewer import viewer_for

bp = Blueprint("custody", __name__)

PAGE_SIZE = 50


@bp.route("/<reference>/custody")
def ledger(reference: str):
    viewer = viewer_for(reference)
    investigation = viewer.investigation
    form = LedgerFilterForm(request.args)
    form.set_object_types(object_types_in(viewer))
    page = db.paginate(
        ledger_query(viewer, form.to_filter(viewer)),
        page=form.page_number(),
        per_page=PAGE_SIZE,
        error_out=False,
        count=True,
    )
    entries = [to_timeline_entry(entry, viewer) for entry in page.items]
    status = 400 if form.errors else 200
    return render_template(
        "custody/ledger.html",
        investigation=investigation,
        form=form,
        page=page,
        entries=entries,
        alarm=open_alarm(db.session, investigation.id),
        timestamp=newest_status(db.session, investigation.id),
        acknowledge_form=AcknowledgeAlarmForm(),
    ), status


@bp.post("/<reference>/custody/acknowledge")
@role_required("admin")
def acknowledge_alarm(reference: str):
    """An admin records that they have looked at the broken ledger.

    Any admin, as on the admin pages: acknowledging shows no content, and an organisation
    must be able to act on an alarm in an investigation none of its admins belongs to.
    """
    investigation = managed_investigation_or_404(reference)
    form = AcknowledgeAlarmForm()
    if not form.validate_on_submit():
        flash(_("Say what you found or did (at most 500 characters)."), "error")
    elif committed(lambda: acknowledge(db.session, investigation, current_user, form.note.data)):
        flash(_("Alarm acknowledged. The ledger still does not verify."), "success")
    return redirect(url_for("custody.ledger", reference=investigation.reference))
