"""Every refused OpenRosa request stores nothing (issue 22: "nothing stored" when refused)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.extensions import db
from app.investigations.models import Membership
from app.openrosa.devices import revoke_device
from app.timeutil import utcnow
from tests.helpers.factories import InvestigationFactory, MembershipFactory, UserFactory
from tests.helpers.media import jpeg_with_exif
from tests.openrosa.conftest import stored_counts
from tests.openrosa.phone import OPENROSA, Phone, basic, multipart, new_instance_id, submission_xml


def _xml(world, **overrides):
    values = dict(
        instance_id=new_instance_id(),
        incident=world.incident.id,
        witness=world.witness.id,
        photos=["1.jpg"],
    )
    values.update(overrides)
    return submission_xml(**values)


PHOTO = [("1.jpg", jpeg_with_exif(), "image/jpeg")]


def _refused(phone, body, status, headers=None):
    before = stored_counts()
    response = phone.post(body, headers)
    assert response.status_code == status, response.data
    assert response.headers["X-OpenRosa-Version"] == "1.0"
    assert stored_counts() == before
    return response


def test_a_wrong_password_gets_401_with_a_basic_challenge_and_stores_nothing(phone, world):
    headers = {**OPENROSA, **basic(phone.username, "not-the-password")}
    response = _refused(phone, multipart(_xml(world), PHOTO), 401, headers)
    assert response.headers["WWW-Authenticate"].startswith("Basic ")


def test_no_credentials_get_401(phone, world):
    assert phone.client.get(f"{phone.base}/formList", headers=OPENROSA).status_code == 401
    _refused(phone, multipart(_xml(world), PHOTO), 401, dict(OPENROSA))


def test_the_web_session_cookie_is_no_credential_here(app, world, phone):
    from tests.helpers.web import sign_in

    browser = app.test_client()
    sign_in(browser, world.field_a)
    assert browser.get(f"{phone.base}/formList").status_code == 401


def test_a_revoked_device_stores_nothing(phone, world):
    from sqlalchemy import select

    from app.openrosa.models import DeviceCredential

    device = db.session.scalar(
        select(DeviceCredential).where(DeviceCredential.username == phone.username)
    )
    revoke_device(world.field_a, device.id)
    db.session.commit()
    _refused(phone, multipart(_xml(world), PHOTO), 401)


def test_an_expired_device_stores_nothing(phone, world):
    from app.openrosa.models import DeviceCredential

    for device in db.session.query(DeviceCredential):
        device.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    _refused(phone, multipart(_xml(world), PHOTO), 401)


def test_a_device_whose_user_left_the_investigation_stores_nothing(phone, world):
    db.session.query(Membership).filter_by(user_id=world.field_a.id).delete()
    db.session.commit()
    _refused(phone, multipart(_xml(world), PHOTO), 403)


def test_a_device_whose_user_became_a_lawyer_member_stores_nothing(phone, world):
    db.session.query(Membership).filter_by(user_id=world.field_a.id).update({"role": "lawyer"})
    db.session.commit()
    _refused(phone, multipart(_xml(world), PHOTO), 403)


def test_a_device_cannot_submit_into_another_investigation(phone, world):
    other = InvestigationFactory()
    MembershipFactory(user=world.field_a, investigation=other, role="field")
    elsewhere = Phone(phone.client, other.reference, phone.username, phone.password)
    before = stored_counts()
    assert elsewhere.post(multipart(_xml(world), PHOTO)).status_code == 404
    assert stored_counts() == before


def test_a_device_is_only_issued_for_an_investigation_where_one_is_a_field_member(world):
    from app.openrosa.devices import DeviceError, issue_device

    outsider = UserFactory(role="field")
    lawyer = UserFactory(role="lawyer")
    MembershipFactory(user=lawyer, investigation=world.investigation, role="lawyer")
    for user in (outsider, lawyer):
        with pytest.raises(DeviceError):
            issue_device(user, world.investigation.id, "Phone", None)


def test_malformed_xml_is_refused(phone, world):
    _refused(phone, multipart(b"<data id='custos_interview'><meta>", []), 400)


def test_an_entity_expansion_is_refused_not_expanded(phone, world):
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b"<data id='custos_interview'><transcript>&b;</transcript></data>"
    )
    _refused(phone, multipart(bomb, []), 400)


def test_a_form_this_server_does_not_publish_is_refused(phone, world):
    _refused(phone, multipart(_xml(world, form_id="other_form"), PHOTO), 404)


def test_an_incident_of_another_investigation_is_refused(phone, world):
    from tests.intake.builders import make_incident

    other = InvestigationFactory()
    MembershipFactory(user=world.field_a, investigation=other, role="field")
    foreign = make_incident(other, world.field_a)
    _refused(phone, multipart(_xml(world, incident=foreign.id), PHOTO), 400)


def test_another_field_workers_witness_is_refused(phone, world):
    from tests.intake.builders import make_witness

    colleague = UserFactory(role="field")
    MembershipFactory(user=colleague, investigation=world.investigation, role="field")
    theirs = make_witness(world.investigation, colleague)
    _refused(phone, multipart(_xml(world, witness=theirs.id), PHOTO), 400)


def test_a_submission_without_an_instance_id_is_refused(phone, world):
    _refused(phone, multipart(_xml(world, instance_id=""), PHOTO), 400)


def test_an_attachment_before_the_xml_is_refused(phone, world):
    response = _refused(phone, multipart(_xml(world), PHOTO, xml_first=False), 400)
    assert b"must come first" in response.data


def test_an_attachment_over_the_vault_limit_is_refused_with_413(phone, world, app):
    limit = app.config["CUSTOS_MAX_UPLOAD_BYTES"]
    app.config["CUSTOS_MAX_UPLOAD_BYTES"] = 4096
    try:
        _refused(phone, multipart(_xml(world), PHOTO), 413)
    finally:
        app.config["CUSTOS_MAX_UPLOAD_BYTES"] = limit


def test_a_post_larger_than_the_announced_limit_is_refused_before_reading(phone, world, app):
    limit = app.config["CUSTOS_OPENROSA_MAX_POST_BYTES"]
    app.config["CUSTOS_OPENROSA_MAX_POST_BYTES"] = 1024 * 1024
    try:
        big = [("1.jpg", jpeg_with_exif() + b"\0" * (1024 * 1024), "image/jpeg")]
        _refused(phone, multipart(_xml(world), big), 413)
    finally:
        app.config["CUSTOS_OPENROSA_MAX_POST_BYTES"] = limit


def test_a_body_that_is_not_multipart_is_refused(phone, world):
    before = stored_counts()
    response = phone.client.post(
        f"{phone.base}/submission", data=_xml(world), headers=phone.headers()
    )
    assert response.status_code == 415
    assert stored_counts() == before


def test_wrong_credentials_are_rate_limited_per_address(phone, app):
    from app.extensions import limiter

    limiter.reset()
    app.config["CUSTOS_API_AUTH_FAILURE_LIMIT"] = "3 per minute"
    wrong = {**OPENROSA, **basic(phone.username, "wrong")}
    try:
        codes = [
            phone.client.get(f"{phone.base}/formList", headers=wrong).status_code for _ in range(4)
        ]
    finally:
        app.config["CUSTOS_API_AUTH_FAILURE_LIMIT"] = "10 per minute"
        limiter.reset()
    assert codes == [401, 401, 401, 429]


def test_a_deactivated_account_s_device_stores_nothing(phone, world):
    world.field_a.active = False
    db.session.commit()
    _refused(phone, multipart(_xml(world), PHOTO), 401)


def test_a_device_credential_opens_no_web_page_and_no_api_call(phone):
    web = phone.client.get("/auth/settings", headers=phone.headers())
    assert web.status_code == 302 and "/auth/login" in web.headers["Location"]
    assert phone.client.get("/api/v1/me", headers=phone.headers()).status_code == 401


def test_a_part_the_xml_does_not_name_is_not_stored(phone, world):
    extra = [*PHOTO, ("unasked.jpg", jpeg_with_exif(size=(100, 80)), "image/jpeg")]
    assert phone.submit(_xml(world), extra).status_code == 201
    assert stored_counts()["evidence"] == 1


def test_a_chunked_body_is_cut_off_past_the_limit():
    import io

    from app.openrosa.submission_request import bounded_reader
    from app.openrosa.submission_xml import SubmissionRejected

    read = bounded_reader(io.BytesIO(b"x" * 10).read, 6)
    assert read(4) == b"xxxx"
    with pytest.raises(SubmissionRejected) as refused:
        read(4)
    assert refused.value.status == 413
