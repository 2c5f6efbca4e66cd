"""Photo redaction: boxes blacked out on the upright image, no metadata, linked in the ledger."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image
from sqlalchemy import select

from app.casefiles.services.errors import CaseFileError
from app.casefiles.services.redaction import Rectangle, parse_rectangles, redact_photo
from app.custody.models import LedgerEntry
from app.extensions import db
from app.vault.models import Derivative
from app.vault.storage import open_plaintext
from tests.helpers.media import jpeg_with_exif, png_bytes
from tests.helpers.web import post_form


@pytest.mark.nodb
def test_redacted_photo_has_black_boxes_and_no_metadata():
    original = jpeg_with_exif(size=(400, 200))
    data, media_type = redact_photo(io.BytesIO(original), [Rectangle(0.5, 0.5, 0.25, 0.5)])
    assert media_type == "image/jpeg"
    image = Image.open(io.BytesIO(data))
    assert image.size == (400, 200)
    assert image.convert("L").crop((205, 105, 295, 195)).getextrema()[1] < 16
    assert image.convert("L").crop((0, 120, 150, 190)).getextrema()[0] > 16
    assert not image.getexif() and "icc_profile" not in image.info
    for marker in (b"WITNESS-XMP-MARKER", b"WITNESS-COMMENT-MARKER", b"Canon", b"GPS", b"Exif"):
        assert marker not in data


@pytest.mark.nodb
def test_rotated_photos_are_redacted_where_the_lawyer_saw_the_box():
    # Orientation 6: stored landscape, shown portrait. A box over the shown top-left corner.
    original = jpeg_with_exif(size=(300, 200), orientation=6)
    data, _ = redact_photo(io.BytesIO(original), [Rectangle(0.0, 0.0, 0.5, 0.25)])
    image = Image.open(io.BytesIO(data)).convert("L")
    assert image.size == (200, 300)
    assert image.crop((2, 2, 98, 73)).getextrema()[1] < 16


@pytest.mark.nodb
def test_png_stays_png_and_loses_its_text_chunks():
    data, media_type = redact_photo(io.BytesIO(png_bytes()), [Rectangle(0, 0, 1, 1)])
    assert media_type == "image/png" and b"WITNESS-PNG-TEXT-MARKER" not in data


@pytest.mark.nodb
@pytest.mark.parametrize(
    "raw",
    [[], [[0, 0, 0, 0.5]], [[-0.1, 0, 0.5, 0.5]], [[0.8, 0, 0.5, 0.5]], [["a", 0, 1, 1]], "x"],
)
def test_bad_rectangles_are_refused(raw):
    with pytest.raises(CaseFileError):
        parse_rectangles(raw)


def test_the_redaction_page_stores_a_redacted_derivative_linked_in_the_ledger(
    built_case, signed_in
):
    w = built_case
    client = signed_in(w.author)
    url = (
        f"/investigations/{w.investigation.reference}/cases/{w.casefile.reference}"
        f"/items/{w.items['photo'].id}"
    )
    assert client.get(url + "/redact").status_code == 200
    preview = client.get(url + "/preview")
    assert preview.status_code == 200 and preview.mimetype == "image/jpeg"
    assert b"Exif" not in preview.get_data()
    # Bytes derived from evidence are never a page of our origin (issue 15).
    assert preview.headers["Content-Security-Policy"] == "sandbox; default-src 'none'"
    response = post_form(
        client,
        url + "/redact",
        {"rectangles": json.dumps([[0.1, 0.1, 0.3, 0.3]])},
        page=url + "/redact",
    )
    assert response.status_code == 302
    db.session.expire_all()
    copy = db.session.scalar(select(Derivative).where(Derivative.kind == "redacted"))
    assert copy.evidence_id == w.photo.id
    data = b"".join(open_plaintext(copy.blob_key).iter_all())
    assert b"Exif" not in data and b"WITNESS-XMP-MARKER" not in data
    actions = [
        json.loads(e.body)
        for e in db.session.scalars(
            select(LedgerEntry).where(LedgerEntry.object_id == w.photo.id).order_by(LedgerEntry.id)
        )
    ]
    created = [
        e
        for e in actions
        if e["action"] == "derivative_created" and e["details"]["kind"] == "redacted"
    ]
    assert created and created[0]["details"]["parent_sha256"] == w.photo.sha256
    assert any(
        e["action"] == "viewed" and e["details"].get("purpose") == "redaction" for e in actions
    )


def test_redacting_something_that_is_not_a_photo_redirects(built_case, signed_in):
    w = built_case
    url = (
        f"/investigations/{w.investigation.reference}/cases/{w.casefile.reference}"
        f"/items/{w.items['incident'].id}/redact"
    )
    assert signed_in(w.author).get(url).status_code == 302
