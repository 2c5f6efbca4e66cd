"""Who an OpenRosa request speaks for: a device credential sent as HTTP Basic, nothing else.

Under /openrosa/ the session cookie is neither read nor written (app/api/auth.py's session
interface treats the prefix like /api/): the apps hold no cookie, and a signed-in browser
cannot be made to submit (no ambient credential, so no CSRF to defend against). The hook runs
before the sign-in gate; it ends the request with 401 unless the credentials are right, and
otherwise signs the device's user in for this request only, after checking, on every request,
that the device is live and its user still a field member of the investigation in the URL.
Failed checks are rate-limited per client address, as for API tokens.
"""

from __future__ import annotations

from flask import Flask, current_app, g, request
from flask_limiter.util import get_remote_address
from limits import parse

from app.extensions import csrf, db, limiter, login_manager
from app.investigations.models import Investigation
from app.openrosa.devices import DeviceStatus, check_device, is_field_member, record_use
from app.openrosa.responses import openrosa_message, unauthorized

OPENROSA_PATH_PREFIX = "/openrosa/"
FAILURE_KEY = "openrosa-auth-failure"


def install_device_auth(app: Flask, blueprint) -> None:
    """Register the hooks; call after the blueprints, before the sign-in gate's hooks."""
    csrf.exempt(blueprint)  # no cookie authenticates here (see the module docstring)
    app.before_request(authenticate_device)


def authenticate_device():
    """None to go on, or the response that ends the request."""
    if request.blueprint != "openrosa":
        return None
    auth = request.authorization
    if auth is None or auth.type != "basic":
        return unauthorized("Sign in with this device's user name and password.")
    check = check_device(auth.username, auth.password)
    if check.status is not DeviceStatus.OK:
        if _failures_exceeded():
            return openrosa_message(
                429,
                "Too many wrong sign-ins from this address. Wait a minute.",
                headers={"Retry-After": "60"},
            )
        _count_failure()
        return _refusal(check.status)
    device = check.device
    reference = (request.view_args or {}).get("reference")
    investigation = db.session.get(Investigation, device.investigation_id)
    if investigation is None or investigation.reference != reference:
        # The device serves one investigation: any other looks like one that does not exist.
        return openrosa_message(404, "This device is not set up for that address.")
    if not is_field_member(investigation, check.user):
        return openrosa_message(
            403, "This device's account is no longer a field member of the investigation."
        )
    if record_use(device):
        db.session.commit()
    g.openrosa_device = device
    g.openrosa_investigation = investigation
    login_manager._update_request_context_with_user(check.user)
    return None


def _refusal(status: DeviceStatus):
    if status is DeviceStatus.EXPIRED:
        return unauthorized("This device's credential has expired. Add the device again.")
    if status is DeviceStatus.SECOND_FACTOR_MISSING:
        return openrosa_message(403, "Enroll a second factor on the website first.")
    return unauthorized("The user name or password is wrong, or the device was revoked.")


def _failure_limit():
    return parse(current_app.config["CUSTOS_API_AUTH_FAILURE_LIMIT"])


def _failures_exceeded() -> bool:
    if not limiter.enabled:
        return False
    return not limiter.limiter.test(_failure_limit(), FAILURE_KEY, get_remote_address())


def _count_failure() -> None:
    if limiter.enabled:
        limiter.limiter.hit(_failure_limit(), FAILURE_KEY, get_remote_address())
