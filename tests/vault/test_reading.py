"""Reading evidence back: pages, HTTP Range streaming, downloads, derivatives, custody, access."""

from __future__ import annotations

import random
import re

import pytest
from sqlalchemy import func, select

from app.crypto.age import CHUNK_SIZE, AgeError
from app.custody.models import LedgerEntry
from app.extensions import db
from app.investigations.viewer import viewer_of
from app.security import org_keys
from app.vault.models import Derivative, EvidenceItem
from app.vault.reading.evidence import stream_item
from app.vault.reading.http_framing import (
    ByteRange,
    RangeNotSatisfiable,
    content_disposition,
    parse_range,
)
from app.vault.storage import blob_store
from app.vault.upload.stream import begin_intake
from tests.helpers.factories import InvestigationFactory, MembershipFactory, UserFactory
from tests.helpers.media import jpeg_with_exif, make_mp4
from tests.vault.vault_support import isolated_vault

# --- Fixtures -----------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _organisation_keys(request: pytest.FixtureRequest):
    if "app" not in request.fixturenames:
        yield
        return
    app = request.getfixturevalue("app")
    with app.app_context():
        if not org_keys.keys_initialised():
            org_keys.init_keys(org_keys.keys_dir(), org_keys.master_key())
    yield


def add_evidence(investigation, user, data: bytes, filename: str, facts=None) -> EvidenceItem:
    """Evidence created the way the app creates it: streamed through intake."""
    writer = begin_intake(investigation, user, filename, facts, len(data))
    for start in range(0, len(data), 1 << 20):
        writer.write(data[start : start + (1 << 20)])
    item = writer.finish()
    db.session.expire_all()
    return db.session.get(EvidenceItem, item.id)


def text_bytes(size: int, seed: int = 7) -> bytes:
    """Plain text (an allowed type) of exactly `size` bytes, different at every offset."""
    rng = random.Random(seed)
    words = [b"witness", b"shelling", b"market", b"north", b"road", b"clinic", b"09:40"]
    out = bytearray()
    while len(out) < size:
        out += rng.choice(words) + (b"\n" if rng.random() < 0.1 else b" ")
    return bytes(out[:size])


class World:
    def __init__(self):
        self.investigation = InvestigationFactory()
        self.member = UserFactory(role="lawyer")
        # The identity grant: these tests read original file names and capture facts.
        MembershipFactory(
            user=self.member, investigation=self.investigation, may_see_identities=True
        )
        self.ref = self.investigation.reference

    def url(self, item, suffix: str = "") -> str:
        return f"/investigations/{self.ref}/evidence/{item.id}{suffix}"


@pytest.fixture
def world(app_ctx):
    return World()


@pytest.fixture
def text_item(world):
    data = text_bytes(3 * CHUNK_SIZE + 1234)
    return add_evidence(world.investigation, world.member, data, "notes.txt"), data


@pytest.fixture
def photo_item(world):
    data = jpeg_with_exif()
    facts = {"captured_at": "2024-05-01T07:15:00Z", "latitude": 36.2, "longitude": 37.1}
    return add_evidence(world.investigation, world.member, data, "market.jpg", facts), data


@pytest.fixture
def member_client(signed_in, world):
    client = signed_in(world.member)
    # Downloading an original needs a stated reason (app/accesslog): this client states one.
    client.environ_base["HTTP_X_ACCESS_REASON"] = "verification"
    return client


def custody_count(item_id: str, action: str) -> int:
    db.session.expire_all()
    return db.session.scalar(
        select(func.count())
        .select_from(LedgerEntry)
        .where(LedgerEntry.object_id == item_id, LedgerEntry.action == action)
    )


# --- Range parsing (RFC 9110 §14) ---------------------------------------------------------------


@pytest.mark.nodb
@pytest.mark.parametrize(
    "header,expected",
    [
        ("bytes=0-99", ByteRange(0, 100)),
        ("bytes=100-", ByteRange(100, 1000)),
        ("bytes=-500", ByteRange(500, 1000)),
        ("bytes=-5000", ByteRange(0, 1000)),
        ("bytes=990-5000", ByteRange(990, 1000)),
        ("bytes=0-0", ByteRange(0, 1)),
        ("BYTES = 0-9", ByteRange(0, 10)),
        ("bytes=0-9,", ByteRange(0, 10)),  # empty list elements are allowed
        ("bytes=5-99999999999999999999999", ByteRange(5, 1000)),
    ],
)
def test_single_ranges(header, expected):
    assert parse_range(header, 1000) == expected


@pytest.mark.nodb
@pytest.mark.parametrize(
    "header",
    [None, "", "bytes=abc", "bytes=5-2", "bytes=-", "bytes", "items=0-5", "bytes=0-1,5-6"],
)
def test_ignored_ranges_mean_the_whole_file(header):
    assert parse_range(header, 1000) is None


@pytest.mark.nodb
@pytest.mark.parametrize("header", ["bytes=1000-", "bytes=5000-6000", "bytes=-0"])
def test_unsatisfiable_ranges(header):
    with pytest.raises(RangeNotSatisfiable):
        parse_range(header, 1000)


# --- Content-Disposition ------------------------------------------------------------------------


@pytest.mark.nodb
def test_disposition_of_an_arabic_name_has_rfc8187_encoding_and_an_ascii_fallback():
    header = content_disposition("attachment", "شهادة الشاهد 1.mp4", "evidence-1")
    assert header.startswith('attachment; filename="')
    fallback = re.search(r'filename="([^"]*)"', header).group(1)
    assert fallback.isascii() and fallback.endswith(".mp4")
    encoded = re.search(r"filename\*=UTF-8''(\S+)$", header).group(1)
    from urllib.parse import unquote

    assert unquote(encoded) == "شهادة الشاهد 1.mp4"


@pytest.mark.nodb
def test_disposition_of_a_hostile_name_cannot_break_the_header():
    header = content_disposition("attachment", 'a"\r\nSet-Cookie: x=1.txt', "evidence-1")
    assert "\r" not in header and "\n" not in header
    assert header.count('"') == 2  # only the fallback's own quotes
    assert "Set-Cookie: x" not in header
    fallback = re.search(r'filename="([^"]*)"', header).group(1)
    assert re.fullmatch(r"[A-Za-z0-9._() -]+", fallback)


# --- Pages --------------------------------------------------------------------------------------


def test_list_shows_members_their_evidence_with_thumbnails(world, member_client, photo_item):
    item, _ = photo_item
    response = member_client.get(f"/investigations/{world.ref}/evidence")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "market.jpg" in html
    thumbnail = next(d for d in item.derivatives if d.kind == "thumbnail")
    assert world.url(item, f"/derivatives/{thumbnail.id}") in html


def test_item_page_shows_hashes_and_both_fact_sources_apart(world, member_client, photo_item):
    item, _ = photo_item
    response = member_client.get(world.url(item))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert item.sha256 in html
    assert "image/jpeg" in html
    assert "2024-05-01T07:15:00Z" in html  # as the client reported it
    assert "2024-05-01T10:15:30 +03:00" in html  # as the file states it
    assert "36.2, 37.1" in html and "36.2020833, 37.1342361" in html
    for derivative in item.derivatives:
        assert derivative.sha256 in html
    assert response.headers["Cache-Control"] == "no-store"


def test_video_item_page_has_a_player_on_the_stream_url(world, member_client, tmp_path):
    item = add_evidence(world.investigation, world.member, make_mp4(tmp_path), "clip.mp4")
    html = member_client.get(world.url(item)).get_data(as_text=True)
    assert "<video controls" in html
    assert f'src="{world.url(item, "/stream")}"' in html
    assert "poster=" in html


# --- Streaming with Range -----------------------------------------------------------------------


def test_stream_without_range_is_the_whole_file(world, member_client, text_item):
    item, data = text_item
    response = member_client.get(world.url(item, "/stream"))
    assert response.status_code == 200
    assert response.data == data
    assert response.headers["Accept-Ranges"] == "bytes"
    assert response.headers["Content-Length"] == str(len(data))
    assert response.headers["Content-Type"].startswith("text/plain")
    assert response.headers["Content-Disposition"].startswith("inline;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    "header,start,end",
    [
        ("bytes=0-99", 0, 100),
        ("bytes=100-", 100, None),
        ("bytes=-500", -500, None),
        ("bytes=65500-65600", 65500, 65601),  # spans the first 64 KiB chunk boundary
        (
            f"bytes={2 * CHUNK_SIZE - 3}-{3 * CHUNK_SIZE + 2}",
            2 * CHUNK_SIZE - 3,
            3 * CHUNK_SIZE + 3,
        ),
    ],
)
def test_range_requests_get_206_and_exactly_those_bytes(
    world, member_client, text_item, header, start, end
):
    item, data = text_item
    response = member_client.get(world.url(item, "/stream"), headers={"Range": header})
    assert response.status_code == 206
    expected = data[start:end]
    assert response.data == expected
    first = start % len(data)
    assert response.headers["Content-Range"] == (
        f"bytes {first}-{first + len(expected) - 1}/{len(data)}"
    )
    assert response.headers["Content-Length"] == str(len(expected))


@pytest.mark.parametrize("header", ["bytes={size}-", "bytes=-0"])
def test_unsatisfiable_range_gets_416_with_the_size(world, member_client, text_item, header):
    item, data = text_item
    response = member_client.get(
        world.url(item, "/stream"), headers={"Range": header.format(size=len(data))}
    )
    assert response.status_code == 416
    assert response.headers["Content-Range"] == f"bytes */{len(data)}"
    assert custody_count(item.id, "streamed") == 0  # nothing was sent


@pytest.mark.parametrize("header", ["bytes=abc", "bytes=9-2", "bytes=0-1,10-20", "lines=1-2"])
def test_malformed_or_multiple_ranges_get_the_whole_file(world, member_client, text_item, header):
    item, data = text_item
    response = member_client.get(world.url(item, "/stream"), headers={"Range": header})
    assert response.status_code == 200
    assert response.data == data


def test_if_range_without_our_validator_gets_the_whole_file(world, member_client, text_item):
    item, data = text_item
    response = member_client.get(
        world.url(item, "/stream"), headers={"Range": "bytes=0-9", "If-Range": '"abc"'}
    )
    assert response.status_code == 200 and response.data == data


def test_far_range_of_a_large_item_decrypts_only_the_covering_chunks(world, app_ctx):
    """Scrubbing near the end of a 32 MiB item must not read what comes before it."""
    size = 32 * 1024 * 1024
    data = text_bytes(size, seed=11)  # random bytes are not an allowed type; text is
    item = add_evidence(world.investigation, world.member, data, "long-notes.txt")
    start, end = size - 3 * CHUNK_SIZE - 17, size - CHUNK_SIZE + 5
    viewer = viewer_of(world.investigation, world.member)
    read = stream_item(viewer, item.id, f"bytes={start}-{end - 1}")
    reads: list[tuple[int, int]] = []
    real_source = read.reader.source

    class CountingSource:
        size = real_source.size

        def read_at(self, offset: int, length: int) -> bytes:
            reads.append((offset, length))
            return real_source.read_at(offset, length)

        def close(self) -> None:
            real_source.close()

    read.reader.source = CountingSource()
    body = b"".join(read.body())
    assert body == data[start:end]
    encrypted_chunk = CHUNK_SIZE + 16
    # Chunks first..last-but-final: 3 chunks; the final chunk is held since open().
    assert sum(length for _, length in reads) <= 3 * encrypted_chunk
    assert min(offset for offset, _ in reads) > size - 4 * encrypted_chunk


# --- Downloads ----------------------------------------------------------------------------------


def test_download_has_the_original_bytes_and_filename(world, member_client):
    data = text_bytes(5000)
    item = add_evidence(world.investigation, world.member, data, "إفادة الشاهد.txt")
    response = member_client.get(world.url(item, "/download"))
    assert response.status_code == 200
    assert response.data == data
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''%D8%A5%D9%81%D8%A7%D8%AF%D8%A9" in disposition


def test_hostile_stored_filename_cannot_inject_headers(world, member_client, text_item):
    item, data = text_item
    # Intake refuses such names; a row written by some other path must still be served safely.
    item.original_filename = 'a"\r\nSet-Cookie: x=1.txt'
    db.session.commit()
    response = member_client.get(world.url(item, "/download"))
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers or "x=1" not in response.headers["Set-Cookie"]
    assert "\n" not in response.headers["Content-Disposition"]
    assert response.data == data


# --- Derivatives --------------------------------------------------------------------------------


def test_thumbnail_and_stripped_copy_are_served(world, member_client, photo_item):
    item, _ = photo_item
    for derivative in item.derivatives:
        response = member_client.get(world.url(item, f"/derivatives/{derivative.id}"))
        assert response.status_code == 200
        assert response.headers["Content-Type"] == derivative.media_type
        assert len(response.data) == derivative.size
        assert "market" not in response.headers["Content-Disposition"]


def test_derivative_of_another_item_is_404(world, member_client, photo_item, text_item):
    photo, _ = photo_item
    text, _ = text_item
    derivative = photo.derivatives[0]
    response = member_client.get(world.url(text, f"/derivatives/{derivative.id}"))
    assert response.status_code == 404


# --- Access -------------------------------------------------------------------------------------


def evidence_urls(world, item) -> list[str]:
    derivative = db.session.scalars(select(Derivative).where(Derivative.evidence_id == item.id))
    urls = [
        f"/investigations/{world.ref}/evidence",
        world.url(item),
        world.url(item, "/stream"),
        world.url(item, "/download"),
    ]
    urls += [world.url(item, f"/derivatives/{d.id}") for d in derivative]
    return urls


@pytest.mark.parametrize("role", ["field", "lawyer", "admin"])
def test_non_members_get_404_for_every_evidence_url(world, signed_in, photo_item, role):
    item, _ = photo_item
    outsider = UserFactory(role=role)
    MembershipFactory(user=outsider, investigation=InvestigationFactory())  # member elsewhere
    client = signed_in(outsider)
    urls = evidence_urls(world, item)
    assert len(urls) == 6
    for url in urls:
        response = client.get(url, headers={"Range": "bytes=0-9"})
        assert response.status_code == 404, url
    assert custody_count(item.id, "viewed") == 0


def test_evidence_under_another_investigations_reference_is_404(world, signed_in, photo_item):
    item, _ = photo_item
    other = InvestigationFactory()
    MembershipFactory(user=world.member, investigation=other)
    client = signed_in(world.member)
    for url in evidence_urls(world, item)[1:]:
        assert client.get(url.replace(world.ref, other.reference)).status_code == 404, url


def test_anonymous_is_sent_to_sign_in(world, client, photo_item):
    item, _ = photo_item
    for url in evidence_urls(world, item):
        response = client.get(url)
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_intake_only_node_refuses_reads_with_503(app, world, member_client, photo_item):
    item, _ = photo_item
    app.config["CUSTOS_INTAKE_ONLY"] = True
    try:
        for url in evidence_urls(world, item):
            response = member_client.get(url)
            assert response.status_code == 503, url
            assert "intake-only" in response.get_data(as_text=True)
    finally:
        app.config["CUSTOS_INTAKE_ONLY"] = False


# --- Custody: exactly one entry per read, not per Range request --------------------------------


def test_each_view_download_and_derivative_request_records_one_entry(
    world, member_client, photo_item
):
    item, _ = photo_item
    derivative = item.derivatives[0]
    member_client.get(world.url(item))
    assert custody_count(item.id, "viewed") == 1
    member_client.get(world.url(item, "/download"))
    member_client.get(world.url(item, "/download"))
    assert custody_count(item.id, "downloaded") == 2
    member_client.get(world.url(item, f"/derivatives/{derivative.id}"))
    assert custody_count(item.id, "viewed") == 2
    entry = db.session.scalars(
        select(LedgerEntry).where(LedgerEntry.object_id == item.id, LedgerEntry.action == "viewed")
    ).first()
    assert entry.actor_id == world.member.id


def test_a_scrubbing_storm_records_one_streamed_entry(world, member_client, text_item):
    item, data = text_item
    for offset in range(0, len(data), 9000):
        response = member_client.get(
            world.url(item, "/stream"), headers={"Range": f"bytes={offset}-"}
        )
        assert response.status_code == 206
    assert custody_count(item.id, "streamed") == 1


def test_a_client_that_never_asks_for_byte_zero_is_still_recorded(world, member_client, text_item):
    item, _ = text_item
    member_client.get(world.url(item, "/stream"), headers={"Range": "bytes=1-"})
    assert custody_count(item.id, "streamed") == 1


def test_each_user_is_recorded_separately(world, member_client, signed_in, text_item):
    item, _ = text_item
    colleague = UserFactory(role="lawyer")
    MembershipFactory(user=colleague, investigation=world.investigation)
    member_client.get(world.url(item, "/stream"))
    signed_in(colleague).get(world.url(item, "/stream"))
    assert custody_count(item.id, "streamed") == 2


def test_after_the_window_a_new_stream_is_recorded_again(app, world, member_client, text_item):
    item, _ = text_item
    app.config["CUSTOS_STREAM_CUSTODY_WINDOW_SECONDS"] = 0
    try:
        member_client.get(world.url(item, "/stream"), headers={"Range": "bytes=0-"})
        member_client.get(world.url(item, "/stream"), headers={"Range": "bytes=0-"})
    finally:
        app.config["CUSTOS_STREAM_CUSTODY_WINDOW_SECONDS"] = 600
    assert custody_count(item.id, "streamed") == 2


def test_head_requests_send_and_record_nothing(world, member_client, text_item):
    item, data = text_item
    response = member_client.head(world.url(item, "/stream"))
    assert response.status_code == 200
    assert response.headers["Content-Length"] == str(len(data))
    member_client.head(world.url(item, "/download"))
    assert custody_count(item.id, "streamed") == 0
    assert custody_count(item.id, "downloaded") == 0


# --- Integrity: a damaged blob is never served as plaintext -----------------------------------


def flip_byte(item: EvidenceItem, offset_from_end: int) -> None:
    path = blob_store().path_for(item.blob_key)
    data = bytearray(path.read_bytes())
    data[len(data) - offset_from_end] ^= 0x01
    path.write_bytes(bytes(data))


def test_blob_damaged_at_its_end_is_refused_before_any_byte(world, member_client, text_item):
    item, _ = text_item
    flip_byte(item, 10)  # inside the final chunk, which is authenticated at open
    response = member_client.get(world.url(item, "/stream"))
    assert response.status_code == 500
    assert "integrity check" in response.get_data(as_text=True)
    assert custody_count(item.id, "streamed") == 0
    assert member_client.get(world.url(item, "/download")).status_code == 500


def test_blob_damaged_mid_file_stops_the_stream_at_the_damaged_chunk(world, text_item):
    item, data = text_item
    flip_byte(item, 2 * (CHUNK_SIZE + 16))  # inside chunk 1 of 4
    read = stream_item(viewer_of(world.investigation, world.member), item.id, None)
    released = bytearray()
    with pytest.raises(AgeError):
        for block in read.body():
            released += block
    assert bytes(released) == data[: len(released)]  # only authenticated chunks came out
    assert len(released) < 2 * CHUNK_SIZE


def test_video_streams_with_its_detected_type(world, member_client, tmp_path):
    item = add_evidence(world.investigation, world.member, make_mp4(tmp_path), "clip.mp4")
    response = member_client.get(world.url(item, "/stream"), headers={"Range": "bytes=0-1023"})
    assert response.status_code == 206
    assert response.headers["Content-Type"] == "video/mp4"
    assert response.headers["Content-Range"] == f"bytes 0-1023/{item.size}"


def test_range_reads_and_derivatives_from_the_s3_store(
    app, world, member_client, tmp_path, monkeypatch
):
    """The same reads against S3 (moto on loopback): ranged GETs, not whole-object fetches."""
    with isolated_vault(app, tmp_path, monkeypatch, backend="s3"):
        data = text_bytes(3 * CHUNK_SIZE + 777, seed=5)
        item = add_evidence(world.investigation, world.member, data, "s3-notes.txt")
        photo = add_evidence(world.investigation, world.member, jpeg_with_exif(), "s3.jpg")
        header = f"bytes={CHUNK_SIZE - 5}-{2 * CHUNK_SIZE + 5}"
        response = member_client.get(world.url(item, "/stream"), headers={"Range": header})
        assert response.status_code == 206
        assert response.data == data[CHUNK_SIZE - 5 : 2 * CHUNK_SIZE + 6]
        for derivative in photo.derivatives:
            reply = member_client.get(world.url(photo, f"/derivatives/{derivative.id}"))
            assert reply.status_code == 200 and len(reply.data) == derivative.size


def test_item_page_shows_its_custody_timeline_with_entry_hashes(world, member_client, photo_item):
    item, _ = photo_item
    page = member_client.get(world.url(item)).get_data(as_text=True)
    assert "custody-timeline" in page
    hashes = db.session.scalars(
        select(LedgerEntry.entry_hash).where(
            LedgerEntry.object_id == item.id, LedgerEntry.action == "received"
        )
    ).all()
    assert hashes and all(h in page for h in hashes)


def test_field_staff_never_see_another_field_workers_evidence(signed_in, world, text_item):
    item, _ = text_item
    other = UserFactory(role="field")
    MembershipFactory(user=other, investigation=world.investigation)
    client = signed_in(other)
    listing = client.get(f"/investigations/{world.investigation.reference}/evidence")
    assert listing.status_code == 200 and item.id not in listing.get_data(as_text=True)
    for suffix in ("", "/stream", "/download"):
        assert client.get(world.url(item) + suffix).status_code == 404
