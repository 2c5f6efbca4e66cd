"""An OpenRosa submission with one large video against Custos's own multipart intake (issue 22).

Over loopback to one gunicorn sync worker (benchmarks/bench_vault.py's harness), in the same
run: upload SIZE through the web form's multipart intake, then send the same bytes as the
video of an interview submission the way ODK Collect does (HEAD pre-flight, then one
multipart POST with `xml_submission_file` first). Budgets: the OpenRosa throughput at least
0.9x the multipart intake's, and the worker's peak RSS within the 120 MB intake budget.

    python -m benchmarks.bench_openrosa [--sizes 200]     (MiB; env BENCH_OPENROSA_SIZES_MIB)
"""

from __future__ import annotations

import argparse
import base64
import os
import secrets
import shutil
import sys
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from benchmarks.bench_vault import (
    BUDGET_RSS_MB,
    EMAIL,
    MIB,
    PASSWORD,
    Client,
    Gunicorn,
    Upload,
    file_chunks,
    make_source,
    prepare_instance,
    upload_multipart,
)
from benchmarks.budgets import record

DEFAULT_SIZES_MIB = "200"
BUDGET_MULTIPART_RATIO = 0.9


@dataclass(frozen=True)
class Phone:
    username: str
    password: str
    incident_id: str
    witness_id: str


def add_phone(instance: Path, env: dict[str, str]) -> Phone:
    """An incident, a witness and a device of the bench's field user, in the instance."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        return _add_phone()
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _add_phone() -> Phone:
    from datetime import date

    from sqlalchemy import select

    from app import create_app
    from app.auth.models import User
    from app.extensions import db
    from app.intake.services.consent import ConsentInput
    from app.intake.services.incidents import IncidentInput, create_incident
    from app.intake.services.taxonomy import sync_taxonomies
    from app.intake.services.witnesses import WitnessInput, register_witness
    from app.investigations.models import Investigation
    from app.openrosa.devices import issue_device

    app = create_app()
    with app.app_context():
        sync_taxonomies()
        user = db.session.scalar(select(User).where(User.email == EMAIL))
        investigation = db.session.scalar(select(Investigation))
        incident = create_incident(
            investigation,
            user,
            IncidentInput(
                time_certainty="day",
                start_date=date(2016, 4, 27),
                place_name="Bench",
                admin_area="Bench",
                latitude=36.2,
                longitude=37.1,
                precision_m=50,
                perpetrators=["Air force"],
                weapon_code="guided_bomb",
                target_codes=["medical_facility"],
                description="Benchmark incident.",
            ),
        )
        consent = {p: True for p in ("interview", "legal_proceedings", "un_sharing")}
        consent |= {"publication": True, "named": True}
        witness = register_witness(
            investigation,
            user,
            WitnessInput(risk_level="high"),
            ConsentInput(**consent, obtained_on=date(2016, 5, 2), language="Arabic"),
        )
        issued = issue_device(user, investigation.id, "Bench phone", None)
        db.session.commit()
        phone = Phone(issued.device.username, issued.password, incident.id, witness.id)
        db.engine.dispose()
        return phone


def submission_parts(phone: Phone) -> tuple[bytes, bytes, str]:
    boundary = "----odk-bench-" + secrets.token_hex(12)
    xml = (
        f'<data id="custos_interview" version="1"><incident>{phone.incident_id}</incident>'
        f"<shows>attack</shows><witness>{phone.witness_id}</witness>"
        "<conducted_on>2026-12-01</conducted_on><mode>in_person</mode>"
        "<first_hand>yes</first_hand><video>video.mp4</video>"
        f"<meta><instanceID>uuid:{uuid.uuid4()}</instanceID></meta></data>"
    )
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="xml_submission_file"; '
        f'filename="submission.xml"\r\nContent-Type: text/xml\r\n\r\n{xml}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="video.mp4"; '
        'filename="video.mp4"\r\nContent-Type: video/mp4\r\n\r\n'
    )
    tail = f"\r\n--{boundary}--\r\n"
    return head.encode(), tail.encode(), f"multipart/form-data; boundary={boundary}"


def upload_openrosa(server: Gunicorn, phone: Phone, ref: str, source: Path, size: int) -> Upload:
    credentials = base64.b64encode(f"{phone.username}:{phone.password}".encode()).decode()
    headers = {"X-OpenRosa-Version": "1.0", "Authorization": f"Basic {credentials}"}
    client = Client(server.port)
    # As a phone does: the form list first (days earlier, or just before), then HEAD and POST.
    if client.request("GET", f"/openrosa/{ref}/formList", headers=headers).status != 200:
        raise RuntimeError("the OpenRosa form list did not answer 200")
    path = f"/openrosa/{ref}/submission"
    if client.request("HEAD", path, headers=headers).status != 204:
        raise RuntimeError("the OpenRosa pre-flight did not answer 204")
    head, tail, content_type = submission_parts(phone)
    idle = server.reset_peak_rss()
    reply = client.request(
        "POST",
        path,
        body=file_chunks(source, head, tail),
        headers={
            **headers,
            "Content-Type": content_type,
            "Content-Length": str(len(head) + size + len(tail)),
        },
    )
    if reply.status != 201:
        raise RuntimeError(f"the OpenRosa submission answered {reply.status}: {reply.body!r}")
    return Upload(
        "OpenRosa submission (HEAD, POST)", size, reply.seconds, server.peak_rss_bytes(), idle
    )


def _odk_wrap(public_key, data: bytes) -> str:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    oaep = padding.OAEP(
        mgf=padding.MGF1(algorithm=hashes.SHA1()),  # noqa: S303  (ODK Collect's MGF1)
        algorithm=hashes.SHA256(),
        label=None,
    )
    return base64.b64encode(public_key.encrypt(data, oaep)).decode()


def _odk_encryptor(key: bytes, iv: bytes):
    from cryptography.hazmat.decrepit.ciphers.modes import CFB
    from cryptography.hazmat.primitives import padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms

    return padding.PKCS7(128).padder(), Cipher(algorithms.AES(key), CFB(iv)).encryptor()


def encrypted_body(phone: Phone, form: bytes, source: Path, size: int):
    """(body chunks, length, content type) of the submission as ODK Collect encrypts it
    (ODK XForms "Encryption"; docs/openrosa.md): the video streamed through AES-CFB."""
    import hashlib

    from cryptography.hazmat.primitives.serialization import load_der_public_key

    marker = b'base64RsaPublicKey="'
    start = form.index(marker) + len(marker)
    public_key = load_der_public_key(base64.b64decode(form[start : form.index(b'"', start)]))
    version = form.split(b'version="', 1)[1].split(b'"', 1)[0].decode()
    key, instance_id = secrets.token_bytes(32), f"uuid:{uuid.uuid4()}"
    xml = submission_parts(phone)[0].split(b"\r\n\r\n", 1)[1].split(b"\r\n--", 1)[0]
    xml = xml.replace(b'version="1"', f'version="{version}"'.encode())
    xml = (
        xml.split(b"<meta>")[0]
        + f"<meta><instanceID>{instance_id}</instanceID></meta></data>".encode()
    )
    seed = bytearray(hashlib.md5(instance_id.encode() + key, usedforsecurity=False).digest())
    ivs = []
    for counter in range(2):
        seed[counter] = (seed[counter] + 1) % 256
        ivs.append(bytes(seed))
    video_md5 = hashlib.md5(usedforsecurity=False)  # ODK's format
    for block in file_chunks(source):
        video_md5.update(block)
    padder, encryptor = _odk_encryptor(key, ivs[1])
    xml_enc = encryptor.update(padder.update(xml) + padder.finalize()) + encryptor.finalize()
    wrapped = _odk_wrap(public_key, key)
    lines = ["custos_interview", version, wrapped, instance_id]
    lines += [
        f"video.mp4::{video_md5.hexdigest()}",
        f"submission.xml::{hashlib.md5(xml, usedforsecurity=False).hexdigest()}",
    ]
    text = ("\n".join(lines) + "\n").encode()
    signed = _odk_wrap(public_key, hashlib.md5(text, usedforsecurity=False).digest())
    manifest = (
        f'<data xmlns="http://opendatakit.org/submissions" encrypted="yes" '
        f'id="custos_interview" version="{version}"><base64EncryptedKey>{wrapped}'
        f"</base64EncryptedKey><meta><instanceID>{instance_id}</instanceID></meta>"
        "<media><file>video.mp4.enc</file></media>"
        "<encryptedXmlFile>submission.xml.enc</encryptedXmlFile>"
        f"<base64EncryptedElementSignature>{signed}</base64EncryptedElementSignature></data>"
    )
    boundary = "----odk-bench-" + secrets.token_hex(12)
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="xml_submission_file"; '
        f'filename="submission.xml"\r\nContent-Type: text/xml\r\n\r\n{manifest}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="video.mp4.enc"; '
        'filename="video.mp4.enc"\r\nContent-Type: application/octet-stream\r\n\r\n'
    ).encode()
    tail = (
        (
            f'\r\n--{boundary}\r\nContent-Disposition: form-data; name="submission.xml.enc"; '
            'filename="submission.xml.enc"\r\nContent-Type: application/octet-stream\r\n\r\n'
        ).encode()
        + xml_enc
        + f"\r\n--{boundary}--\r\n".encode()
    )

    def chunks():
        padder, encryptor = _odk_encryptor(key, ivs[0])
        yield head
        for block in file_chunks(source):
            yield encryptor.update(padder.update(block))
        yield encryptor.update(padder.finalize()) + encryptor.finalize()
        yield tail

    length = len(head) + (size // 16 + 1) * 16 + len(tail)
    return chunks(), length, f"multipart/form-data; boundary={boundary}"


def upload_openrosa_encrypted(
    server: Gunicorn, phone: Phone, ref: str, source: Path, size: int
) -> Upload:
    """The same video from a phone holding the encrypted form (the form list, the form, HEAD,
    POST); the server decrypts it as it streams into the vault."""
    credentials = base64.b64encode(f"{phone.username}:{phone.password}".encode()).decode()
    headers = {"X-OpenRosa-Version": "1.0", "Authorization": f"Basic {credentials}"}
    client = Client(server.port)
    form = client.request("GET", f"/openrosa/{ref}/forms/custos_interview", headers=headers)
    if form.status != 200 or b"base64RsaPublicKey" not in form.body:
        raise RuntimeError("the interview form did not come encrypted")
    body, length, content_type = encrypted_body(phone, form.body, source, size)
    path = f"/openrosa/{ref}/submission"
    if client.request("HEAD", path, headers=headers).status != 204:
        raise RuntimeError("the OpenRosa pre-flight did not answer 204")
    idle = server.reset_peak_rss()
    reply = client.request(
        "POST",
        path,
        body=body,
        headers={**headers, "Content-Type": content_type, "Content-Length": str(length)},
    )
    if reply.status != 201:
        raise RuntimeError(f"the encrypted submission answered {reply.status}: {reply.body!r}")
    return Upload(
        "OpenRosa submission, encrypted", size, reply.seconds, server.peak_rss_bytes(), idle
    )


def run_size(size: int, work: Path) -> list[Upload]:
    source = work / f"source-{size}.bin"
    make_source(source, size)
    instance = work / f"instance-{size}"
    env, ref = prepare_instance(instance)
    phone = add_phone(instance, env)
    custos = Gunicorn("wsgi:app", env, work / "custos.log")
    try:
        client = Client(custos.port)
        client.sign_in(EMAIL, PASSWORD)
        return [
            upload_multipart(custos, client, ref, source, size),
            upload_openrosa(custos, phone, ref, source, size),
            upload_openrosa_encrypted(custos, phone, ref, source, size),
        ]
    finally:
        custos.stop()
        source.unlink(missing_ok=True)
        shutil.rmtree(instance, ignore_errors=True)


def print_report(results: list[list[Upload]]) -> bool:
    title = "upload (loopback, gunicorn 1 sync worker)"
    print(f"{title:<42} {'size':>9} {'s':>7} {'MiB/s':>8} {'idle RSS MB':>12} {'peak RSS MB':>12}")
    ok = True
    for uploads in results:
        for u in uploads:
            figures = f"{u.seconds:>7.2f} {u.mib_per_s:>8.1f} {u.idle_rss / 1e6:>12.1f}"
            print(f"{u.name:<42} {u.size // MIB:>5} MiB {figures} {u.peak_rss / 1e6:>12.1f}")
        multipart, openrosa, encrypted = uploads
        size = f"{openrosa.size // MIB} MiB"
        checks = [
            (
                f"OpenRosa >= {BUDGET_MULTIPART_RATIO}x multipart intake",
                f"{openrosa.mib_per_s / multipart.mib_per_s:.2f}x",
                openrosa.mib_per_s >= BUDGET_MULTIPART_RATIO * multipart.mib_per_s,
            ),
            (
                f"OpenRosa peak RSS <= {BUDGET_RSS_MB} MB",
                f"{openrosa.peak_rss / 1e6:.1f} MB",
                openrosa.peak_rss <= BUDGET_RSS_MB * 1e6,
            ),
            (
                f"encrypted peak RSS <= {BUDGET_RSS_MB} MB",
                f"{encrypted.peak_rss / 1e6:.1f} MB",
                encrypted.peak_rss <= BUDGET_RSS_MB * 1e6,
            ),
        ]
        for name, figure, passed in checks:
            ok = record("openrosa", f"{size}: {name}", figure, passed) and ok
            print(f"budget at {size}: {name:<40} {figure:<12} {'within' if passed else 'OVER'}")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        default=os.environ.get("BENCH_OPENROSA_SIZES_MIB", DEFAULT_SIZES_MIB),
        help="comma-separated video sizes in MiB (default 200; env BENCH_OPENROSA_SIZES_MIB)",
    )
    args = parser.parse_args(argv)
    sizes = [int(s) * MIB for s in args.sizes.split(",") if s.strip()]
    work = Path(tempfile.mkdtemp(prefix="custos-bench-openrosa-"))
    try:
        results = [run_size(size, work) for size in sizes]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if print_report(results) else 1


if __name__ == "__main__":
    sys.exit(main())
