"""Packaging a written bag: bagit manifests (in a child process), the minisign signature over
the tag manifest, and the streamed tar encrypted with age for transfer."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import BinaryIO

from app.casefiles.services.errors import ExportError
from app.crypto.age import AgeWriter, Recipient

SIGNATURE_NAME = "tagmanifest-sha256.txt.minisig"

_MAKE_BAG_SCRIPT = """
import json, os, sys
import bagit
path = sys.argv[1]
info = json.loads(sys.stdin.read())
bagit.make_bag(path, info, processes=1, checksums=["sha256"])
# bagit.py writes version 0.97; RFC 8493 is BagIt 1.0 (same layout for what we write).
os.chdir(path)
with open("bagit.txt", "w", encoding="utf-8") as handle:
    handle.write("BagIt-Version: 1.0\\nTag-File-Character-Encoding: UTF-8\\n")
bagit._make_tagmanifest_file("sha256", path, encoding="utf-8")
bagit.Bag(path).validate(fast=True)
"""


def make_bag(work: Path, bag_info: dict[str, str]) -> None:
    # A child process: make_bag calls os.chdir, which is process-wide. bag-info travels on
    # stdin, not argv, so whom the export is for never shows in a process listing.
    run = subprocess.run(
        [sys.executable, "-c", _MAKE_BAG_SCRIPT, str(work)],
        input=json.dumps(bag_info).encode("utf-8"),
        capture_output=True,
        timeout=24 * 3600,
        check=False,
    )
    if run.returncode != 0:
        last = run.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
        raise ExportError(f"bagit could not write the bag: {last[0][:300]}")


def sign_tagmanifest(work: Path, reference: str) -> str:
    from app.security.org_keys import signing_key

    tagmanifest = (work / "tagmanifest-sha256.txt").read_bytes()
    digest = hashlib.sha256(tagmanifest).hexdigest()
    comment = f"custos-bag-v1 {reference} tagmanifest-sha256 {digest}"
    signature = signing_key().sign(tagmanifest, comment, "signature from custos export key")
    (work / SIGNATURE_NAME).write_text(signature, encoding="ascii")
    return digest


class _HashingSink:
    """Where the age writer's ciphertext goes: a file, hashed and counted on the way."""

    def __init__(self, handle: BinaryIO) -> None:
        self.handle = handle
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.handle.write(data)
        self.digest.update(data)
        self.size += len(data)
        return len(data)


class _AgeTarTarget:
    """A write-only file object for tarfile that encrypts everything it is given."""

    def __init__(self, writer: AgeWriter) -> None:
        self.writer = writer

    def write(self, data: bytes) -> int:
        self.writer.write(data)
        return len(data)


def pack_encrypted(
    work: Path, bag_name: str, out_path: Path, recipients: list[Recipient]
) -> tuple[str, int]:
    """tar the bag (streamed) through age into `out_path`; returns (sha256, size)."""
    partial = out_path.with_name(out_path.name + ".tmp")
    with open(partial, "xb") as handle:
        sink = _HashingSink(handle)
        writer = AgeWriter(sink, recipients)
        with tarfile.open(
            fileobj=_AgeTarTarget(writer), mode="w|", format=tarfile.PAX_FORMAT
        ) as tar:
            tar.add(work, arcname=bag_name, filter=_tar_entry)
        writer.close()
        handle.flush()
        os.fsync(handle.fileno())
    partial.rename(out_path)
    return sink.digest.hexdigest(), sink.size


def _tar_entry(info: tarfile.TarInfo) -> tarfile.TarInfo:
    # Nothing about the exporting server's accounts travels in the archive.
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mode = 0o755 if info.isdir() else 0o644
    return info
