"""Small helpers for writing a bag's files: JSON, ISO times, safe names, sizes, the README."""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import datetime
from pathlib import Path
from typing import Any

_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]")


def json_bytes(data: Any) -> bytes:
    return (json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")


def json_or_none(text: str | None) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


REDACTED_WITHHELD = (
    "the original file name, device metadata (make, model, software, lens, capture and "
    "modification times), the GPS position and the uploader's stated facts (place, who "
    "captured it, when)"
)
_PRECISION_TEXT = {0: "about 111 km", 1: "about 11 km", 2: "about 1 km"}


def coarse_location(evidence: Any, decimals: int | None) -> dict | None:
    """The photo's GPS position rounded to `decimals` places, when asked for and known."""
    if decimals is None:
        return None
    metadata = json_or_none(evidence.extracted_metadata)
    fields = metadata.get("fields") if isinstance(metadata, dict) else None
    gps = fields.get("gps") if isinstance(fields, dict) else None
    if not isinstance(gps, dict) or gps.get("latitude") is None or gps.get("longitude") is None:
        return None
    latitude = round(float(gps["latitude"]), decimals)
    longitude = round(float(gps["longitude"]), decimals)
    precision = _PRECISION_TEXT[decimals]
    return {
        "latitude": latitude,
        "longitude": longitude,
        "precision": precision,
        "text": f"{latitude:.{decimals}f}, {longitude:.{decimals}f} ({precision})",
    }


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


def readme_text(reference: str, verifier_sha256: str = "", key_id: str = "") -> str:
    """README.txt: what the bag is and how to verify it with standard tools."""
    return f"""Case file {reference}: a BagIt bag exported from Custos.

HOW TO VERIFY THIS BAG

First obtain, from the organisation's published channel and NOT from this bag, its
minisign public key (RW..., key id {key_id or "as published"}) and its verifier
tools/verify_custody.py, and check that the verifier's SHA-256 is the one published
(the copy in data/tools has SHA-256 {verifier_sha256 or "(see the report)"}; a copy in the
bag proves nothing by itself: whoever could alter the bag could alter it too).

  1. bagit.py --validate <bag>
       every file against manifest-sha256.txt
  2. minisign -Vm tagmanifest-sha256.txt -P <public key>
       the manifests, signed by the organisation
  3. python3 verify_custody.py data/custody/custody-ledger.jsonl --public-key <public key>
       the custody ledger: the entries about the items in this bag, each by its inclusion
       proof in the signed Merkle tree; the signed list of the entries withheld (only their
       positions and count); the signed checkpoint and what its trusted comment says; and
       (data/custody/timestamped/) that it extends the newest timestamped checkpoint
     add --cosigner-key <witness key> for each witness you trust (its key from the
     witness, not from this bag): its cosignature in data/custody/cosigned/ must hold
  4. minisign -Vm data/custody/checkpoint.json -P <public key>
     minisign -Vm data/custody/custody-withheld.json -P <public key>
       each signature alone; its trusted comment says what it covers
  5. openssl ts -verify -data data/custody/timestamped/checkpoint.note \\
       -in data/custody/timestamped/checkpoint.note.1.tsr -CAfile <the TSA's root>
       the time an independent timestamp authority vouches for (when present)
  6. age -d -i <your identity> <bag>.tar.age > <bag>.tar
       only for a bag delivered encrypted to you, before the steps above

Witnesses are referred to by pseudonym (W-0001) unless bag-info.txt says otherwise.
"""
