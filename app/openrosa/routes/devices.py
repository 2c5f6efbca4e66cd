"""Phone devices on the settings page (signed-in session, CSRF-protected forms).

The views live on the auth blueprint beside the settings page, at /auth/settings/devices/...;
the device credentials they issue work only under /openrosa/ (app/openrosa/auth.py).
"""

from __future__ import annotations

import io

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from app.auth import bp
from app.auth.routes import login_rate_limit
from app.extensions import limiter
from app.form_submission import committed, submit_form, template_page
from app.openrosa.devices import (
    DeviceError,
    active_devices,
    collect_settings_payload,
    field_investigations,
    issue_device_after_reauth,
    revoke_device,
)
from app.openrosa.forms import NewDeviceForm, RevokeDeviceForm


@bp.app_template_global("openrosa_device_panel")
def openrosa_device_panel() -> dict:
    """What the settings page's device section shows (templates/openrosa/_devices_panel.html)."""
    return {
        "devices": active_devices(current_user),
        "may_add": bool(field_investigations(current_user)),
    }


@bp.route("/settings/devices/new", methods=["GET", "POST"])
@limiter.limit(login_rate_limit, methods=["POST"])
def new_openrosa_device():
    form = NewDeviceForm()
    form.investigation_id.choices = [
        (i.id, f"{i.reference} · {i.title}") for i in field_investigations(current_user)
    ]
    return submit_form(
        form,
        lambda: issue_device_after_reauth(current_user, form),
        # Shown in this response only, like an API token: never flashed, never stored.
        done=_device_created,
        page=template_page("openrosa/new_device.html", form=form),
    )


def _device_created(issued):
    server_url = url_for(
        "openrosa.form_list_document", reference=issued.investigation.reference, _external=True
    ).removesuffix("/formList")
    return render_template(
        "openrosa/device_created.html",
        issued=issued,
        server_url=server_url,
        qr=_qr_svg(collect_settings_payload(server_url, issued)),
    )


def _qr_svg(payload: str) -> Markup:
    """The settings as an inline SVG QR code: the password must not travel in a URL to an <img>."""
    import segno  # on first use (app/security/totp.py)

    buffer = io.BytesIO()
    segno.make(payload, error="l").save(buffer, kind="svg", xmldecl=False, svgns=True, scale=4)
    # segno's own SVG of rects and paths: no markup from the user (the payload is only ever
    # encoded as modules of the code, never copied into the SVG as text).
    return Markup(buffer.getvalue().decode())  # noqa: S704  # nosec B704


@bp.route("/settings/devices/revoke", methods=["POST"])
def revoke_openrosa_device():
    form = RevokeDeviceForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        device = committed(lambda: revoke_device(current_user, form.device_id.data))
    except DeviceError:
        abort(404)
    flash(
        _("Device “%(name)s” is revoked; it stopped working at once.", name=device.name), "success"
    )
    return redirect(url_for("auth.settings"))
