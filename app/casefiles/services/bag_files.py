"""Small helpers for writing a bag's files: JSON, ISO times, safe names, sizes, the README."""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import datetime
from pathlib import Path
from typing import Any

_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]")


def write_json(path: Path, data: Any) -> None:
    path.write_text(
        json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8"
    )


def json_or_none(text: str | None) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def iso_time(moment: datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def safe_name(name: str | None, fallback: str) -> str:
    """A file name for inside the bag: no path separators, control or bidi/format characters."""
    name = "".join(
        "_" if unicodedata.category(ch) in ("Cc", "Cf") else ch for ch in (name or "").strip()
    )
    name = _UNSAFE_NAME.sub("_", name).strip(". ")
    return name[:200] or fallback


def tree_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def readme_text(reference: str) -> str:
    return f"""Case file {reference}: a BagIt bag exported from Custos.

Verify it with standard tools (the commands are in the report, section 5):
  1. bagit.py --validate <bag>           every file against manifest-sha256.txt
  2. minisign -Vm tagmanifest-sha256.txt -P <organisation public key>
  3. python3 data/tools/verify_custody.py data/custody/custody-ledger.jsonl \\
       --checkpoint data/custody/checkpoint.json \\
       --signature data/custody/checkpoint.json.minisig --public-key <same key>
Take the public key from the organisation's published channel, not from this bag.
Witnesses are referred to by pseudonym (W-0001) unless bag-info.txt says otherwise.
"""
