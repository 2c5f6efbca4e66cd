"""Issue 22's "Done when", walked as one phone would: fetch the forms, submit, resend, look.

A scripted ODK Collect (tests/openrosa/phone.py) fetches the investigation's forms, fills the
interview form (which asks it to encrypt, so it encrypts as Collect does), sends an interview
with two photos and a video, then sends it again. The draft and the three items exist once
each, with the SHA-256 of the bytes the phone held, tied to the incident chosen in the form,
each with ledger entries naming the channel; the incident page lists them; a device of a
user who is not a member of the investigation stores nothing.
"""

from __future__ import annotations

import hashlib

from defusedxml.ElementTree import fromstring
from sqlalchemy import select

from app.extensions import db
from app.intake.models import Interview
from app.investigations.models import Membership
from app.vault.incident_links import IncidentEvidence
from app.vault.models import EvidenceItem
from tests.helpers.factories import InvestigationFactory, MembershipFactory
from tests.helpers.media import jpeg_with_exif, make_mp4
from tests.intake.builders import make_incident
from tests.openrosa.conftest import ledger, stored_counts
from tests.openrosa.odk_encryption import encrypt_for_form
from tests.openrosa.phone import Phone, multipart, new_instance_id, submission_xml

XF = "{http://www.w3.org/2002/xforms}"


def test_a_phone_submits_an_interview_with_two_photos_and_a_video_once(
    phone, world, signed_in, tmp_path
):
    chosen = make_incident(world.investigation, world.field_a, place_name="Sarmin")
    # Fetch the forms: each parses as an XForm and hashes as listed.
    listed = {f["formID"]: f for f in phone.forms()}
    assert set(listed) == {"custos_incident", "custos_interview", "custos_witness"}
    forms = {form_id: phone.form(form_id) for form_id in listed}
    interview_form = fromstring(forms["custos_interview"])
    offered = [
        v.text
        for s in interview_form.iter(f"{XF}select1")
        if s.get("ref") == "/data/incident"
        for v in s.iter(f"{XF}value")
    ]
    assert chosen.id in offered

    media = [
        ("1733460000001.jpg", jpeg_with_exif(), "image/jpeg"),
        ("1733460000002.jpg", jpeg_with_exif(size=(320, 200)), "image/jpeg"),
        ("1733460000003.mp4", make_mp4(tmp_path), "video/mp4"),
    ]
    instance_id = new_instance_id()
    version = listed["custos_interview"]["version"]
    xml = submission_xml(
        instance_id=instance_id,
        incident=chosen.id,
        witness=world.witness.id,
        photos=[media[0][0], media[1][0]],
        video=media[2][0],
        version=version,
    )
    sealed = encrypt_for_form(
        "custos_interview", forms["custos_interview"], instance_id, xml, media
    )
    first = phone.submit(sealed.manifest, sealed.files)
    assert first.status_code == 201, first.data
    resent = phone.submit(sealed.manifest, sealed.files)
    assert (resent.status_code, resent.data) == (201, first.data)

    db.session.expire_all()
    [draft] = db.session.scalars(select(Interview)).all()
    assert draft.status == "draft" and [i.id for i in draft.incidents] == [chosen.id]
    items = db.session.scalars(select(EvidenceItem)).all()
    assert sorted(i.sha256 for i in items) == sorted(
        hashlib.sha256(data).hexdigest() for _n, data, _t in media
    )
    assert sorted(link.evidence_id for link in draft.evidence_links) == sorted(i.id for i in items)
    tied = db.session.scalars(
        select(IncidentEvidence.evidence_id).where(IncidentEvidence.incident_id == chosen.id)
    ).all()
    assert sorted(tied) == sorted(i.id for i in items)
    received = ledger("received")
    assert sorted(e["object"]["id"] for e in received) == sorted(i.id for i in items)
    assert {(e["details"]["channel"], e["details"]["instance_id"]) for e in received} == {
        ("openrosa", instance_id)
    }
    [made] = ledger("received_via_openrosa")
    assert made["object"] == {"type": "interview", "id": draft.id}

    page = signed_in(world.field_a).get(
        f"/investigations/{world.investigation.reference}/incidents/{chosen.id}"
    )
    assert page.status_code == 200
    for item in items:
        assert f'data-evidence-id="{item.id}"' in page.get_data(as_text=True)

    # A device whose user is no longer a member, and one of another investigation's member:
    # each stores nothing.
    outsider_world = InvestigationFactory()
    MembershipFactory(user=world.field_a, investigation=outsider_world, role="field")
    db.session.commit()
    elsewhere = world.phone_for(world.field_a, outsider_world)
    reference = world.investigation.reference
    other = Phone(phone.client, reference, elsewhere.username, elsewhere.password)
    leaving = world.phone_for(world.field_a)
    db.session.query(Membership).filter_by(
        user_id=world.field_a.id, investigation_id=world.investigation.id
    ).delete()
    db.session.commit()
    fresh = encrypt_for_form(
        "custos_interview", forms["custos_interview"], new_instance_id(), xml, media
    )
    before = stored_counts()
    for device, status in ((other, 404), (leaving, 403)):
        assert device.post(multipart(fresh.manifest, fresh.files)).status_code == status
    assert stored_counts() == before
