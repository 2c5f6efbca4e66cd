"""A phone that sends an encrypted interview to an intake node publishing the reading node's
form key (copied and pinned as `flask keys form-key` tells the operator), for the role and
seizure-drill tests."""

from __future__ import annotations

import shutil
from pathlib import Path

from app.extensions import db
from app.openrosa.devices import issue_device
from app.openrosa.form_key import FORM_PUBLIC_FILE, PIN_SETTING
from app.security import org_keys
from tests.helpers.media import jpeg_with_exif
from tests.intake.builders import make_incident, make_witness
from tests.openrosa.odk_encryption import encrypt_for_form, version_of
from tests.openrosa.phone import Phone, new_instance_id, submission_xml

PHONE_PHOTO = jpeg_with_exif(size=(333, 222))


def publish_form_key_on(app, node) -> None:
    """On the reading node `keys form-key`; its file into the intake node's folder, pinned."""
    result = app.test_cli_runner().invoke(args=["keys", "form-key"])
    assert result.exit_code == 0, result.output
    pin = result.output.strip().splitlines()[-1].removeprefix(f"{PIN_SETTING}=")
    destination = Path(node.config["CUSTOS_KEYS_DIR"]) / FORM_PUBLIC_FILE
    shutil.copy2(org_keys.keys_dir() / FORM_PUBLIC_FILE, destination)
    node.config[PIN_SETTING] = pin


def send_encrypted_interview(
    app, node, investigation, field, transcript: str, incident_id=None, witness_id=None
) -> str:
    """The phone fetches the intake node's form and sends one interview with a photo,
    encrypted as ODK Collect does, twice (a resend); the instanceID."""
    publish_form_key_on(app, node)
    incident_id = incident_id or make_incident(investigation, field).id
    witness_id = witness_id or make_witness(investigation, field, full_name="Phone Witness").id
    issued = issue_device(field, investigation.id, "Phone", None)
    db.session.commit()
    phone = Phone(
        node.test_client(), investigation.reference, issued.device.username, issued.password
    )
    form = phone.form("custos_interview")
    assert b"base64RsaPublicKey" in form
    instance_id = new_instance_id()
    xml = submission_xml(
        instance_id=instance_id,
        incident=incident_id,
        witness=witness_id,
        photos=["1733460000777.jpg"],
        transcript=transcript,
        version=version_of(form),
    )
    sealed = encrypt_for_form(
        "custos_interview",
        form,
        instance_id,
        xml,
        [("1733460000777.jpg", PHONE_PHOTO, "image/jpeg")],
    )
    sent = phone.submit(sealed.manifest, sealed.files)
    assert sent.status_code == 201, sent.data[:2000]
    resent = phone.submit(sealed.manifest, sealed.files)
    assert (resent.status_code, resent.data) == (201, sent.data)
    return instance_id
