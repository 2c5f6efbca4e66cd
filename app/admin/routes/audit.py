"""Admin view of the security audit log, filtered and paginated."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask import render_template, request

from app.admin import bp
from app.admin.audit_wording import describe
from app.admin.forms import AuditFilterForm
from app.audit.services import AuditFilter, audit_query
from app.auth.roles import role_required
from app.extensions import db

PAGE_SIZE = 50


@bp.route("/audit")
@role_required("admin")
def audit():
    form = AuditFilterForm(request.args)
    filters = AuditFilter()
    if form.validate():
        filters = AuditFilter(
            event=form.event.data or None,
            actor_email=form.actor.data or None,
            since=datetime.combine(form.since.data, time.min) if form.since.data else None,
            # The day after `until`, exclusive; after 9999-12-31 there is no bound to set.
            until=(datetime.combine(form.until.data, time.min) + timedelta(days=1))
            if form.until.data and form.until.data < date.max
            else None,
        )
    page = db.paginate(audit_query(filters), per_page=PAGE_SIZE, error_out=False, max_per_page=200)
    status = 400 if form.errors else 200
    lines = describe(page.items)  # in words: app/admin/audit_wording.py
    return render_template("admin/audit.html", form=form, page=page, lines=lines), status
