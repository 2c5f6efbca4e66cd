"""The OpenRosa protocol from the outside: form list, form download, HEAD then POST (issue 22)."""

from __future__ import annotations

import hashlib

from defusedxml.ElementTree import fromstring
from sqlalchemy import select

from app.extensions import db
from app.intake.models import Interview
from app.vault.incident_links import IncidentEvidence
from app.vault.models import EvidenceItem
from tests.helpers.media import jpeg_with_exif, make_mp4
from tests.openrosa.conftest import ledger, stored_counts
from tests.openrosa.phone import multipart, new_instance_id, submission_xml

XF = "{http://www.w3.org/2002/xforms}"


def test_every_answer_carries_the_openrosa_version_and_a_date(phone):
    for response in (phone.form_list(), phone.preflight()):
        assert response.headers["X-OpenRosa-Version"] == "1.0"
        assert response.headers["Date"].endswith("GMT")


def interview_entry(phone) -> dict[str, str]:
    return next(f for f in phone.forms() if f["formID"] == "custos_interview")


def test_the_form_list_names_the_incident_interview_and_witness_forms(phone):
    assert sorted(f["formID"] for f in phone.forms()) == [
        "custos_incident",
        "custos_interview",
        "custos_witness",
    ]


def test_the_interview_form_downloads_as_an_xform(phone, world):
    entry = interview_entry(phone)
    response = phone.download(entry["downloadUrl"])
    assert response.status_code == 200
    assert entry["hash"] == "md5:" + hashlib.md5(response.data, usedforsecurity=False).hexdigest()
    form = fromstring(response.data)
    instance = form.find(f".//{XF}instance/{XF}data")
    assert instance.get("id") == "custos_interview"
    assert instance.get("version") == entry["version"]
    choices = {
        select.get("ref"): [v.text for v in select.iter(f"{XF}value")]
        for select in form.iter(f"{XF}select1")
    }
    assert choices["/data/incident"] == [world.incident.id]
    assert choices["/data/witness"] == [world.witness.id]
    assert b'jr:preload="uid"' in response.data


def test_the_form_offers_witnesses_by_pseudonym_only(phone, world):
    entry = interview_entry(phone)
    body = phone.download(entry["downloadUrl"]).data.decode()
    assert world.witness.code in body
    assert "Rania" not in body


def test_a_new_incident_changes_the_form_version(phone, world):
    from tests.intake.builders import make_incident

    before = interview_entry(phone)["version"]
    make_incident(world.investigation, world.field_a, place_name="Maarrat")
    assert interview_entry(phone)["version"] != before


def test_the_preflight_answers_204_with_the_accepted_size(phone, app):
    response = phone.preflight()
    assert response.status_code == 204
    limit = app.config["CUSTOS_OPENROSA_MAX_POST_BYTES"]
    assert response.headers["X-OpenRosa-Accept-Content-Length"] == str(limit)


def test_an_interview_with_two_photos_and_a_video_arrives_once_even_when_resent(
    phone, world, tmp_path
):
    files = [
        ("1.jpg", jpeg_with_exif(), "image/jpeg"),
        ("2.jpg", jpeg_with_exif(size=(320, 200)), "image/jpeg"),
        ("3.mp4", make_mp4(tmp_path), "video/mp4"),
    ]
    xml = submission_xml(
        instance_id=new_instance_id(),
        incident=world.incident.id,
        witness=world.witness.id,
        photos=["1.jpg", "2.jpg"],
        video="3.mp4",
    )
    first = phone.submit(xml, files)
    assert first.status_code == 201
    assert b"submit_success" in first.data
    again = phone.submit(xml, files)
    assert (again.status_code, again.data) == (201, first.data)

    db.session.expire_all()
    [interview] = db.session.scalars(select(Interview)).all()
    assert interview.status == "draft"
    assert interview.created_by_id == world.field_a.id
    assert [i.id for i in interview.incidents] == [world.incident.id]
    items = db.session.scalars(select(EvidenceItem)).all()
    assert sorted(i.sha256 for i in items) == sorted(
        hashlib.sha256(data).hexdigest() for _n, data, _t in files
    )
    roles = {link.evidence_id: link.role for link in interview.evidence_links}
    video = next(i for i in items if i.kind == "video")
    assert roles[video.id] == "recording" and len(roles) == 3
    linked = db.session.scalars(select(IncidentEvidence.evidence_id)).all()
    assert sorted(linked) == sorted(i.id for i in items)


def test_the_ledger_names_the_channel_and_the_instance_id(phone, world):
    instance_id = new_instance_id()
    xml = submission_xml(
        instance_id=instance_id,
        incident=world.incident.id,
        witness=world.witness.id,
        photos=["1.jpg"],
    )
    assert phone.submit(xml, [("1.jpg", jpeg_with_exif(), "image/jpeg")]).status_code == 201
    received = ledger("received")
    assert [(e["details"]["channel"], e["details"]["instance_id"]) for e in received] == [
        ("openrosa", instance_id)
    ]
    [draft] = ledger("received_via_openrosa")
    assert draft["details"]["instance_id"] == instance_id
    assert draft["details"]["evidence"][0]["sha256"] == received[0]["details"]["sha256"]


def test_a_submission_split_across_posts_completes_with_the_last(phone, world):
    photos = [(f"{n}.jpg", jpeg_with_exif(size=(300 + n, 200)), "image/jpeg") for n in (1, 2)]
    xml = submission_xml(
        instance_id=new_instance_id(),
        incident=world.incident.id,
        witness=world.witness.id,
        photos=["1.jpg", "2.jpg"],
    )
    assert phone.submit(xml, photos[:1], incomplete=True).status_code == 201
    assert db.session.scalars(select(Interview)).all() == []
    assert phone.submit(xml, photos[1:]).status_code == 201
    db.session.expire_all()
    [interview] = db.session.scalars(select(Interview)).all()
    assert len(interview.evidence_links) == 2


def test_a_post_cut_off_mid_file_keeps_nothing_of_that_file_and_the_retry_completes(phone, world):
    photos = [(f"{n}.jpg", jpeg_with_exif(size=(300 + n, 200)), "image/jpeg") for n in (1, 2)]
    xml = submission_xml(
        instance_id=new_instance_id(),
        incident=world.incident.id,
        witness=world.witness.id,
        photos=["1.jpg", "2.jpg"],
    )
    body = multipart(xml, photos)
    cut = body.index(b'filename="2.jpg"') + 2000  # inside the second photo
    assert phone.post_then_drop(body, cut).status_code == 400
    db.session.expire_all()
    kept = db.session.scalars(select(EvidenceItem.sha256)).all()
    assert kept == [hashlib.sha256(photos[0][1]).hexdigest()]
    assert db.session.scalars(select(Interview)).all() == []
    assert phone.submit(xml, photos).status_code == 201
    db.session.expire_all()
    assert len(db.session.scalars(select(EvidenceItem)).all()) == 2
    [interview] = db.session.scalars(select(Interview)).all()
    assert len(interview.evidence_links) == 2


def test_a_resend_with_the_same_instance_id_but_other_answers_is_refused(phone, world):
    instance_id = new_instance_id()
    args = dict(instance_id=instance_id, incident=world.incident.id, witness=world.witness.id)
    assert phone.submit(submission_xml(**args), []).status_code == 201
    before = stored_counts()
    response = phone.submit(submission_xml(**args, transcript="Something else"), [])
    assert response.status_code == 409
    assert stored_counts() == before


def test_a_video_field_holding_a_photo_attaches_it_without_making_it_the_recording(phone, world):
    xml = submission_xml(
        instance_id=new_instance_id(),
        incident=world.incident.id,
        witness=world.witness.id,
        video="clip.mp4",
    )
    assert phone.submit(xml, [("clip.mp4", jpeg_with_exif(), "video/mp4")]).status_code == 201
    db.session.expire_all()
    [interview] = db.session.scalars(select(Interview)).all()
    assert [link.role for link in interview.evidence_links] == ["attachment"]


def test_the_incident_page_lists_what_the_phone_sent(phone, world, signed_in):
    xml = submission_xml(
        instance_id=new_instance_id(),
        incident=world.incident.id,
        witness=world.witness.id,
        photos=["1.jpg", "2.jpg"],
    )
    photos = [(f"{n}.jpg", jpeg_with_exif(size=(300 + n, 200)), "image/jpeg") for n in (1, 2)]
    assert phone.submit(xml, photos).status_code == 201
    page = signed_in(world.field_a).get(
        f"/investigations/{world.investigation.reference}/incidents/{world.incident.id}"
    )
    assert page.status_code == 200
    items = db.session.scalars(select(EvidenceItem)).all()
    assert len(items) == 2
    for item in items:
        assert f'data-evidence-id="{item.id}"' in page.get_data(as_text=True)
