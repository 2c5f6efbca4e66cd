"""Helpers for the vault's intake, storage, rotation and gc tests: isolated key and blob folders,
a moto S3 server on loopback, real samples of every allowed type, the real `age` binary."""

from __future__ import annotations

import atexit
import contextlib
import io
import os
import secrets
import shutil
import struct
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from PIL import Image

from app.security import org_keys
from app.vault.storage import blob_store
from tests.helpers.media import jpeg_with_exif, make_audio, png_bytes, require_tool

AGE_LINE = b"age-encryption.org/v1\n"
_MOTO: dict[str, object] = {}


# --- An isolated vault: fresh keys and blob folder for one test ------------------------------


@contextlib.contextmanager
def isolated_vault(
    app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, backend: str = "local"
) -> Iterator[Path]:
    """Point the session app at new key and blob folders (or a fresh S3 prefix) for one test."""
    keys = tmp_path / "keys"
    monkeypatch.setitem(app.config, "CUSTOS_KEYS_DIR", keys)
    monkeypatch.setitem(app.config, "BLOB_DIR", tmp_path / "blobs")
    if backend == "s3":
        endpoint = moto_endpoint()
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        monkeypatch.setitem(app.config, "CUSTOS_BLOB_BACKEND", "s3")
        monkeypatch.setitem(app.config, "CUSTOS_S3_ENDPOINT_URL", endpoint)
        monkeypatch.setitem(app.config, "CUSTOS_S3_BUCKET", "custos-evidence")
        monkeypatch.setitem(app.config, "CUSTOS_S3_PREFIX", f"t{secrets.token_hex(4)}/")
    app.extensions.pop("custos.blob_store", None)
    app.extensions.pop("custos.org_keys_cache", None)
    with app.app_context():
        org_keys.init_keys(keys, org_keys.master_key())
        if backend == "s3":
            _ensure_bucket(blob_store())
    try:
        yield keys
    finally:
        app.extensions.pop("custos.blob_store", None)
        app.extensions.pop("custos.org_keys_cache", None)


def pin_current_recipient(app: Flask, monkeypatch: pytest.MonkeyPatch) -> str:
    """Pin the reading node's current recipient, as an operator does on an intake node."""
    from app.security.recipient_pin import fingerprint

    with app.app_context():
        pin = fingerprint(org_keys.org_recipients()[0])
    monkeypatch.setitem(app.config, "CUSTOS_ORG_RECIPIENT_FINGERPRINT", pin)
    return pin


def listed_node_signer(app: Flask, node_keys: Path, name: str = "field-node") -> str:
    """Give an intake node's key folder its own checkpoint key (sealed under the session
    app's master key, which the tests' nodes share) and list it as a trusted signer."""
    from app.custody.signers import add_signer

    with app.app_context():
        signer = org_keys.init_node_signer(node_keys, org_keys.master_key(), name)
        add_signer(name, signer.public_key_string(), "system:tests")
    return signer.key_id_hex()


def _ensure_bucket(store) -> None:
    from botocore.exceptions import ClientError

    try:
        store.client.create_bucket(Bucket=store.bucket)
    except ClientError as exc:
        if "BucketAlreadyOwnedByYou" not in str(exc):
            raise


def moto_endpoint() -> str:
    """One moto S3 server on 127.0.0.1 per test process, stopped at exit."""
    if "endpoint" not in _MOTO:
        from moto.server import ThreadedMotoServer

        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        _MOTO["server"] = server
        _MOTO["endpoint"] = f"http://{host}:{port}"
        atexit.register(server.stop)
    return str(_MOTO["endpoint"])


# --- Looking at what is stored ---------------------------------------------------------------


def stored_files(root: Path) -> list[Path]:
    """Every file under a local blob folder, committed or temporary."""
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def raw_blob(key: str) -> bytes:
    source = blob_store().open(key)
    try:
        return source.read_at(0, source.size)
    finally:
        getattr(source, "close", lambda: None)()


def decrypt_with_age_cli(ciphertext: bytes, identities: list, tmp_path: Path) -> bytes:
    """Plaintext from the real `age -d -i` (the reference implementation)."""
    age = require_tool("age")
    identity_file = tmp_path / f"identity-{secrets.token_hex(4)}.txt"
    identity_file.write_text("".join(f"{identity}\n" for identity in identities))
    os.chmod(identity_file, 0o600)
    result = subprocess.run(
        [age, "-d", "-i", str(identity_file)], input=ciphertext, capture_output=True, timeout=60
    )
    identity_file.unlink()
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout


# --- multipart bodies built by hand (exact header bytes) -------------------------------------


def multipart_body(
    csrf: str | None, files: list[tuple[str, bytes]], disposition_name: str = "files", **fields
) -> tuple[bytes, str]:
    """A multipart/form-data body with the token first; filenames go in verbatim (quoted)."""
    boundary = "----custos" + secrets.token_hex(8)
    out = bytearray()

    def part(headers: str, data: bytes) -> None:
        out.extend(f"--{boundary}\r\n{headers}\r\n\r\n".encode("utf-8", "surrogateescape"))
        out.extend(data + b"\r\n")

    if csrf is not None:
        part('Content-Disposition: form-data; name="csrf_token"', csrf.encode())
    for name, value in fields.items():
        part(f'Content-Disposition: form-data; name="{name}"', value.encode())
    for filename, data in files:
        part(
            f'Content-Disposition: form-data; name="{disposition_name}"; {filename}\r\n'
            "Content-Type: application/octet-stream",
            data,
        )
    out.extend(f"--{boundary}--\r\n".encode())
    return bytes(out), f"multipart/form-data; boundary={boundary}"


def quoted(filename: str) -> str:
    return f'filename="{filename}"'


def rfc5987(filename_bytes: bytes) -> str:
    """filename*=UTF-8''... : how a name with any byte (NUL, newline) can reach the server."""
    from urllib.parse import quote_from_bytes

    return f"filename*=UTF-8''{quote_from_bytes(filename_bytes, safe='')}"


# --- Samples of every allowed type -----------------------------------------------------------


def _ffmpeg(tmp_path: Path, name: str, *args: str) -> bytes:
    ffmpeg = require_tool("ffmpeg")
    out = tmp_path / name
    subprocess.run(
        [ffmpeg, "-v", "error", "-y", *args, str(out)], check=True, capture_output=True, timeout=120
    )
    return out.read_bytes()


_VIDEO = ("-f", "lavfi", "-i", "testsrc=duration=1:size=128x96:rate=10", "-pix_fmt", "yuv420p")


def amr_nb(frames: int = 50) -> bytes:
    """An AMR-NB file (RFC 4867 section 5 storage format): magic, then 12.2 kbit/s frames.

    Debian's ffmpeg has no AMR encoder (libopencore-amrnb is not built in), so the file is
    assembled from valid frames; `ffprobe` decodes it, which the test checks.
    """
    header = bytes([(7 << 3) | 0x04])  # frame type 7 (12.2 kbit/s), quality bit set
    return b"#!AMR\n" + (header + bytes(31)) * frames


def minimal_pdf() -> bytes:
    return pdf_from_objects(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
        ]
    )


def pdf_from_objects(objects: list[bytes], version: bytes = b"1.4") -> bytes:
    """A well-formed PDF of these numbered objects (1 is the catalog), with a correct xref."""
    out = bytearray(b"%PDF-" + version + b"\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def webp_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (96, 64), (20, 90, 160)).save(out, "WEBP")
    return out.getvalue()


def heic_bytes() -> bytes:
    """A real HEIC (HEVC-coded HEIF) made with pillow-heif (a test dependency)."""
    import pillow_heif

    pillow_heif.register_heif_opener()
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 10, 10)).save(out, format="HEIF")
    return out.getvalue()


def text_bytes(size: int) -> bytes:
    line = "Witness statement, translated: shelling near the market at 09:40. شهادة\n".encode()
    return (line * (size // len(line) + 1))[:size]


def sample(kind: str, tmp_path: Path) -> bytes:
    """A real file of one allowed kind."""
    makers = {
        "jpeg": jpeg_with_exif,
        "png": lambda: png_bytes((120, 80), "RGB"),
        "webp": webp_bytes,
        "heic": heic_bytes,
        "mp4": lambda: _ffmpeg(tmp_path, "a.mp4", *_VIDEO),
        "mov": lambda: _ffmpeg(tmp_path, "a.mov", *_VIDEO),
        "webm": lambda: _ffmpeg(tmp_path, "a.webm", *_VIDEO, "-c:v", "libvpx"),
        "mkv": lambda: _ffmpeg(tmp_path, "a.mkv", *_VIDEO),
        "mp3": lambda: make_audio(tmp_path, "mp3"),
        "m4a": lambda: make_audio(tmp_path, "m4a"),
        "ogg": lambda: make_audio(tmp_path, "ogg"),
        "wav": lambda: make_audio(tmp_path, "wav"),
        "amr": amr_nb,
        "pdf": minimal_pdf,
        "txt": lambda: text_bytes(5000),
    }
    return makers[kind]()


# (sample kind, file name, stored media type, evidence kind)
ALLOWED_SAMPLES = [
    ("jpeg", "market.jpg", "image/jpeg", "photo"),
    ("png", "screen.png", "image/png", "photo"),
    ("webp", "photo.webp", "image/webp", "photo"),
    ("heic", "IMG_0001.HEIC", "image/heic", "photo"),
    ("mp4", "clip.mp4", "video/mp4", "video"),
    ("mov", "clip.mov", "video/quicktime", "video"),
    ("webm", "clip.webm", "video/webm", "video"),
    ("mkv", "clip.mkv", "video/x-matroska", "video"),
    ("mp3", "call.mp3", "audio/mpeg", "audio"),
    ("m4a", "voice.m4a", "audio/mp4", "audio"),
    ("ogg", "voice.ogg", "audio/ogg", "audio"),
    ("wav", "voice.wav", "audio/wav", "audio"),
    ("amr", "voice.amr", "audio/amr", "audio"),
    ("pdf", "report.pdf", "application/pdf", "document"),
    ("txt", "notes.txt", "text/plain", "document"),
]


def copy_public_keys(keys: Path, destination: Path) -> Path:
    """An intake-only node's key folder: the two public files and nothing else."""
    destination.mkdir(parents=True)
    for name in org_keys.PUBLIC_FILES:
        shutil.copy2(keys / name, destination / name)
    return destination


def png_header_only(width: int, height: int) -> bytes:
    """Just a PNG signature and IHDR declaring width x height (for header-level checks)."""
    import zlib

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = struct.pack(">I", len(ihdr)) + b"IHDR" + ihdr
    return b"\x89PNG\r\n\x1a\n" + chunk + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
