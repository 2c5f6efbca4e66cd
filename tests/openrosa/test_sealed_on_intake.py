"""An intake node publishes the reading node's form key, keeps what phones send sealed, and the
reading node opens it into records (app/openrosa/sealed_keeping.py, sealed_opening.py)."""

from __future__ import annotations

import hashlib
import os
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import func, select

from app.crypto.age import unwrap_file_key
from app.crypto.age.source import BytesSource
from app.extensions import db
from app.intake.models import Interview
from app.openrosa.form_key import FORM_PUBLIC_FILE, PIN_SETTING, form_private_key
from app.openrosa.sealed_models import SealedFile, SealedSubmission
from app.security import org_keys
from app.timeutil import utcnow
from app.vault.models import BlobReservation, EvidenceItem
from tests.openrosa.conftest import ledger, stored_counts
from tests.openrosa.odk_encryption import (
    encrypt_to_a_stranger,
    public_key_of,
)
from tests.openrosa.phone import multipart, new_instance_id, submission_xml
from tests.openrosa.test_encrypted import encrypted_interview, photos
from tests.vault.vault_support import copy_public_keys, isolated_vault, raw_blob

MARKER = "Only the reading node may read this marker sentence."


@pytest.fixture
def nodes(app, tmp_path, monkeypatch):
    """The reading node's keys, an intake node's folder of public files (the form key's
    copied and pinned, as `flask keys form-key` tells the operator), and a switch."""
    with isolated_vault(app, tmp_path, monkeypatch) as keys:
        result = app.test_cli_runner().invoke(args=["keys", "form-key"])
        assert result.exit_code == 0, result.output
        pin = result.output.strip().splitlines()[-1].removeprefix(f"{PIN_SETTING}=")
        public = copy_public_keys(keys, tmp_path / "intake-keys")
        shutil.copy2(keys / FORM_PUBLIC_FILE, public / FORM_PUBLIC_FILE)
        with app.app_context():
            recipient_pin = org_keys.org_recipients()[0]

        class Nodes:
            keys_dir = keys
            intake_keys = public
            form_key_pin = pin

            def intake(self) -> None:
                from app.security.recipient_pin import fingerprint

                monkeypatch.setitem(app.config, "CUSTOS_KEYS_DIR", public)
                monkeypatch.setitem(app.config, "CUSTOS_INTAKE_ONLY", True)
                monkeypatch.setitem(
                    app.config, "CUSTOS_ORG_RECIPIENT_FINGERPRINT", fingerprint(recipient_pin)
                )
                monkeypatch.setitem(app.config, PIN_SETTING, pin)
                db.session.expire_all()

            def reader(self) -> None:
                monkeypatch.setitem(app.config, "CUSTOS_KEYS_DIR", keys)
                monkeypatch.setitem(app.config, "CUSTOS_INTAKE_ONLY", False)
                db.session.expire_all()

        yield Nodes()


@pytest.fixture
def intake_phone(nodes, world):
    phone = world.phone_for(world.field_a)
    nodes.intake()
    return phone


def sealed_interview(phone, world, media, transcript=MARKER):
    return encrypted_interview(phone, world, media, transcript=transcript)


def open_sealed(app, nodes):
    nodes.reader()
    result = app.test_cli_runner().invoke(args=["openrosa", "open-sealed"])
    db.session.expire_all()
    return result


def blob_exists(app, key: str) -> bool:
    return any(p.is_file() for p in Path(app.config["BLOB_DIR"]).rglob(key))


def sealed_counts() -> dict[str, int]:
    db.session.expire_all()
    return {
        "sealed": db.session.scalar(select(func.count()).select_from(SealedSubmission)),
        "files": db.session.scalar(select(func.count()).select_from(SealedFile)),
    }


def reservations_left() -> int:
    """Blobs still reserved from `blobs gc`: none once a request has recorded or dropped them."""
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(BlobReservation))


def _tamper(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


def send_with_a_changed_photo(phone, world, media, index: int) -> None:
    """One byte of the index-th encrypted photo flipped on the way: the intake node, which
    cannot check it, keeps it."""
    sealed = sealed_interview(phone, world, media)
    name, data, media_type = sealed.files[index]
    sealed.files[index] = (name, _tamper(data, len(data) // 2), media_type)
    assert phone.submit(sealed.manifest, sealed.files).status_code == 201


# --- Forms ------------------------------------------------------------------------------------


def test_the_intake_nodes_forms_carry_the_reading_nodes_public_form_key(app, intake_phone, nodes):
    nodes.reader()
    with app.app_context():
        expected = form_private_key().public_key().public_numbers()
    nodes.intake()
    for form_id in ("custos_incident", "custos_interview", "custos_witness"):
        assert public_key_of(intake_phone.form(form_id)).public_numbers() == expected


def test_a_form_key_planted_in_the_intake_nodes_folder_is_never_published(app, intake_phone, nodes):
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    (nodes.intake_keys / FORM_PUBLIC_FILE).write_bytes(
        other.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    listed = intake_phone.form_list()
    assert listed.status_code == 503
    assert b"not the pinned one" in listed.data
    download = intake_phone.download(f"{intake_phone.base}/forms/custos_interview")
    assert download.status_code == 503


def test_an_intake_node_whose_copied_form_key_is_not_the_pinned_one_refuses_to_start(
    app, intake_phone, nodes
):
    from app.openrosa.form_key import check_form_key_at_start
    from app.security.org_keys import KeyStoreError

    check_form_key_at_start(app)  # the pinned copy: it starts
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    (nodes.intake_keys / FORM_PUBLIC_FILE).write_bytes(
        other.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    with pytest.raises(KeyStoreError, match="does not match CUSTOS_OPENROSA_FORM_KEY"):
        check_form_key_at_start(app)


def test_an_intake_node_with_a_pin_and_no_copied_key_refuses_to_start(app, intake_phone, nodes):
    from app.openrosa.form_key import check_form_key_at_start
    from app.security.org_keys import KeyStoreError

    (nodes.intake_keys / FORM_PUBLIC_FILE).unlink()
    with pytest.raises(KeyStoreError, match="copy it from the reading node"):
        check_form_key_at_start(app)


def test_without_the_pin_an_intake_node_publishes_its_forms_unencrypted(app, intake_phone):
    app.config[PIN_SETTING] = ""
    assert b"base64RsaPublicKey" not in intake_phone.form("custos_interview")


# --- Keeping on the intake node ---------------------------------------------------------------


def test_an_encrypted_interview_is_kept_sealed_and_nothing_of_it_is_readable(
    app, intake_phone, world, nodes
):
    media = photos(1)
    sealed = sealed_interview(intake_phone, world, media)
    before = stored_counts()
    sent = intake_phone.submit(sealed.manifest, sealed.files)
    assert sent.status_code == 201, sent.data
    assert b"submit_success" in sent.data and b"still encrypted" in sent.data
    # No item, no submission record: one ledger entry says what was kept.
    assert stored_counts() == {**before, "ledger": before["ledger"] + 1}
    assert db.session.scalars(select(Interview)).all() == []
    [kept] = db.session.scalars(select(SealedSubmission)).all()
    [entry] = ledger("sealed_submission_kept")
    assert entry["object"] == {"type": "sealed_submission", "id": kept.id}
    assert entry["actor"]["id"] == world.field_a.id
    assert entry["details"]["instance_id"] == kept.instance_id
    assert entry["details"]["files"] == [
        {"position": n, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        for n, (_name, data, _type) in enumerate(sealed.files)
    ]  # the encrypted bytes as the phone sent them: nothing readable
    assert entry["details"]["manifest_sha256"] == hashlib.sha256(sealed.manifest).hexdigest()
    assert (kept.status, kept.instance_id, kept.form_id) == (
        "pending",
        sealed.manifest.split(b"<orx:instanceID>")[1].split(b"<")[0].decode(),
        "custos_interview",
    )
    assert [f.name for f in kept.files] == ["0.jpg.enc", "submission.xml.enc"]
    assert [f.sha256 for f in kept.files] == [
        hashlib.sha256(d).hexdigest() for _n, d, _t in sealed.files
    ]

    photo = media[0][1]
    probes = [photo[len(photo) // 2 : len(photo) // 2 + 256], MARKER.encode()]
    for root in {Path(app.instance_path), Path(app.config["BLOB_DIR"]), nodes.intake_keys}:
        for folder, _dirs, names in os.walk(root):
            for name in names:
                data = Path(folder, name).read_bytes()
                assert not any(p in data for p in probes), Path(folder, name)
    seen = ""
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(sa.select(table)):
            text = repr(tuple(row))
            assert MARKER not in text and "Idlib" not in text, table.name
            seen += text
    assert kept.instance_id in seen and kept.files[0].blob_key in seen  # the scan reads rows


def test_a_resend_to_the_intake_node_keeps_nothing_new_and_answers_the_same(
    app, intake_phone, world
):
    sealed = sealed_interview(intake_phone, world, photos(1))
    first = intake_phone.submit(sealed.manifest, sealed.files)
    blobs = len(list(Path(app.config["BLOB_DIR"]).rglob("*")))
    again = intake_phone.submit(sealed.manifest, sealed.files)
    assert (again.status_code, again.data) == (201, first.data)
    assert sealed_counts() == {"sealed": 1, "files": 2}
    assert len(list(Path(app.config["BLOB_DIR"]).rglob("*"))) == blobs


def test_another_manifest_with_the_same_instance_id_is_refused(intake_phone, world):
    sealed = sealed_interview(intake_phone, world, photos(1))
    assert intake_phone.submit(sealed.manifest, sealed.files).status_code == 201
    other = sealed.manifest.replace(b'encrypted="yes"', b'encrypted="yes" ')
    assert intake_phone.submit(other, sealed.files).status_code == 409
    assert sealed_counts() == {"sealed": 1, "files": 2}


def test_a_kept_submission_missing_a_file_is_refused_and_nothing_is_kept(app, intake_phone, world):
    sealed = sealed_interview(intake_phone, world, photos(2))
    response = intake_phone.submit(sealed.manifest, sealed.files[1:])
    assert response.status_code == 400
    assert sealed_counts() == {"sealed": 0, "files": 0} and reservations_left() == 0
    blobs = [p for p in Path(app.config["BLOB_DIR"]).rglob("*") if p.is_file()]
    assert blobs == []


def test_a_split_encrypted_submission_is_refused_by_the_intake_node(intake_phone, world):
    sealed = sealed_interview(intake_phone, world, photos(1))
    response = intake_phone.submit(sealed.manifest, sealed.files, incomplete=True)
    assert response.status_code == 413
    assert sealed_counts() == {"sealed": 0, "files": 0}


def test_a_kept_submission_cut_off_mid_file_keeps_nothing_and_says_so(app, intake_phone, world):
    sealed = sealed_interview(intake_phone, world, photos(2))
    body = multipart(sealed.manifest, sealed.files)
    cut = body.index(sealed.files[1][1]) + len(sealed.files[1][1]) // 2  # inside the 2nd file
    response = intake_phone.post_then_drop(body, cut)
    assert response.status_code == 400
    assert b"nothing of it is kept" in response.data
    assert sealed_counts() == {"sealed": 0, "files": 0} and reservations_left() == 0
    assert [p for p in Path(app.config["BLOB_DIR"]).rglob("*") if p.is_file()] == []


# --- Opening on the reading node --------------------------------------------------------------


def test_the_reading_node_opens_it_into_the_authors_draft_with_the_phones_files(
    app, intake_phone, world, nodes
):
    media = photos(2)
    sealed = sealed_interview(intake_phone, world, media)
    assert intake_phone.submit(sealed.manifest, sealed.files).status_code == 201
    kept_keys = list(db.session.scalars(select(SealedFile.blob_key)))
    assert all(blob_exists(app, key) for key in kept_keys)
    result = open_sealed(app, nodes)
    assert result.exit_code == 0, result.output
    assert "Opened 1, refused 0." in result.output
    # The evidence items hold the files now; the kept copies are gone.
    assert not any(blob_exists(app, key) for key in kept_keys)
    assert list(db.session.scalars(select(SealedFile.blob_key))) == [None, None, None]

    items = db.session.scalars(select(EvidenceItem)).all()
    assert sorted(i.sha256 for i in items) == sorted(
        hashlib.sha256(data).hexdigest() for _n, data, _t in media
    )
    [interview] = db.session.scalars(select(Interview)).all()
    assert interview.status == "draft" and interview.created_by_id == world.field_a.id
    assert interview.transcript == MARKER
    assert len(interview.evidence_links) == 2
    instance_id = db.session.scalars(select(SealedSubmission.instance_id)).one()
    assert {(e["details"]["channel"], e["details"]["instance_id"]) for e in ledger("received")} == {
        ("openrosa", instance_id)
    }
    [made] = ledger("received_via_openrosa")
    assert made["details"]["encrypted"] is True
    [kept] = db.session.scalars(select(SealedSubmission)).all()
    since = kept.received_at.isoformat(timespec="seconds") + "Z"
    assert {e["details"]["kept_sealed_since"] for e in [*ledger("received"), made]} == {since}
    assert kept.status == "opened" and kept.submission_id is not None
    [opened] = ledger("sealed_submission_opened")
    assert opened["details"] == {
        "instance_id": instance_id,
        "submission_id": kept.submission_id,
        "kept_copies_deleted": 3,
    }
    assert opened["actor"]["id"] == "system:sealed-submission-opening"


def test_opening_again_and_a_resend_after_opening_create_nothing_new(
    app, intake_phone, world, nodes
):
    sealed = sealed_interview(intake_phone, world, photos(1))
    first = intake_phone.submit(sealed.manifest, sealed.files)
    assert open_sealed(app, nodes).exit_code == 0
    counts = stored_counts()
    nodes.intake()
    again = intake_phone.submit(sealed.manifest, sealed.files)
    assert (again.status_code, again.data) == (201, first.data)
    result = open_sealed(app, nodes)
    assert "Opened 0, refused 0." in result.output
    assert stored_counts() == counts
    assert sealed_counts() == {"sealed": 1, "files": 2}


def test_a_tampered_kept_file_is_refused_at_opening_and_nothing_is_stored(
    app, intake_phone, world, nodes
):
    send_with_a_changed_photo(intake_phone, world, photos(2), 1)
    before = stored_counts()
    result = open_sealed(app, nodes)
    assert result.exit_code != 0
    # Nothing stored but the ledger's word that it was refused.
    assert stored_counts() == {**before, "ledger": before["ledger"] + 1}
    assert db.session.scalars(select(Interview)).all() == []
    [kept] = db.session.scalars(select(SealedSubmission)).all()
    assert kept.status == "refused" and "do not match" in kept.refused_reason
    [refused] = ledger("sealed_submission_refused")
    assert refused["details"] == {"instance_id": kept.instance_id}
    assert all(blob_exists(app, f.blob_key) for f in kept.files)  # kept for a look
    listed = app.test_cli_runner().invoke(args=["openrosa", "sealed", "--status", "refused"])
    assert kept.id in listed.output and "do not match" in listed.output


def test_an_admin_sees_the_refused_ones_with_their_reason_and_nothing_they_hold(
    app, intake_phone, world, nodes
):
    from tests.helpers.factories import UserFactory
    from tests.helpers.web import sign_in

    send_with_a_changed_photo(intake_phone, world, photos(1), 0)
    waiting = sealed_interview(intake_phone, world, photos(1), transcript="Still waiting.")
    assert intake_phone.submit(waiting.manifest, waiting.files).status_code == 201
    open_sealed(app, nodes)  # opens both: one refused, one opened
    nodes.intake()
    third = sealed_interview(intake_phone, world, photos(1), transcript="Not opened yet.")
    assert intake_phone.submit(third.manifest, third.files).status_code == 201
    nodes.reader()
    client = app.test_client()
    sign_in(client, UserFactory(role="admin"))
    page = client.get("/admin/sealed-submissions")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    refused = db.session.scalars(
        select(SealedSubmission).where(SealedSubmission.status == "refused")
    ).one()
    assert refused.instance_id in html and "do not match" in html
    assert world.investigation.reference in html
    counts = {
        k: html.split(f'id="sealed-{k}">')[1].split("<")[0]
        for k in ("pending", "opened", "refused")
    }
    assert counts == {"pending": "1", "opened": "1", "refused": "1"}
    assert MARKER not in html and "Idlib" not in html


def test_a_key_that_does_not_open_is_refused_at_opening(app, intake_phone, world, nodes):
    form = intake_phone.form("custos_interview")
    instance_id = new_instance_id()
    xml = submission_xml(
        instance_id=instance_id, incident=world.incident.id, witness=world.witness.id
    )
    sealed = encrypt_to_a_stranger("custos_interview", form, instance_id, xml)
    assert intake_phone.submit(sealed.manifest, sealed.files).status_code == 201
    before = stored_counts()
    open_sealed(app, nodes)
    assert stored_counts() == {**before, "ledger": before["ledger"] + 1}  # the refusal's entry
    [kept] = db.session.scalars(select(SealedSubmission)).all()
    assert kept.status == "refused" and "cannot be opened" in kept.refused_reason


def test_a_kept_blob_changed_at_rest_is_refused_at_opening(app, intake_phone, world, nodes):
    sealed = sealed_interview(intake_phone, world, photos(1))
    assert intake_phone.submit(sealed.manifest, sealed.files).status_code == 201
    kept_file = db.session.scalars(select(SealedFile).order_by(SealedFile.position)).first()
    [path] = [p for p in Path(app.config["BLOB_DIR"]).rglob(kept_file.blob_key) if p.is_file()]
    raw = path.read_bytes()
    path.write_bytes(_tamper(raw, len(raw) - 40))
    before = stored_counts()
    open_sealed(app, nodes)
    assert stored_counts() == {**before, "ledger": before["ledger"] + 1}  # the refusal's entry
    [kept] = db.session.scalars(select(SealedSubmission)).all()
    assert kept.status == "refused" and "no longer opens" in kept.refused_reason


def test_the_intake_node_cannot_open_what_it_kept(app, intake_phone, world):
    from app.openrosa.sealed_opening import open_pending
    from app.security.org_keys import ReadsDisabled

    sealed = sealed_interview(intake_phone, world, photos(1))
    assert intake_phone.submit(sealed.manifest, sealed.files).status_code == 201
    with pytest.raises(ReadsDisabled):
        open_pending()
    [kept] = db.session.scalars(select(SealedSubmission)).all()
    assert kept.status == "pending"


def test_a_kept_submission_still_opens_after_the_keys_are_rotated(app, intake_phone, world, nodes):
    media = photos(1)
    sealed = sealed_interview(intake_phone, world, media)
    assert intake_phone.submit(sealed.manifest, sealed.files).status_code == 201
    nodes.reader()
    rotated = app.test_cli_runner().invoke(args=["keys", "rotate"])
    assert rotated.exit_code == 0, rotated.output
    kept_keys = list(db.session.scalars(select(SealedFile.blob_key)))
    assert all(f"rewrapped: {key}" in rotated.output for key in kept_keys)
    result = open_sealed(app, nodes)
    assert "Opened 1, refused 0." in result.output, result.output
    [item] = db.session.scalars(select(EvidenceItem)).all()
    assert item.sha256 == hashlib.sha256(media[0][1]).hexdigest()


def test_the_daily_blobs_gc_running_while_a_slow_phone_sends_loses_nothing_it_kept(
    app, intake_phone, world, nodes, monkeypatch
):
    """A slow connection: the first file came hours ago, the last is still arriving when the
    daily `blobs gc` runs (elsewhere: its own app context). The files are recorded only all
    together, at the end; none of them may be gone by then."""
    from app.openrosa.sealed_keeping import SealedKeeping
    from app.vault.gc import collect_garbage

    real_write, reports = SealedKeeping.write, []

    def write_then_gc_hours_later(self, data, more):
        real_write(self, data, more)
        if len(self.stored) == 1 and not reports:  # the first file kept, the rest to come
            with app.app_context():
                reports.append(
                    collect_garbage(timedelta(hours=1), now=utcnow() + timedelta(hours=3))
                )

    monkeypatch.setattr(SealedKeeping, "write", write_then_gc_hours_later)
    sealed = sealed_interview(intake_phone, world, photos(2))
    assert intake_phone.submit(sealed.manifest, sealed.files).status_code == 201
    assert reports and reports[0].removed == []
    kept_keys = list(db.session.scalars(select(SealedFile.blob_key)))
    assert len(kept_keys) == 3 and all(blob_exists(app, key) for key in kept_keys)
    assert reservations_left() == 0  # recorded: their rows hold them now
    assert "Opened 1, refused 0." in open_sealed(app, nodes).output


def test_keys_reencrypt_copies_the_kept_files_under_new_file_keys_and_they_still_open(
    app, intake_phone, world, nodes
):
    media = photos(2)
    sealed = sealed_interview(intake_phone, world, media)
    assert intake_phone.submit(sealed.manifest, sealed.files).status_code == 201
    nodes.reader()
    before = {f.id: (f.blob_key, f.sha256) for f in db.session.scalars(select(SealedFile))}
    old_file_keys = {key: file_key_of(key) for key, _ in before.values()}

    result = app.test_cli_runner().invoke(args=["keys", "reencrypt"])

    assert result.exit_code == 0, result.output
    db.session.expire_all()
    kept = db.session.scalars(select(SealedFile).order_by(SealedFile.position)).all()
    for sealed_file in kept:
        old_key, sha256 = before[sealed_file.id]
        assert sealed_file.blob_key != old_key and not blob_exists(app, old_key)
        assert file_key_of(sealed_file.blob_key) != old_file_keys[old_key]
        assert f"re-encrypted: {sealed_file.id}" in result.output
    [submission_id] = db.session.scalars(select(SealedSubmission.id))
    entries = [e for e in ledger("key_rotated") if e["object"]["type"] == "sealed_submission"]
    assert sorted(
        (e["object"]["id"], e["details"]["copy"], e["details"]["sha256"]) for e in entries
    ) == [(submission_id, f"file {f.position}", before[f.id][1]) for f in kept]

    opened = open_sealed(app, nodes)
    assert "Opened 1, refused 0." in opened.output, opened.output
    assert sorted(i.sha256 for i in db.session.scalars(select(EvidenceItem))) == sorted(
        hashlib.sha256(data).hexdigest() for _n, data, _t in media
    )


def test_keys_reencrypt_leaves_the_files_of_an_opened_submission_alone(
    app, intake_phone, world, nodes
):
    sealed = sealed_interview(intake_phone, world, photos(1))
    assert intake_phone.submit(sealed.manifest, sealed.files).status_code == 201
    assert open_sealed(app, nodes).exit_code == 0
    result = app.test_cli_runner().invoke(args=["keys", "reencrypt"])
    assert result.exit_code == 0, result.output
    assert [e for e in ledger("key_rotated") if e["object"]["type"] == "sealed_submission"] == []
    assert list(db.session.scalars(select(SealedFile.blob_key))) == [None, None]


def file_key_of(blob_key: str) -> bytes:
    return unwrap_file_key(BytesSource(raw_blob(blob_key)), org_keys.org_identities())


def test_a_sender_no_longer_a_field_member_is_refused_until_restored_and_retried(
    app, intake_phone, world, nodes
):
    from app.investigations.models import Membership

    media = photos(1)
    sealed = sealed_interview(intake_phone, world, media)
    assert intake_phone.submit(sealed.manifest, sealed.files).status_code == 201
    membership = db.session.scalars(
        select(Membership).where(Membership.user_id == world.field_a.id)
    ).one()
    membership.role = "lawyer"
    db.session.commit()
    before = stored_counts()
    assert open_sealed(app, nodes).exit_code != 0
    assert stored_counts() == {**before, "ledger": before["ledger"] + 1}  # the refusal's entry
    [kept] = db.session.scalars(select(SealedSubmission)).all()
    assert kept.status == "refused" and "no longer an active field member" in kept.refused_reason

    membership = db.session.scalars(
        select(Membership).where(Membership.user_id == world.field_a.id)
    ).one()
    membership.role = "field"
    db.session.commit()
    retried = app.test_cli_runner().invoke(args=["openrosa", "retry", kept.id])
    assert retried.exit_code == 0, retried.output
    assert "Opened 1, refused 0." in open_sealed(app, nodes).output
    [item] = db.session.scalars(select(EvidenceItem)).all()
    assert item.sha256 == hashlib.sha256(media[0][1]).hexdigest()
