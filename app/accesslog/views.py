"""The reason page every break-the-glass read shows first (its form posts back to the same URL)."""

from __future__ import annotations

from flask import render_template, request

from app.accesslog.forms import ReasonForm
from app.investigations.models import Investigation


def reason_page(
    form: ReasonForm, *, investigation: Investigation, title: str, submit_label: str, back: str
):
    """The form, 200 when first shown and 400 when a posted reason was refused."""
    status = 400 if form.is_submitted() else 200
    page = render_template(
        "accesslog/reason.html",
        form=form,
        investigation=investigation,
        title=title,
        submit_label=submit_label,
        back=back,
        action=request.path,
    )
    return page, status
