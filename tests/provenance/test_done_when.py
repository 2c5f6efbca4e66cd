"""Issue 19's "Done when", walked in one test with sockets blocked: every generated vector (C2PA
and ProofMode, bad input too) gets its verdict on the item page and in the API; a recompressed
and resized copy of a photo, its mirror image and a re-encoded clip are suggested as
near-duplicates, an unrelated image and clip are not; and a member of another investigation
never sees the match.

Python's sockets refuse every connection and name lookup while items are received, processed
and viewed. The C2PA SDK and gpg are native code that Python's sockets do not cover: the
signer's certificate names an OCSP responder on a local listener, which must hear nothing
(tests/provenance/test_c2pa_offline.py shows it would), and gpg runs in a home of its own
with no keyserver. Runs on SQLite and on PostgreSQL (whose driver, libpq, is native too).
"""

from __future__ import annotations

import socket

import pytest
from markupsafe import escape

from app.extensions import db
from app.provenance.views import verdict_label
from tests.api.helpers import ApiClient, issue_token
from tests.duplicates.support import (
    Team,
    add_item,
    jpeg,
    mirrored,
    png,
    recompressed_and_resized,
    scene,
)
from tests.duplicates.test_near import clip
from tests.helpers.factories import InvestigationFactory, MembershipFactory, UserFactory
from tests.helpers.web import csrf_token, sign_in
from tests.provenance.c2pa_vectors import flip_image_byte, make_authority, signed_jpeg
from tests.provenance.proofmode_vectors import bundle
from tests.provenance.test_c2pa_offline import Listener


def _zip_bomb() -> bytes:
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("IMG_9.jpg", b"\x00" * (64 * 1024 * 1024))
    return out.getvalue()


def _unknown_layout() -> bytes:
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("holiday.jpg", jpeg(scene(50)))
    return out.getvalue()


def block_sockets(monkeypatch) -> None:
    def refuse(*args, **kwargs):
        raise OSError(f"test blocks the network: {args[1:]!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


class Viewer:
    """One member, signed in on a client of their own, looking at items of an investigation:
    the item page and the API's evidence resource."""

    def __init__(self, client, user, reference: str) -> None:
        self.client, self.reference = client, reference
        self.api = ApiClient(client, issue_token(user))
        sign_in(client, user)

    def url(self, item, suffix: str = "") -> str:
        return f"/investigations/{self.reference}/evidence/{item.id}{suffix}"

    def page(self, item) -> tuple[int, str]:
        response = self.client.get(self.url(item))
        return response.status_code, response.get_data(as_text=True)

    def resource(self, item) -> tuple[int, dict | None]:
        response = self.api.get(self.url(item))
        return response.status_code, response.get_json()


def test_what_a_file_says_about_itself_done_when(
    client, app, app_ctx, tmp_path, phone, other_phone
):
    listener = Listener()
    monkeypatch = pytest.MonkeyPatch()
    try:
        _walk(client, app, tmp_path, phone, other_phone, listener, monkeypatch)
    finally:
        monkeypatch.undo()
        listener.close()


def _walk(client, app, tmp_path, phone, other_phone, listener, monkeypatch):
    # --- Vectors, made before the network goes. -------------------------------------------
    authority = make_authority(ocsp_url=f"{listener.url}/ocsp")
    anchors = tmp_path / "anchors.pem"
    anchors.write_text(authority.root_pem)
    monkeypatch.setitem(app.config, "CUSTOS_C2PA_TRUST_ANCHORS", str(anchors))
    trusted = signed_jpeg(authority, seed=60)
    c2pa_vectors = {
        "trusted": trusted,
        "valid_untrusted": signed_jpeg(make_authority("Unknown Root"), seed=61),
        "invalid": flip_image_byte(signed_jpeg(authority, seed=62)),
        "none": jpeg(scene(63)),
        "could_not_check": trusted[:3000],
    }
    good = bundle(phone)
    proofmode_vectors = {
        "good": ("valid_untrusted", good),
        "media tampered": ("invalid", bundle(phone, tamper_media=True)),
        "json tampered": ("invalid", bundle(phone, tamper_json=True)),
        "another key": ("invalid", bundle(phone, sign_with=other_phone)),
        "truncated": ("could_not_check", good[: len(good) // 2]),
        "zip bomb": ("could_not_check", _zip_bomb()),
        "media missing": ("could_not_check", bundle(phone, leave_out=(".jpg",))),
        "unknown layout": ("could_not_check", _unknown_layout()),
    }
    pinned_key_bundle, other_key_bundle = bundle(phone), bundle(other_phone)
    photos = {
        "original": png(scene(41)),
        "recompressed and resized": recompressed_and_resized(scene(41)),
        "mirrored": mirrored(scene(41)),
        "unrelated": jpeg(scene(42)),
    }
    clips = {
        "original": clip(tmp_path, "a", "testsrc2"),
        "re-encoded": clip(tmp_path, "b", "testsrc2", size="480x360", crf=38),
        "unrelated": clip(tmp_path, "c", "mandelbrot"),
    }
    team = Team()
    other = InvestigationFactory()
    outsider = UserFactory(role="lawyer")
    MembershipFactory(user=outsider, investigation=other, may_see_identities=True)
    db.session.commit()

    block_sockets(monkeypatch)
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", 9))

    # --- Every vector gets its verdict, on the item page and in the API. --------------------
    lawyer = Viewer(client, team.lawyer, team.ref)
    for verdict, data in c2pa_vectors.items():
        item = add_item(team.investigation, team.lawyer, data, f"{verdict}.jpg")
        _assert_verdict(lawyer, item, "c2pa", verdict)
    first = None
    for name, (verdict, data) in proofmode_vectors.items():
        item = add_item(team.investigation, team.field_a, data, "proof.zip")
        _assert_verdict(lawyer, item, "proofmode", verdict, name)
        first = first or item
    token = csrf_token(client, team.item_url(first))
    pinned = client.post(team.item_url(first, "/proofmode-key"), data={"csrf_token": token})
    assert pinned.status_code == 302
    item = add_item(team.investigation, team.field_a, pinned_key_bundle, "proof.zip")
    _assert_verdict(lawyer, item, "proofmode", "trusted", "pinned key")
    item = add_item(team.investigation, team.field_a, other_key_bundle, "proof.zip")
    _assert_verdict(lawyer, item, "proofmode", "valid_untrusted", "other key")
    assert lawyer.resource(item)[1]["provenance_checks"][0]["key"] == "other_key"

    # --- Near-duplicates: copies suggested, unrelated not. ----------------------------------
    shot = {n: add_item(team.investigation, team.lawyer, d, "photo.jpg") for n, d in photos.items()}
    film = {n: add_item(team.investigation, team.lawyer, d, "clip.mp4") for n, d in clips.items()}
    for items, copies in (
        (shot, ("recompressed and resized", "mirrored")),
        (film, ("re-encoded",)),
    ):
        original = items["original"]
        for name in copies:
            _assert_suggested(lawyer, items[name], original, name)
        _assert_no_duplicates(lawyer, items["unrelated"])

    # --- Another investigation's member never sees the match. -------------------------------
    theirs = add_item(other, outsider, recompressed_and_resized(scene(41)), "copy.jpg")
    stranger = Viewer(app.test_client(), outsider, other.reference)
    for item in (shot["original"], shot["mirrored"], film["original"]):
        assert stranger.client.get(team.item_url(item)).status_code == 404
        assert stranger.api.get(lawyer.url(item)).status_code == 404
    status, page = stranger.page(theirs)
    assert status == 200 and "No duplicates among the items you can see." in page
    assert shot["original"].id not in page and shot["original"].sha256 not in page
    status, body = stranger.resource(theirs)
    assert status == 200 and body["duplicates"] == []
    assert body["near_duplicate_search"]["status"] == "hashed"
    seen = lawyer.resource(shot["original"])[1]["duplicates"]
    assert theirs.id not in {d["evidence_id"] for d in seen}

    assert listener.paths == []  # no OCSP request from the native SDK either


def _assert_verdict(viewer: Viewer, item, kind: str, verdict: str, name: str = "") -> None:
    what = f"{kind} {name or verdict}"
    status, page = viewer.page(item)
    assert status == 200, what
    assert str(escape(verdict_label(verdict, kind))) in page, what
    status, body = viewer.resource(item)
    assert status == 200, what
    (check, *_) = body["provenance_checks"]
    assert (check["kind"], check["verdict"]) == (kind, verdict), what


def _assert_suggested(viewer: Viewer, copy, original, name: str) -> None:
    status, body = viewer.resource(copy)
    near = {d["evidence_id"]: d for d in body["duplicates"] if d["kind"] == "near"}
    assert original.id in near, name
    assert near[original.id]["status"] == "suggested", name
    status, page = viewer.page(copy)
    assert "near-duplicate, Hamming distance" in page and original.id in page, name


def _assert_no_duplicates(viewer: Viewer, item) -> None:
    status, body = viewer.resource(item)
    assert body["duplicates"] == [] and body["near_duplicate_search"]["status"] == "hashed"
    status, page = viewer.page(item)
    assert "No duplicates among the items you can see." in page
