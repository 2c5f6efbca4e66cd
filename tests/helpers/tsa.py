"""A local RFC 3161 timestamp authority on 127.0.0.1: `openssl ts -reply` behind http.server.

The CA and the TSA certificate (extendedKeyUsage critical timeStamping) are made with
`cryptography`; each POSTed query is answered by the real `openssl ts -reply`. `mode`
makes it misbehave as real TSAs do: "garbage", "other_hash" (a token for another
message), "wrong_nonce" (a token for the same hash under another nonce).
"""

from __future__ import annotations

import datetime
import shutil
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

OPENSSL = shutil.which("openssl") or "openssl"

CONFIG = """\
[ tsa ]
default_tsa = tsa_config1

[ tsa_config1 ]
dir = {dir}
serial = $dir/serial
crypto_device = builtin
signer_digest = sha256
default_policy = 1.3.6.1.4.1.55555.1
digests = sha256, sha512
accuracy = secs:1
ordering = no
tsa_name = no
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_pki(directory: Path) -> None:
    """ca.pem, tsa.pem, tsa.key and tsa.cnf in ``directory``."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("Custos test TSA root"))
        .issuer_name(_name("Custos test TSA root"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    tsa_key = ec.generate_private_key(ec.SECP256R1())
    tsa = (
        x509.CertificateBuilder()
        .subject_name(_name("Custos test TSA"))
        .issuer_name(ca.subject)
        .public_key(tsa_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, False, False, False, False),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    (directory / "ca.pem").write_bytes(ca.public_bytes(pem))
    (directory / "tsa.pem").write_bytes(tsa.public_bytes(pem))
    (directory / "tsa.key").write_bytes(
        tsa_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    (directory / "serial").write_text("01\n")
    (directory / "tsa.cnf").write_text(CONFIG.format(dir=directory))


class LocalTSA:
    """Start with `with LocalTSA(tmp_path) as tsa:`; `tsa.url`, `tsa.ca`, `tsa.mode`."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.mode = "ok"
        self.requests = 0
        make_pki(directory)
        tsa = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                query = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                tsa.requests += 1
                body = tsa.answer(query)
                self.send_response(200)
                self.send_header("Content-Type", "application/timestamp-reply")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/tsa"

    @property
    def ca(self) -> Path:
        return self.directory / "ca.pem"

    def answer(self, query: bytes) -> bytes:
        if self.mode == "garbage":
            return b"this is not a timestamp response"
        work = self.directory / f"q{self.requests}"
        work.mkdir()
        (work / "req.tsq").write_bytes(query)
        if self.mode == "other_hash":
            (work / "other").write_bytes(b"some other message")
            self._openssl(
                "-query", "-data", work / "other", "-sha256", "-cert", "-out", work / "req.tsq"
            )
        elif self.mode == "wrong_nonce":
            digest = self._openssl("-query", "-in", work / "req.tsq", "-text", capture=True)
            hex_digest = _imprint_hex(digest)
            self._openssl(
                "-query", "-digest", hex_digest, "-sha256", "-cert", "-out", work / "req.tsq"
            )
        self._openssl(
            "-reply",
            "-config",
            self.directory / "tsa.cnf",
            "-queryfile",
            work / "req.tsq",
            "-inkey",
            self.directory / "tsa.key",
            "-signer",
            self.directory / "tsa.pem",
            "-out",
            work / "resp.tsr",
        )
        return (work / "resp.tsr").read_bytes()

    def _openssl(self, *args, capture: bool = False) -> str:
        result = subprocess.run(
            [OPENSSL, "ts", *map(str, args)], capture_output=True, text=True, check=True
        )
        return result.stdout if capture else ""

    def __enter__(self) -> LocalTSA:
        self.thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def _imprint_hex(text: str) -> str:
    """The message imprint of `openssl ts -query -text` output, as one hex string."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if "Message data:" in line)
    hex_bytes = []
    for line in lines[start + 1 :]:
        if " - " not in line:
            break
        part = line.split(" - ", 1)[1][:48]
        hex_bytes.extend(part.replace("-", " ").split())
    return "".join(hex_bytes)
