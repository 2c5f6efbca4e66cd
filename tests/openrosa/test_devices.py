"""Device credentials from the settings page: shown once with a QR code, revocable (issue 22, 3)."""

from __future__ import annotations

import base64
import json
import re
import zlib

from sqlalchemy import select

from app.extensions import db
from app.openrosa.devices import IssuedDevice, collect_settings_payload, issue_device
from app.openrosa.models import DeviceCredential
from tests.helpers.factories import DEFAULT_PASSWORD
from tests.helpers.web import post_form
from tests.openrosa.phone import Phone

PASSWORD_RE = re.compile(r'class="secret"><code>([A-Za-z0-9_-]{43})</code>')
USERNAME_RE = re.compile(r"<code>(device-[0-9a-f]{16})</code>")


def add_phone(client, world, **extra):
    return post_form(
        client,
        "/auth/settings/devices/new",
        {
            "name": "Phone of A",
            "investigation_id": world.investigation.id,
            "current": DEFAULT_PASSWORD,
            **extra,
        },
        page="/auth/settings/devices/new",
    )


def test_a_phone_added_on_the_settings_page_is_shown_once_and_submits(world, signed_in, app):
    client = signed_in(world.field_a)
    created = add_phone(client, world)
    page = created.get_data(as_text=True)
    assert created.status_code == 200 and "<svg" in page
    password = PASSWORD_RE.search(page).group(1)
    username = USERNAME_RE.search(page).group(1)
    settings = client.get("/auth/settings").get_data(as_text=True)
    assert "Phone of A" in settings and password not in settings
    phone = Phone(app.test_client(), world.investigation.reference, username, password)
    assert phone.form_list().status_code == 200


def test_the_password_is_stored_only_as_its_sha256(world, signed_in):
    page = add_phone(signed_in(world.field_a), world).get_data(as_text=True)
    password = PASSWORD_RE.search(page).group(1)
    db.session.expire_all()
    device = db.session.scalar(select(DeviceCredential))
    assert password not in repr(vars(device))
    assert device.secret_digest != password and len(device.secret_digest) == 64


def test_adding_a_phone_asks_for_the_password_again(world, signed_in):
    response = add_phone(signed_in(world.field_a), world, current="wrong password")
    assert response.status_code in (400, 403, 422)
    assert db.session.scalar(select(DeviceCredential)) is None


def test_the_qr_code_holds_odk_collects_settings(world):
    issued = issue_device(world.field_a, world.investigation.id, "Phone", None)
    payload = collect_settings_payload("https://custos.example/openrosa/X-1", issued)
    settings = json.loads(zlib.decompress(base64.b64decode(payload)))
    assert settings["general"] == {
        "server_url": "https://custos.example/openrosa/X-1",
        "username": issued.device.username,
        "password": issued.password,
        "protocol": "odk_default",
    }
    assert isinstance(issued, IssuedDevice)


def test_revoking_a_phone_on_the_settings_page_stops_it_at_once(world, signed_in, app):
    client = signed_in(world.field_a)
    page = add_phone(client, world).get_data(as_text=True)
    phone = Phone(
        app.test_client(),
        world.investigation.reference,
        USERNAME_RE.search(page).group(1),
        PASSWORD_RE.search(page).group(1),
    )
    device = db.session.scalar(select(DeviceCredential))
    revoked = post_form(
        client, "/auth/settings/devices/revoke", {"device_id": device.id}, page="/auth/settings"
    )
    assert revoked.status_code == 302
    assert phone.form_list().status_code == 401


def test_nobody_revokes_another_persons_phone(world, signed_in):
    from tests.helpers.factories import MembershipFactory, UserFactory

    issue_device(world.field_a, world.investigation.id, "Phone", None)
    db.session.commit()
    colleague = UserFactory(role="field")
    MembershipFactory(user=colleague, investigation=world.investigation, role="field")
    device = db.session.scalar(select(DeviceCredential))
    response = post_form(
        signed_in(colleague),
        "/auth/settings/devices/revoke",
        {"device_id": device.id},
        page="/auth/settings",
    )
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(DeviceCredential, device.id).revoked_at is None


def test_a_password_change_revokes_the_accounts_phones(world):
    from app.auth.credential_hooks import revoke_other_credentials

    issue_device(world.field_a, world.investigation.id, "Phone", None)
    assert revoke_other_credentials(world.field_a, "password_changed", world.field_a) >= 1
    assert db.session.scalar(select(DeviceCredential)).revoked_at is not None
