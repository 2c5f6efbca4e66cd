"""Encrypted submissions (ODK encrypted forms): opened as they stream, checked, stored once."""

from __future__ import annotations

import hashlib
import os
from datetime import timedelta
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from sqlalchemy import func, select

from app.extensions import db
from app.intake.models import Interview
from app.timeutil import utcnow
from app.vault.incident_links import IncidentEvidence
from app.vault.models import BlobReservation, EvidenceItem
from tests.helpers.media import jpeg_with_exif, make_mp4
from tests.openrosa.conftest import ledger, stored_counts
from tests.openrosa.odk_encryption import (
    encrypt_for_form,
    encrypt_to_a_stranger,
    public_key_of,
    version_of,
)
from tests.openrosa.phone import new_instance_id, submission_xml


def encrypted_interview(phone, world, media, mgf_hash=None, **answers):
    """An interview with these files, encrypted as ODK Collect does for the form it fetched."""
    form = phone.form("custos_interview")
    instance_id = new_instance_id()
    xml = submission_xml(
        instance_id=instance_id,
        incident=world.incident.id,
        witness=world.witness.id,
        photos=[name for name, _d, t in media if t.startswith("image/")],
        video=next((name for name, _d, t in media if t.startswith("video/")), None),
        version=version_of(form),
        **answers,
    )
    return encrypt_for_form("custos_interview", form, instance_id, xml, media, mgf_hash=mgf_hash)


def photos(n: int = 2):
    return [(f"{i}.jpg", jpeg_with_exif(size=(300 + i, 200)), "image/jpeg") for i in range(n)]


def test_every_form_carries_the_same_public_key(phone):
    keys = {
        public_key_of(phone.form(form_id)).public_numbers()
        for form_id in ("custos_incident", "custos_interview", "custos_witness")
    }
    assert len(keys) == 1


def test_an_encrypted_interview_arrives_whole_once_even_when_resent(phone, world, tmp_path):
    media = [*photos(), ("clip.mp4", make_mp4(tmp_path), "video/mp4")]
    sealed = encrypted_interview(phone, world, media)
    first = phone.submit(sealed.manifest, sealed.files)
    assert first.status_code == 201, first.data
    again = phone.submit(sealed.manifest, sealed.files)
    assert (again.status_code, again.data) == (201, first.data)
    db.session.expire_all()
    items = db.session.scalars(select(EvidenceItem)).all()
    assert sorted(i.sha256 for i in items) == sorted(
        hashlib.sha256(data).hexdigest() for _n, data, _t in media
    )
    [interview] = db.session.scalars(select(Interview)).all()
    roles = sorted(link.role for link in interview.evidence_links)
    assert roles == ["attachment", "attachment", "recording"]
    assert sorted(db.session.scalars(select(IncidentEvidence.evidence_id))) == sorted(
        i.id for i in items
    )
    received = ledger("received")
    assert {(e["details"]["channel"], e["details"]["encrypted"]) for e in received} == {
        ("openrosa", True)
    }
    [made] = ledger("received_via_openrosa")
    assert made["details"]["encrypted"] is True


def test_a_phone_wrapping_the_key_with_mgf1_sha256_is_understood_too(phone, world):
    sealed = encrypted_interview(phone, world, photos(1), mgf_hash=hashes.SHA256())
    assert phone.submit(sealed.manifest, sealed.files).status_code == 201
    assert stored_counts()["evidence"] == 1


def _tamper(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


def test_a_tampered_file_is_refused_and_nothing_is_stored(phone, world):
    sealed = encrypted_interview(phone, world, photos())
    name, data, media_type = sealed.files[1]
    sealed.files[1] = (name, _tamper(data, len(data) // 2), media_type)
    before = stored_counts()
    response = phone.submit(sealed.manifest, sealed.files)
    assert response.status_code == 400
    assert b"do not match" in response.data
    assert stored_counts() == before
    assert db.session.scalars(select(Interview)).all() == []


def test_a_tampered_answer_file_is_refused_and_nothing_is_stored(phone, world):
    sealed = encrypted_interview(phone, world, photos(1))
    name, data, media_type = sealed.files[-1]  # submission.xml.enc
    sealed.files[-1] = (name, _tamper(data, 40), media_type)
    before = stored_counts()
    assert phone.submit(sealed.manifest, sealed.files).status_code == 400
    assert stored_counts() == before


def test_files_swapped_between_names_are_refused(phone, world):
    sealed = encrypted_interview(phone, world, photos())
    (a, data_a, t), (b, data_b, _t) = sealed.files[0], sealed.files[1]
    sealed.files[0], sealed.files[1] = (a, data_b, t), (b, data_a, t)
    before = stored_counts()
    assert phone.submit(sealed.manifest, sealed.files).status_code == 400
    assert stored_counts() == before


def test_a_missing_encrypted_file_is_refused_and_nothing_is_stored(phone, world):
    sealed = encrypted_interview(phone, world, photos())
    before = stored_counts()
    response = phone.submit(sealed.manifest, sealed.files[1:])
    assert response.status_code == 400
    assert stored_counts() == before


def test_a_key_sealed_to_another_key_is_refused(phone, world):
    form = phone.form("custos_interview")
    instance_id = new_instance_id()
    xml = submission_xml(
        instance_id=instance_id, incident=world.incident.id, witness=world.witness.id
    )
    sealed = encrypt_to_a_stranger("custos_interview", form, instance_id, xml)
    before = stored_counts()
    response = phone.submit(sealed.manifest, sealed.files)
    assert response.status_code == 400 and b"cannot be opened" in response.data
    assert stored_counts() == before


def test_an_encrypted_submission_split_across_posts_is_refused(phone, world):
    sealed = encrypted_interview(phone, world, photos())
    before = stored_counts()
    assert phone.submit(sealed.manifest, sealed.files, incomplete=True).status_code == 413
    assert stored_counts() == before


def test_no_plaintext_of_an_encrypted_file_reaches_the_disk(phone, world, app):
    media = photos(1)
    sealed = encrypted_interview(phone, world, media)
    assert phone.submit(sealed.manifest, sealed.files).status_code == 201
    plaintext = media[0][1]
    probe = plaintext[len(plaintext) // 2 : len(plaintext) // 2 + 256]
    roots = {Path(app.instance_path), Path(app.config["BLOB_DIR"])}
    for root in roots:
        for folder, _dirs, names in os.walk(root):
            for name in names:
                path = Path(folder, name)
                if path.is_file() and path.stat().st_size < 64 * 1024 * 1024:
                    assert probe not in path.read_bytes(), path


def test_the_witness_form_encrypted_registers_the_witness(phone, world):
    from app.intake.models import Witness
    from tests.openrosa.test_witness_form import witness_xml

    form = phone.form("custos_witness")
    instance_id = new_instance_id()
    sealed = encrypt_for_form("custos_witness", form, instance_id, witness_xml(instance_id), [])
    assert phone.submit(sealed.manifest, sealed.files).status_code == 201
    db.session.expire_all()
    assert len(db.session.scalars(select(Witness)).all()) == 2


def test_an_intake_only_node_without_a_pinned_form_key_publishes_unencrypted(phone, app):
    app.config["CUSTOS_INTAKE_ONLY"] = True
    try:
        from app.openrosa.form_key import form_public_key

        assert form_public_key() is None
    finally:
        app.config["CUSTOS_INTAKE_ONLY"] = False


def test_forms_are_published_unencrypted_when_switched_off(phone, app):
    app.config["CUSTOS_OPENROSA_ENCRYPTED_FORMS"] = False
    try:
        assert b"base64RsaPublicKey" not in phone.form("custos_interview")
    finally:
        app.config["CUSTOS_OPENROSA_ENCRYPTED_FORMS"] = True


def test_the_form_key_is_sealed_under_the_master_key_in_the_keys_folder(phone):
    from app.openrosa.form_key import FORM_KEY_FILE
    from app.security.org_keys import keys_dir

    phone.form("custos_interview")
    path = keys_dir() / FORM_KEY_FILE
    assert path.read_bytes().startswith(b"custos-org-key/v1\n")
    assert path.stat().st_mode & 0o777 == 0o600


def test_the_daily_blobs_gc_running_while_a_slow_phone_sends_keeps_the_held_files(
    phone, world, app, monkeypatch
):
    """The files are held open (decrypted into their writers) until the last has come and the
    manifest's MD5s match: a `blobs gc` running meanwhile (its own app context, hours later)
    leaves them, and nothing stays reserved once they are recorded."""
    from app.openrosa import submissions
    from app.vault.gc import collect_garbage

    real_sealed_data, reports = submissions._sealed_data, []

    def then_gc_hours_later(state, data, more):
        name = state.current_name
        real_sealed_data(state, data, more)
        if not more and name in state.sealed_writers and not reports:
            with app.app_context():
                later = utcnow() + timedelta(hours=3)
                reports.append(collect_garbage(timedelta(hours=1), now=later))

    monkeypatch.setattr(submissions, "_sealed_data", then_gc_hours_later)
    # Past the first 64 KiB, so each writer has its blob open in the store when gc runs.
    media = [(n, data + os.urandom(150_000), t) for n, data, t in photos(2)]
    sealed = encrypted_interview(phone, world, media)
    assert phone.submit(sealed.manifest, sealed.files).status_code == 201
    db.session.expire_all()
    items = db.session.scalars(select(EvidenceItem)).all()
    assert sorted(i.sha256 for i in items) == sorted(
        hashlib.sha256(data).hexdigest() for _n, data, _t in media
    )
    assert reports and not {key for key, _w, _s in reports[0].removed} & {i.blob_key for i in items}
    assert db.session.scalar(select(func.count()).select_from(BlobReservation)) == 0


def test_a_refused_encrypted_submission_leaves_nothing_reserved(phone, world):
    sealed = encrypted_interview(phone, world, photos())
    name, data, media_type = sealed.files[1]
    sealed.files[1] = (name, _tamper(data, len(data) // 2), media_type)
    assert phone.submit(sealed.manifest, sealed.files).status_code == 400
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(BlobReservation)) == 0
