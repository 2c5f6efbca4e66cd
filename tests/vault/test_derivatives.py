"""Derivatives: thumbnails and poster frames, and the stripped copy that carries no metadata."""

from __future__ import annotations

import hashlib
import io
import json

import pytest
from PIL import Image
from sqlalchemy import select

from app.custody.models import LedgerEntry
from app.extensions import db
from app.security import org_keys
from app.vault.media.derivatives import (
    THUMBNAIL_MAX_PX,
    DerivativeError,
    photo_thumbnail,
    stripped_photo,
    video_poster,
)
from app.vault.models import EvidenceItem
from app.vault.processing import process_new_evidence
from app.vault.storage import open_plaintext
from app.vault.upload.stream import begin_intake
from tests.helpers.factories import InvestigationFactory, MembershipFactory, UserFactory
from tests.helpers.media import (
    age_reader,
    heic_with_exif,
    jpeg_with_exif,
    make_mp4,
    png_bomb,
    png_bytes,
)
from tests.vault.vault_support import pin_current_recipient

nodb = pytest.mark.nodb

MARKERS = (b"WITNESS-XMP-MARKER", b"WITNESS-COMMENT-MARKER", b"WITNESS-PNG-TEXT-MARKER")


def assert_no_metadata(data: bytes) -> None:
    image = Image.open(io.BytesIO(data))
    assert len(image.getexif()) == 0
    assert not set(image.info) & {"exif", "xmp", "icc_profile", "comment", "XML:com.adobe.xmp"}
    assert not getattr(image, "text", {})  # PNG tEXt/iTXt chunks
    assert not getattr(image, "applist", [])[1:]  # only the JFIF APP0, if anything
    for marker in (*MARKERS, b"Exif\x00\x00", b"http://ns.adobe.com/xap", b"Canon", b"GPS"):
        assert marker not in data


@nodb
def test_stripped_jpeg_has_no_exif_gps_xmp_icc_or_comment():
    original = jpeg_with_exif()
    assert all(m in original for m in MARKERS[:2]) and b"Exif\x00\x00" in original
    stripped, media_type = stripped_photo(io.BytesIO(original))
    assert media_type == "image/jpeg"
    assert_no_metadata(stripped)
    assert Image.open(io.BytesIO(stripped)).size == (640, 480)


@nodb
def test_stripped_heic_becomes_a_jpeg_without_metadata():
    stripped, media_type = stripped_photo(io.BytesIO(heic_with_exif()))
    assert media_type == "image/jpeg"
    assert_no_metadata(stripped)
    thumbnail = Image.open(io.BytesIO(photo_thumbnail(io.BytesIO(heic_with_exif()))))
    assert thumbnail.format == "JPEG" and thumbnail.size == (320, 240)


@nodb
def test_stripped_copy_is_turned_upright_because_the_orientation_tag_is_gone():
    rotated = jpeg_with_exif(size=(640, 480), orientation=6)  # "rotate 90° clockwise to view"
    stripped, _ = stripped_photo(io.BytesIO(rotated))
    assert Image.open(io.BytesIO(stripped)).size == (480, 640)


@nodb
def test_stripped_png_stays_png_without_text_chunks():
    original = png_bytes(mode="RGBA")
    assert MARKERS[2] in original
    stripped, media_type = stripped_photo(io.BytesIO(original))
    assert media_type == "image/png"
    assert_no_metadata(stripped)
    assert Image.open(io.BytesIO(stripped)).mode == "RGBA"


@nodb
def test_thumbnail_is_a_jpeg_at_most_320_px_without_metadata():
    thumbnail = photo_thumbnail(io.BytesIO(jpeg_with_exif(size=(4000, 3000))))
    image = Image.open(io.BytesIO(thumbnail))
    assert image.format == "JPEG"
    assert max(image.size) == THUMBNAIL_MAX_PX and image.size == (320, 240)
    assert_no_metadata(thumbnail)


@nodb
def test_thumbnail_is_turned_upright():
    rotated = jpeg_with_exif(size=(640, 480), orientation=6)
    assert Image.open(io.BytesIO(photo_thumbnail(io.BytesIO(rotated)))).size == (240, 320)


@nodb
def test_thumbnail_of_a_small_image_is_not_enlarged():
    image = Image.open(io.BytesIO(photo_thumbnail(io.BytesIO(png_bytes((100, 50))))))
    assert image.size == (100, 50)


@nodb
def test_thumbnail_of_a_bomb_is_refused():
    with pytest.raises(DerivativeError, match="decompression-bomb"):
        photo_thumbnail(io.BytesIO(png_bomb()))


@nodb
@pytest.mark.parametrize("faststart", [False, True], ids=["moov-at-end", "faststart"])
def test_video_poster_frame_from_a_pipe(tmp_path, faststart):
    data = make_mp4(tmp_path, seconds=2, size="640x360", faststart=faststart)
    poster = Image.open(io.BytesIO(video_poster(age_reader(data), "video/mp4")))
    assert poster.format == "JPEG"
    assert poster.size == (320, 180)


@nodb
def test_video_poster_of_an_mp4_without_index_is_a_clear_error():
    with pytest.raises(DerivativeError, match="moov"):
        video_poster(age_reader(b"\x00\x00\x00\x08free" * 20), "video/mp4")


@nodb
def test_video_poster_of_garbage_reports_ffmpegs_reason():
    with pytest.raises(DerivativeError, match="ffmpeg"):
        video_poster(age_reader(b"not a video at all " * 50), "video/webm")


# --- Processing after intake: rows, blobs and custody entries -----------------------------------


@pytest.fixture
def keys(app_ctx):
    if not org_keys.keys_initialised():
        org_keys.init_keys(org_keys.keys_dir(), org_keys.master_key())


@pytest.fixture
def uploader(keys):
    investigation = InvestigationFactory()
    user = UserFactory(role="field")
    MembershipFactory(user=user, investigation=investigation)
    return investigation, user


def intake(investigation, user, data: bytes, filename: str) -> EvidenceItem:
    """Through the real intake, which runs process_new_evidence once the row is committed."""
    writer = begin_intake(investigation, user, filename, None, len(data))
    writer.write(data)
    item_id = writer.finish().id
    db.session.expire_all()
    return db.session.get(EvidenceItem, item_id)


def ledger(item_id: str, action: str) -> list[dict]:
    entries = db.session.scalars(
        select(LedgerEntry)
        .where(LedgerEntry.object_id == item_id, LedgerEntry.action == action)
        .order_by(LedgerEntry.seq)
    )
    return [json.loads(entry.body) for entry in entries]


def plaintext(blob_key: str) -> bytes:
    return b"".join(open_plaintext(blob_key).iter_all())


def test_photo_intake_makes_encrypted_thumbnail_and_stripped_copy_linked_to_it(uploader):
    original = jpeg_with_exif()
    item = intake(*uploader, original, "market.jpg")
    kinds = {d.kind: d for d in item.derivatives}
    assert set(kinds) == {"thumbnail", "stripped"}
    for derivative in kinds.values():
        assert derivative.evidence_id == item.id
        assert derivative.investigation_id == item.investigation_id
        assert derivative.blob_key != item.blob_key
        assert open_plaintext(derivative.blob_key).source.read_at(0, 21) == b"age-encryption.org/v1"
    assert_no_metadata(plaintext(kinds["stripped"].blob_key))
    assert plaintext(item.blob_key) == original  # the original is untouched


def test_derivative_creation_is_in_the_ledger_with_both_hashes(uploader):
    item = intake(*uploader, jpeg_with_exif(), "market.jpg")
    entries = ledger(item.id, "derivative_created")
    assert sorted(e["details"]["kind"] for e in entries) == ["stripped", "thumbnail"]
    by_id = {d.id: d for d in item.derivatives}
    for entry in entries:
        details = entry["details"]
        assert details["parent_sha256"] == item.sha256
        assert details["child_sha256"] == by_id[details["derivative_id"]].sha256
        assert entry["actor"]["id"] == "system:media-processing"


def test_metadata_is_stored_encrypted_and_committed_to_by_hash(uploader):
    item = intake(*uploader, jpeg_with_exif(), "market.jpg")
    metadata = json.loads(item.extracted_metadata)
    assert metadata["fields"]["gps"]["latitude"] == pytest.approx(36.2020833)
    (entry,) = ledger(item.id, "metadata_extracted")
    assert entry["details"]["status"] == "ok"
    stored = item.extracted_metadata.encode()
    assert entry["details"]["metadata_sha256"] == hashlib.sha256(stored).hexdigest()
    assert "36.20" not in json.dumps(entry)  # the ledger carries no coordinates
    raw = db.session.execute(
        select(EvidenceItem.__table__.c.extracted_metadata).where(EvidenceItem.id == item.id)
    ).scalar_one()
    assert b"latitude" not in bytes(raw)  # encrypted at rest


def test_video_intake_makes_a_poster_frame(uploader, tmp_path):
    item = intake(*uploader, make_mp4(tmp_path, size="640x360"), "clip.mp4")
    (poster,) = item.derivatives
    assert poster.kind == "thumbnail" and poster.media_type == "image/jpeg"
    assert Image.open(io.BytesIO(plaintext(poster.blob_key))).size == (320, 180)
    assert json.loads(item.extracted_metadata)["fields"]["video"]["codec"] == "h264"


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_an_image_over_the_pixel_limit_is_refused_not_processed(uploader):
    bomb = png_bomb(10_100)  # 102 MP: past our limit, under the 2x that intake refuses
    item = intake(*uploader, bomb, "big.png")
    metadata = json.loads(item.extracted_metadata)
    assert metadata["status"] == "refused"
    assert "decompression-bomb" in metadata["reason"]
    assert item.derivatives == []
    (entry,) = ledger(item.id, "metadata_extracted")
    assert entry["details"]["status"] == "refused"


def test_processing_twice_changes_nothing(uploader):
    item = intake(*uploader, jpeg_with_exif(), "market.jpg")
    before = (item.extracted_metadata, sorted(d.id for d in item.derivatives))
    process_new_evidence(item.id)
    db.session.expire_all()
    item = db.session.get(EvidenceItem, item.id)
    assert (item.extracted_metadata, sorted(d.id for d in item.derivatives)) == before
    assert len(ledger(item.id, "metadata_extracted")) == 1


def test_items_received_on_an_intake_only_node_are_processed_later_by_the_cli(
    app, uploader, monkeypatch
):
    pin_current_recipient(app, monkeypatch)
    app.config["CUSTOS_INTAKE_ONLY"] = True
    try:
        item = intake(*uploader, jpeg_with_exif(), "market.jpg")
        assert item.extracted_metadata is None and item.derivatives == []  # cannot decrypt
        refused = app.test_cli_runner().invoke(args=["evidence", "process"])
        assert refused.exit_code != 0 and "intake-only" in refused.output
    finally:
        app.config["CUSTOS_INTAKE_ONLY"] = False
    result = app.test_cli_runner().invoke(args=["evidence", "process"])
    assert result.exit_code == 0, result.output
    assert f"processed: {item.id}" in result.output
    db.session.expire_all()
    item = db.session.get(EvidenceItem, item.id)
    assert json.loads(item.extracted_metadata)["status"] == "ok"
    assert {d.kind for d in item.derivatives} == {"thumbnail", "stripped"}
    again = app.test_cli_runner().invoke(args=["evidence", "process"])
    assert "total: 0 processed" in again.output
