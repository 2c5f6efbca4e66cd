"""Importing a folder of web captures through the vault's one upload path, file by file: each
is received whole or refused with its reason; nothing is half-stored."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.investigations.models import Investigation
from app.vault.models import EvidenceKind
from app.vault.upload.checks import empty_file
from app.vault.upload.sniff import SNIFF_BYTES, detect_type
from app.vault.upload.stream import IntakeRefused, begin_intake
from app.webcapture.models import WebCaptureCheck

CHANNEL = "folder-import"  # named in the custody `received` entry
READ_SIZE = 1024 * 1024


@dataclass
class Outcome:
    path: str  # relative to the folder
    evidence_id: str | None = None
    reason: str | None = None  # why it was refused
    verdict: str | None = None  # the web-capture check's, once processed
    failure: str | None = None


@dataclass
class FolderImport:
    received: list[Outcome] = field(default_factory=list)
    refused: list[Outcome] = field(default_factory=list)


def capture_files(folder: Path) -> Iterator[tuple[Path, str | None]]:
    """Every file under `folder`, sorted, with a reason if it cannot be read as a file: hidden
    files are left out, symbolic links are never followed (refused)."""
    for root, dirs, files in os.walk(folder, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for link in (d for d in dirs if (Path(root) / d).is_symlink()):
            yield Path(root) / link, "a symbolic link, not followed"
        dirs[:] = [d for d in dirs if not (Path(root) / d).is_symlink()]
        for name in sorted(files):
            if name.startswith("."):
                continue
            path = Path(root) / name
            if path.is_symlink():
                yield path, "a symbolic link, not followed"
            elif not path.is_file():
                yield path, "not a regular file"
            else:
                yield path, None


def import_captures(
    folder: Path,
    investigation: Investigation,
    user: Any,
    progress: Callable[[int], None] = lambda n: None,
) -> FolderImport:
    """Receive each capture as the upload form would (the same sniffing, limits, encryption,
    custody entries and processing); `progress(n)` after each n bytes read."""
    result = FolderImport()
    for path, problem in capture_files(folder):
        outcome = Outcome(str(path.relative_to(folder)))
        if problem is None:
            try:
                outcome.evidence_id = _receive(path, investigation, user, progress)
            except IntakeRefused as refusal:
                db.session.rollback()
                problem = f"{refusal.code}: {refusal.message}"
            except OSError as error:
                problem = f"unreadable: {error.strerror or type(error).__name__}"
        if problem is not None:
            outcome.reason = problem
            result.refused.append(outcome)
            continue
        _with_verdict(outcome)
        result.received.append(outcome)
    return result


def _receive(path: Path, investigation: Investigation, user: Any, progress) -> str:
    size = path.stat().st_size
    if size == 0:
        raise empty_file()
    with path.open("rb") as file:
        if detect_type(file.read(SNIFF_BYTES)).kind != EvidenceKind.WEB_CAPTURE.value:
            raise IntakeRefused(
                "type_not_allowed", "Not a web capture (WACZ or WARC), judged from its contents."
            )
        file.seek(0)
        writer = begin_intake(investigation, user, path.name, None, size)
        writer.channel = CHANNEL
        try:
            while chunk := file.read(READ_SIZE):
                writer.write(chunk)
                progress(len(chunk))
        except BaseException:
            writer.abort()
            raise
    return writer.finish().id


def _with_verdict(outcome: Outcome) -> None:
    check = db.session.scalar(
        select(WebCaptureCheck).where(WebCaptureCheck.evidence_id == outcome.evidence_id)
    )
    if check is not None:
        outcome.verdict = check.verdict
        failure = json.loads(check.result).get("failure")
        if failure:
            outcome.failure = f"{failure['where']}: {failure['reason']}"
