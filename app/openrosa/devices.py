"""Issuing, checking and revoking phone-device credentials for OpenRosa apps (issue 22, item 3).

A device credential belongs to one user, one investigation in which they are a field member,
and one purpose: fetching that investigation's forms and submitting to it. The apps send it as
HTTP Basic credentials (over HTTPS): a random user name and a password of 32 random bytes.
As for API tokens (app/api/tokens/services.py), only the password's SHA-256 is stored: a
uniformly random 256-bit secret cannot be guessed from its digest, so a slow hash would only
hand a caller a way to make the server work.

Every property that can end a credential (revoked, expired, the account deactivated or its
second factor reset, the membership gone or no longer `field`) is read again on each request.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import hmac
import json
import secrets
import zlib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from app.audit.services import record_event
from app.auth.models import User
from app.auth.reauth import confirm_identity
from app.extensions import db
from app.investigations.access import membership_for
from app.investigations.models import Investigation, MemberRole, Membership
from app.openrosa.models import DeviceCredential
from app.service_errors import ServiceError
from app.timeutil import utcnow

USERNAME_PREFIX = "device-"
SECRET_BYTES = 32
MAX_SECRET_CHARS = 100
MAX_NAME = 80
MAX_ACTIVE_DEVICES = 20
LAST_USED_RESOLUTION = timedelta(minutes=1)


class DeviceError(ServiceError):
    """A device request refused; `field` names the form field it concerns, if any."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message, field)
        self.code = code


@dataclass(frozen=True)
class IssuedDevice:
    device: DeviceCredential
    investigation: Investigation
    password: str  # shown to its owner once, never stored


class DeviceStatus(enum.Enum):
    OK = "ok"
    INVALID = "invalid"  # unknown, wrong password, revoked, owner deactivated
    EXPIRED = "expired"
    SECOND_FACTOR_MISSING = "2fa_required"


@dataclass(frozen=True)
class DeviceCheck:
    status: DeviceStatus
    device: DeviceCredential | None = None
    user: User | None = None


def secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def field_investigations(user: Any) -> list[Investigation]:
    """The investigations in which the user is a field member: the only ones a phone may serve."""
    return list(
        db.session.scalars(
            select(Investigation)
            .join(Membership, Membership.investigation_id == Investigation.id)
            .where(Membership.user_id == user.id, Membership.role == MemberRole.FIELD.value)
            .order_by(Investigation.reference)
        )
    )


def active_devices(user: Any) -> list[DeviceCredential]:
    return list(
        db.session.scalars(
            select(DeviceCredential)
            .where(DeviceCredential.user_id == user.id, DeviceCredential.revoked_at.is_(None))
            .order_by(DeviceCredential.created_at.desc(), DeviceCredential.id)
        )
    )


def is_field_member(investigation: Investigation, user: Any) -> bool:
    membership = membership_for(investigation, user)
    return membership is not None and membership.role == MemberRole.FIELD.value


def _expiry(expires_on: date | None, now: datetime) -> datetime:
    max_days = current_app.config["CUSTOS_DEVICE_MAX_DAYS"]
    if expires_on is None:
        return now + timedelta(days=max_days)
    if expires_on < now.date():
        raise DeviceError("expiry_in_past", "The expiry date must be today or later.", "expires_on")
    if expires_on > (now + timedelta(days=max_days)).date():
        raise DeviceError(
            "expiry_too_late",
            f"A device credential lasts at most {max_days} days; choose an earlier date.",
            "expires_on",
        )
    return datetime.combine(expires_on, time.max)


def issue_device(
    user: Any, investigation_id: str, name: str, expires_on: date | None
) -> IssuedDevice:
    """A new credential for one of the user's phones; the caller commits."""
    if not user.active:
        raise DeviceError("inactive", "This account is deactivated.")
    if user.requires_2fa and not user.has_2fa:
        raise DeviceError("2fa_required", "Turn on your second factor before adding a device.")
    name = " ".join((name or "").split())
    if not name:
        raise DeviceError("required", "Give the device a name, such as the phone's.", "name")
    if len(name) > MAX_NAME:
        raise DeviceError("too_long", f"Use at most {MAX_NAME} characters.", "name")
    # Deny by default: only an investigation where the user is a field member (anything else
    # looks the same as one that does not exist).
    investigation = next((i for i in field_investigations(user) if i.id == investigation_id), None)
    if investigation is None:
        raise DeviceError(
            "unknown_investigation",
            "Choose an investigation in which you are a field member.",
            "investigation_id",
        )
    now = utcnow()
    expires_at = _expiry(expires_on, now)
    count = db.session.scalar(
        select(func.count())
        .select_from(DeviceCredential)
        .where(DeviceCredential.user_id == user.id, DeviceCredential.revoked_at.is_(None))
    )
    if count >= MAX_ACTIVE_DEVICES:
        raise DeviceError(
            "too_many", f"You have {MAX_ACTIVE_DEVICES} devices; revoke one you no longer use."
        )
    password = secrets.token_urlsafe(SECRET_BYTES)
    device = DeviceCredential(
        user_id=user.id,
        investigation_id=investigation.id,
        name=name,
        username=USERNAME_PREFIX + secrets.token_hex(8),
        secret_digest=secret_digest(password),
        created_at=now,
        expires_at=expires_at,
    )
    db.session.add(device)
    db.session.flush()
    record_event(
        "openrosa_device.created",
        actor=user,
        target=user,
        details={"device": device.id, "investigation": investigation.id},
    )
    return IssuedDevice(device=device, investigation=investigation, password=password)


def issue_device_after_reauth(user: Any, form: Any) -> IssuedDevice:
    """issue_device from the settings form, once its owner confirmed who they are again."""
    confirm_identity(user, form.current.data, form.code.data)
    return issue_device(user, form.investigation_id.data, form.name.data, form.expires_on.data)


def revoke_device(user: Any, device_id: str) -> DeviceCredential:
    """Revoke one of the user's own devices at once; the row stays as a record of its use."""
    device = db.session.scalar(
        select(DeviceCredential).where(
            DeviceCredential.id == device_id, DeviceCredential.user_id == user.id
        )
    )
    if device is None:
        raise DeviceError("unknown_device", "There is no such device.")
    if device.revoked_at is None:
        device.revoked_at = utcnow()
        record_event(
            "openrosa_device.revoked",
            actor=user,
            target=user,
            details={"device": device.id, "reason": "by_owner"},
        )
        db.session.flush()
    return device


def check_device(username: str | None, password: str | None) -> DeviceCheck:
    """Who a device's Basic credentials speak for, checked afresh on every request."""
    if not username or not password or len(password) > MAX_SECRET_CHARS:
        return DeviceCheck(DeviceStatus.INVALID)
    if len(username) > 40 or not username.startswith(USERNAME_PREFIX):
        return DeviceCheck(DeviceStatus.INVALID)
    device = db.session.scalar(
        select(DeviceCredential).where(DeviceCredential.username == username)
    )
    if device is None or device.revoked_at is not None:
        return DeviceCheck(DeviceStatus.INVALID)
    if not hmac.compare_digest(device.secret_digest, secret_digest(password)):
        return DeviceCheck(DeviceStatus.INVALID)
    user = db.session.get(User, device.user_id)
    if user is None or not user.active:
        return DeviceCheck(DeviceStatus.INVALID)
    if device.is_expired():
        return DeviceCheck(DeviceStatus.EXPIRED, device, user)
    if user.requires_2fa and not user.has_2fa:
        return DeviceCheck(DeviceStatus.SECOND_FACTOR_MISSING, device, user)
    return DeviceCheck(DeviceStatus.OK, device, user)


def record_use(device: DeviceCredential) -> bool:
    """Note that the device was used now; True when the row changed (the caller commits)."""
    now = utcnow()
    if device.last_used_at is not None and now - device.last_used_at < LAST_USED_RESOLUTION:
        return False
    device.last_used_at = now
    return True


def collect_settings_payload(server_url: str, issued: IssuedDevice) -> str:
    """ODK Collect's settings QR code content: zlib-compressed JSON, base64-encoded.

    The format ODK Collect (and KoboCollect, its fork) read from "Configure with QR code".
    """
    settings = {
        "general": {
            "server_url": server_url,
            "username": issued.device.username,
            "password": issued.password,
            "protocol": "odk_default",
        },
        "admin": {},
        "project": {"name": f"Custos {issued.investigation.reference}"},
    }
    packed = zlib.compress(json.dumps(settings, separators=(",", ":")).encode("utf-8"))
    return base64.b64encode(packed).decode("ascii")


def revoke_all_devices(user: Any, reason: str, actor: Any | None) -> int:
    """Revoke every live device of the account (its credentials changed or it was closed)."""
    now = utcnow()
    devices = active_devices(user)
    for device in devices:
        device.revoked_at = now
        record_event(
            "openrosa_device.revoked",
            actor=actor,
            target=user,
            details={"device": device.id, "reason": reason},
        )
    return len(devices)
