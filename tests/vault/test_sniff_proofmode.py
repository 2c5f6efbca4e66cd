"""How intake recognises a ProofMode bundle from its first 64 KiB: proof files by name, media
by content whatever its name, and never more inflated than those 64 KiB."""

from __future__ import annotations

import io
import zipfile

import pytest

from app.vault.upload.refusals import IntakeRefused
from app.vault.upload.sniff import PROOFMODE, SNIFF_BYTES, _zip_entries, detect_type
from tests.duplicates.support import jpeg, scene

pytestmark = pytest.mark.nodb

SHA = "ab" * 32
SIGNATURE = b"-----BEGIN PGP SIGNATURE-----\n\niHUEABYKAB0WIQ==\n-----END PGP SIGNATURE-----\n"


def zipped(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def prefix(data: bytes) -> bytes:
    return data[:SNIFF_BYTES]


@pytest.mark.parametrize("method", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
def test_media_named_without_an_extension_is_known_by_its_content(method):
    data = zipped({"IMG_1": jpeg(scene(2)), f"{SHA}.proof.json": b"{}"}, method)
    assert detect_type(prefix(data)).media_type == PROOFMODE


def test_a_signature_named_after_such_media_is_known_by_its_armor():
    data = zipped({"IMG_1": jpeg(scene(2)), "IMG_1.asc": SIGNATURE})
    assert detect_type(prefix(data)).media_type == PROOFMODE


@pytest.mark.parametrize(
    "members",
    [
        {"IMG_1": b"#!/bin/sh\nrm -rf /\n" * 100},
        {"IMG_1.asc": b"<html>not a signature</html>"},
        {"IMG_1": jpeg(scene(2)), "notes": b"plain words about the capture " * 50},
    ],
)
def test_anything_else_keeps_the_zip_refused(members):
    with pytest.raises(IntakeRefused):
        detect_type(prefix(zipped(members)))


def test_a_member_is_never_inflated_past_the_sniffed_bytes():
    bomb = zipped({"IMG_1": b"\x00" * (64 * 1024 * 1024)})
    (entry,) = _zip_entries(prefix(bomb))
    assert len(entry.head()) == SNIFF_BYTES
    with pytest.raises(IntakeRefused):
        detect_type(prefix(bomb))


def test_a_prefix_showing_more_members_than_a_bundle_holds_is_refused():
    members = {f"IMG_{n}.jpg": b"\xff\xd8\xff\xe0" for n in range(65)}
    with pytest.raises(IntakeRefused):
        detect_type(prefix(zipped(members)))
