"""Thin views for reading evidence: list, item page, stream (HTTP Range), download, derivatives."""

from __future__ import annotations

import logging

from flask import Response, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.accesslog.forms import ReasonForm
from app.accesslog.reasons import ReasonRefused, reason_from_header
from app.accesslog.services import reads_of
from app.accesslog.views import reason_page
from app.custody.timeline import timeline_for
from app.error_responses import error_response
from app.investigations.viewer import InvestigationViewer, viewer_for
from app.security.headers import sandbox_evidence
from app.security.org_keys import ReadsDisabled
from app.vault import bp
from app.vault.hooks import item_panels
from app.vault.incident_links import SHOWS_LABELS, incident_choices, item_incident_links
from app.vault.reading.evidence import (
    LIST_PAGE_SIZE,
    ContentRead,
    EvidenceUnreadable,
    ReasonRequired,
    download_item,
    evidence_in,
    evidence_page,
    read_derivative,
    shown_name,
    state_download_reason,
    stream_item,
    view_item,
)
from app.vault.reading.filters import (
    KINDS,
    FilterRefused,
    parse_evidence_filters,
    uploader_choices,
)
from app.vault.reading.http_framing import RangeNotSatisfiable

log = logging.getLogger(__name__)

EVIDENCE = "/investigations/<reference>/evidence"
UNREADABLE_MESSAGE = (
    "The stored copy of this evidence could not be read or failed its integrity check. "
    "Nothing was shown. An administrator has to restore it from a backup."
)


@bp.errorhandler(ReadsDisabled)
def reads_disabled(exc: ReadsDisabled):
    return error_response(503, f"Evidence cannot be shown here: {exc.message}.")


@bp.errorhandler(EvidenceUnreadable)
def evidence_unreadable(exc: EvidenceUnreadable):
    # Ids only in the log: the reason may hold no names, and the page says what to do.
    log.error("evidence %s unreadable: %s", exc.object_id, exc.reason)
    return error_response(500, UNREADABLE_MESSAGE)


@bp.errorhandler(ReasonRequired)
def reason_required(exc: ReasonRequired):
    """A browser is sent to the reason form; any other client is told to state a reason."""
    if request.accept_mimetypes.accept_html:
        reference = request.view_args["reference"]
        url = url_for(".evidence_download_reason", reference=reference, evidence_id=exc.evidence_id)
        return redirect(url, 303)
    return error_response(428, "State why you download this original: X-Access-Reason.")


@bp.errorhandler(FilterRefused)
def filter_refused(exc: FilterRefused):
    return error_response(400, " ".join(exc.problems.values()))


@bp.errorhandler(ReasonRefused)
def reason_refused(exc: ReasonRefused):
    return error_response(400, str(exc))


@bp.route(EVIDENCE)
def evidence_list(reference: str):
    viewer = viewer_for(reference)
    page = request.args.get("page", 1, type=int) or 1
    filters = parse_evidence_filters(request.args, viewer)
    items = evidence_page(viewer, page, filters)
    return render_template(
        "vault/list.html",
        investigation=viewer.investigation,
        items=items[:LIST_PAGE_SIZE],
        names={item.id: shown_name(viewer, item) for item in items},
        page=page,
        has_next=len(items) > LIST_PAGE_SIZE,
        filters=filters,
        incident_choices=incident_choices(viewer),
        uploader_choices=uploader_choices(viewer),
        may_filter_taken=viewer.may_see_identities,
        kinds=KINDS,
    )


@bp.route(f"{EVIDENCE}/<evidence_id>")
def evidence_item(reference: str, evidence_id: str):
    return item_page(viewer_for(reference), evidence_id)


def item_page(
    viewer: InvestigationViewer,
    evidence_id: str,
    status: int = 200,
    given_panels: dict[str, dict] | None = None,
    incident_link_sent: dict | None = None,
):
    """The item page, with the status given. A form of another package refused, given back as
    it was sent: `given_panels`, a panel's own context (app/vault/hooks.py); `incident_link_sent`,
    the incident link's values and `errors` (field -> message)."""
    view = view_item(viewer, evidence_id, again=bool(given_panels or incident_link_sent))
    return render_template(
        "vault/item.html",
        investigation=viewer.investigation,
        view=view,
        incident_links=item_incident_links(viewer, view.item),
        incident_choices=incident_choices(viewer),
        shows_labels=SHOWS_LABELS,
        custody_timeline=timeline_for("evidence", view.item.id, viewer),
        access_reads=reads_of(viewer, "evidence", view.item.id),
        panels=item_panels(viewer, view.item, given_panels),
        link_sent=incident_link_sent or {"errors": {}},
    ), status


@bp.route(f"{EVIDENCE}/<evidence_id>/stream")
def evidence_stream(reference: str, evidence_id: str):
    viewer = viewer_for(reference)
    try:
        read = stream_item(
            viewer,
            evidence_id,
            request.headers.get("Range"),
            request.headers.get("If-Range"),
            send_body=request.method != "HEAD",
        )
    except RangeNotSatisfiable as exc:
        response = make_response(error_response(416, "The requested range is not in this file."))
        response.headers["Content-Range"] = f"bytes */{exc.size}"
        response.headers["Accept-Ranges"] = "bytes"
        return response
    return _send(read)


@bp.route(f"{EVIDENCE}/<evidence_id>/download")
def evidence_download(reference: str, evidence_id: str):
    viewer = viewer_for(reference)
    reason = reason_from_header(request.headers.get("X-Access-Reason"))
    read = download_item(viewer, evidence_id, request.method != "HEAD", reason)
    response = _send(read)
    response.headers["Accept-Ranges"] = "none"  # resumable reads go through /stream
    return response


@bp.route(f"{EVIDENCE}/<evidence_id>/download/reason", methods=["GET", "POST"])
def evidence_download_reason(reference: str, evidence_id: str):
    """Break the glass: why the original is downloaded, recorded before the download."""
    viewer = viewer_for(reference)
    evidence_in(viewer, evidence_id)  # 404 before any form for what the viewer may not see
    form = ReasonForm()
    back = url_for(".evidence_item", reference=reference, evidence_id=evidence_id)
    if not form.validate_on_submit():
        title = _("Download the original")
        return reason_page(
            form, investigation=viewer.investigation, title=title, submit_label=title, back=back
        )
    state_download_reason(viewer, evidence_id, form.stated_reason())
    return redirect(url_for(".evidence_download", reference=reference, evidence_id=evidence_id))


@bp.route(f"{EVIDENCE}/<evidence_id>/derivatives/<derivative_id>")
def evidence_derivative(reference: str, evidence_id: str, derivative_id: str):
    viewer = viewer_for(reference)
    read = read_derivative(viewer, evidence_id, derivative_id, send_body=request.method != "HEAD")
    response = _send(read)
    response.headers["Accept-Ranges"] = "none"
    return response


def _send(read: ContentRead) -> Response:
    """A streamed response: the body is decrypted chunk by chunk as the client reads it."""
    response = Response(
        read.body(), status=read.status, content_type=read.media_type, direct_passthrough=True
    )
    response.headers.update(read.headers())
    return sandbox_evidence(response)
