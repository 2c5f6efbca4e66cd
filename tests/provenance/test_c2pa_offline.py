"""No C2PA check calls out: not for a remote manifest, not for an OCSP answer.

The SDK is native code with its own HTTP client, and it ignores settings keys it does not
know, so blocking Python's sockets alone would prove nothing. The files here point at a
listener on 127.0.0.1 (the remote manifest's URL, the signer certificate's OCSP responder);
the checks must leave it untouched, while the same files read with fetching allowed reach it,
which shows the listener would have seen a call.
"""

from __future__ import annotations

import io
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from sqlalchemy import select

from app.extensions import db
from app.provenance.c2pa_reading import read_manifest, sdk_settings
from app.provenance.models import ProvenanceCheck
from app.provenance.trust import TrustList
from tests.duplicates.support import Team, add_item, jpeg, scene
from tests.provenance.c2pa_vectors import MANIFEST, flip_image_byte, make_authority, signed_jpeg


class Listener:
    """A local HTTP server that answers 404 and remembers every path asked for."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        paths = self.paths

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                paths.append(self.path)
                self.send_response(404)
                self.end_headers()

            do_GET = do_POST = _answer

            def log_message(self, *args) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def listener():
    server = Listener()
    yield server
    server.close()


def remote_manifest_jpeg(authority, url: str) -> bytes:
    """A JPEG whose manifest is not embedded: only its URL is."""
    import c2pa

    info = c2pa.C2paSignerInfo(
        b"es256", authority.chain_pem.encode(), authority.key_pem.encode(), None
    )
    source, out = io.BytesIO(jpeg(scene(4))), io.BytesIO()
    with c2pa.Signer.from_info(info) as signer, c2pa.Builder(json.dumps(MANIFEST)) as builder:
        builder.set_no_embed()
        builder.set_remote_url(url)
        builder.sign(signer, "image/jpeg", source, out)
    return out.getvalue()


def read_allowing_fetches(data: bytes, trust: TrustList) -> None:
    import c2pa

    settings = sdk_settings(trust)
    settings["verify"].update(remote_manifest_fetch=True, ocsp_fetch=True)
    context = c2pa.Context(c2pa.Settings.from_dict(settings))
    try:
        with c2pa.Reader("image/jpeg", io.BytesIO(data), context=context) as reader:
            reader.get_validation_state()
    except c2pa.C2paError:
        pass  # the listener answered 404: what matters is that it was asked


def test_a_remote_manifest_is_not_fetched(listener):
    authority = make_authority()
    data = remote_manifest_jpeg(authority, f"{listener.url}/manifest.c2pa")
    trust = TrustList(authority.root_pem, None)
    outcome = read_manifest("image/jpeg", io.BytesIO(data), trust)
    assert outcome["verdict"] == "could_not_check" and "remote" in outcome["reason"].lower()
    assert listener.paths == []
    read_allowing_fetches(data, trust)
    assert listener.paths == ["/manifest.c2pa"]


def test_no_ocsp_responder_is_asked(listener):
    authority = make_authority(ocsp_url=f"{listener.url}/ocsp")
    data = signed_jpeg(authority)
    trust = TrustList(authority.root_pem, None)
    assert read_manifest("image/jpeg", io.BytesIO(data), trust)["verdict"] == "trusted"
    assert listener.paths == []
    read_allowing_fetches(data, trust)
    assert len(listener.paths) == 1  # the OCSP request (its path is the encoded request)


def test_checks_at_intake_run_with_sockets_blocked(app_ctx, app, tmp_path, monkeypatch, listener):
    """Every vector through intake and processing, with Python's sockets refusing to connect
    anywhere and the listener standing in for the native client."""
    authority = make_authority(ocsp_url=f"{listener.url}/ocsp")
    anchors = tmp_path / "anchors.pem"
    anchors.write_text(authority.root_pem)
    monkeypatch.setitem(app.config, "CUSTOS_C2PA_TRUST_ANCHORS", str(anchors))
    vectors = {
        "trusted": signed_jpeg(authority),
        "invalid": flip_image_byte(signed_jpeg(authority)),
        "valid_untrusted": signed_jpeg(make_authority("Unknown Root")),
        "none": jpeg(scene(6)),
        "could_not_check": remote_manifest_jpeg(authority, f"{listener.url}/m.c2pa"),
    }
    team = Team()

    def refuse(self, address):
        raise OSError(f"test blocks connections: {address}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    verdicts = {}
    for expected, data in vectors.items():
        item = add_item(team.investigation, team.lawyer, data)
        verdicts[expected] = item.id
    monkeypatch.undo()
    for expected, item_id in verdicts.items():
        stmt = select(ProvenanceCheck.verdict).where(ProvenanceCheck.evidence_id == item_id)
        assert db.session.scalar(stmt) == expected
    assert listener.paths == []
