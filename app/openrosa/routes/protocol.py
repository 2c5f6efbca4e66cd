"""The OpenRosa endpoints a phone app talks to: form list, form download, submission.

Every request here has been authenticated by app/openrosa/auth.py (a device credential for
this investigation, its user a field member): `g.openrosa_investigation` and
`g.openrosa_device` are set, and `current_user` is the device's user.
"""

from __future__ import annotations

from flask import Response, g, request, url_for
from flask_login import current_user

from app.investigations.viewer import viewer_of
from app.openrosa import bp
from app.openrosa.responses import XML_MIMETYPE, openrosa_message, xml_response
from app.openrosa.submission_request import accepted_post_bytes, receive_openrosa_post
from app.openrosa.submission_xml import SubmissionRejected
from app.openrosa.xforms import FORM_KEY_UNUSABLE, form_list, published_forms
from app.security.org_keys import KeyStoreError
from app.security.rate_limits import upload_limit


def _forms():
    return published_forms(viewer_of(g.openrosa_investigation, current_user))


@bp.route("/openrosa/<reference>/formList")
def form_list_document(reference: str):
    def download_url(form_id: str) -> str:
        return url_for(".form_download", reference=reference, form_id=form_id, _external=True)

    try:
        forms = _forms()
    except KeyStoreError:
        return openrosa_message(503, FORM_KEY_UNUSABLE)
    return xml_response(form_list(list(forms.values()), download_url).decode())


@bp.route("/openrosa/<reference>/forms/<form_id>")
def form_download(reference: str, form_id: str):
    try:
        form = _forms().get(form_id)
    except KeyStoreError:
        return openrosa_message(503, FORM_KEY_UNUSABLE)
    if form is None:
        return openrosa_message(404, "This server publishes no such form to this device.")
    # Served byte for byte as hashed in the form list (the apps compare the MD5).
    return Response(form.xml, mimetype=XML_MIMETYPE)


@bp.route("/openrosa/<reference>/submission", methods=["HEAD", "POST"])
@upload_limit
def submission(reference: str):
    headers = {"X-OpenRosa-Accept-Content-Length": str(accepted_post_bytes())}
    if request.method == "HEAD":
        return Response(status=204, headers=headers)
    try:
        outcome = receive_openrosa_post(g.openrosa_investigation, g.openrosa_device, current_user)
    except SubmissionRejected as rejected:
        return openrosa_message(rejected.status, rejected.message, headers=headers)
    return openrosa_message(201, outcome.message, "submit_success", headers=headers)
