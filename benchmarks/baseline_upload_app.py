"""The baseline for bench_vault: the plain Flask upload a user would otherwise deploy.

`request.files["file"].save(...)`: Werkzeug spools the multipart file to a temporary file
while parsing the form, then FileStorage.save copies it to its destination. No hashing, no
encryption, no database. Served by gunicorn exactly like Custos in the same benchmark run.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask, request

app = Flask(__name__)
app.config["MAX_CONTENT_LENGTH"] = None
UPLOAD_DIR = Path(os.environ.get("BENCH_BASELINE_UPLOAD_DIR", "/tmp/bench-baseline-uploads"))


@app.post("/upload")
def upload():
    UPLOAD_DIR.mkdir(parents=True, exist_ok=True)
    stored = request.files["file"]
    stored.save(UPLOAD_DIR / secrets.token_hex(8))
    return "stored\n"


@app.post("/discard")
def discard():
    """The loopback bound (bench_vault): read the request body in 1 MiB blocks and keep nothing."""
    stream = request.stream
    while stream.read(1024 * 1024):
        pass
    return "discarded\n"
