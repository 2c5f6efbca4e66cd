"""Verifying one ProofMode bundle (Guardian Project): media hash, OpenPGP signatures,
OpenTimestamps and SafetyNet claims, with every member capped before a byte is extracted.

A bundle holds the media, `<sha256>.proof.json` / `.proof.csv` (what the phone recorded),
their detached signatures `.proof.json.asc` / `.proof.csv.asc`, the media's detached
signature (`<sha256>.asc`, or `<media name>.asc` in some builds), the phone's `pubkey.asc`,
and optionally `<sha256>.ots` (OpenTimestamps) and `<sha256>.gst` (a SafetyNet JWS, or in
newer builds a Play Integrity token: app/provenance/safetynet.py). The key is made on the
phone: a good signature shows the files agree with that key, not who held the phone.
Signatures are checked with Debian's gpg in a GnuPG home made for this one verification and
removed after it, holding only the bundle's own key; the media is streamed to gpg, never
written to disk.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess  # nosec B404
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from app.provenance.pinning import key_standing
from app.provenance.safetynet import INVALIDATING as INVALIDATING_ATTESTATION
from app.provenance.safetynet import AttestationRoots, check_attestation
from app.webcapture.limits import CaptureFailed, CaptureLimits
from app.webcapture.zipmembers import checked_members, read_member

GiB, MiB = 1024**3, 1024**2
# A bundle is one capture and its proofs: a few members, small ones but for the media.
LIMITS = CaptureLimits(
    max_members=64,
    max_member_bytes=16 * GiB,
    max_total_bytes=16 * GiB + 64 * MiB,
    max_ratio=200,
    ratio_floor_bytes=MiB,
)
PROOF_BYTES = 4 * MiB  # the largest proof file (JSON, CSV, signature, key, OTS, JWS) read

_PROOF = re.compile(
    r"^([0-9a-f]{64})\.(proof\.json|proof\.csv|proof\.json\.asc|proof\.csv\.asc|asc|ots|gst)$"
)
_OTHER = re.compile(r"^(pubkey\.asc|.*\.devicecheck|c2paidentity\.cert|howtoverify.*\.txt)$", re.I)

TRUSTED, VALID_UNTRUSTED, INVALID, COULD_NOT_CHECK = (
    "trusted",
    "valid_untrusted",
    "invalid",
    "could_not_check",
)
# Codes that make the bundle invalid; the rest inform.
_INVALIDATING = frozenset(
    {
        "hash_mismatch",
        "media_signature_bad",
        "media_signature_missing",
        "metadata_signature_bad",
        "metadata_signature_missing",
        "key_missing",
        "ots_commitment_mismatch",
    }
    | INVALIDATING_ATTESTATION
)


class BundleUnreadable(Exception):
    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


@dataclass
class Bundle:
    archive: zipfile.ZipFile
    sha256: str
    proofs: dict[str, zipfile.ZipInfo]  # "proof.json", "asc", "ots", ... -> member
    media: list[zipfile.ZipInfo]
    others: dict[str, zipfile.ZipInfo] = field(default_factory=dict)  # by lower-case base name

    def read(self, info: zipfile.ZipInfo) -> bytes:
        if info.file_size > PROOF_BYTES:
            raise BundleUnreadable("bundle_unreadable", f"{_base(info)} is too large for a proof")
        return b"".join(read_member(self.archive, info))


def _base(info: zipfile.ZipInfo) -> str:
    return info.filename.rsplit("/", 1)[-1]


def open_bundle(file: BinaryIO) -> Bundle:
    """The bundle's members sorted into proofs and media, after every cap has held."""
    try:
        archive, infos = checked_members(file, LIMITS)
    except CaptureFailed as exc:
        raise BundleUnreadable("bundle_unreadable", str(exc)) from None
    proofs: dict[str, dict[str, zipfile.ZipInfo]] = {}
    others: dict[str, zipfile.ZipInfo] = {}
    rest: list[zipfile.ZipInfo] = []
    for info in infos:
        name = _base(info)
        match = _PROOF.match(name)
        if match:
            proofs.setdefault(match.group(1), {})[match.group(2)] = info
        elif _OTHER.match(name):
            others[name.lower()] = info
        else:
            rest.append(info)
    with_json = [h for h, p in proofs.items() if "proof.json" in p]
    if not proofs:
        raise BundleUnreadable("unknown_layout", "no <sha256>.proof.json or other proof file")
    if len(with_json) != 1:
        raise BundleUnreadable(
            "metadata_missing",
            "no <sha256>.proof.json" if not with_json else "proofs of several media in one bundle",
        )
    sha = with_json[0]
    by_name_sig = {_base(i)[: -len(".asc")]: i for i in rest if _base(i).endswith(".asc")}
    media = [i for i in rest if not _base(i).endswith(".asc")]
    bundle = Bundle(archive, sha, proofs[sha], media, others)
    if "asc" not in bundle.proofs:
        for info in media:  # `<media name>.asc`, as some builds write it
            if _base(info) in by_name_sig:
                bundle.proofs["asc"] = by_name_sig[_base(info)]
    return bundle


def _media_matching(bundle: Bundle) -> tuple[zipfile.ZipInfo | None, list[str]]:
    """The member whose SHA-256 the proof names, and the digests of the others."""
    seen = []
    for info in bundle.media:
        digest = hashlib.sha256()
        for chunk in read_member(bundle.archive, info):
            digest.update(chunk)
        if digest.hexdigest() == bundle.sha256:
            return info, seen
        seen.append(digest.hexdigest())
    return None, seen


class _Keyring:
    """A GnuPG home for one verification: the bundle's key only, removed afterwards. gpg
    is run directly (its machine-readable status lines), the signed data on its stdin."""

    def __init__(self) -> None:
        self.home = tempfile.mkdtemp(prefix="custos-gpg-")
        self.gpg = shutil.which("gpg")
        if self.gpg is None:
            raise BundleUnreadable("gpg_missing", "gpg is not installed (make system-deps)")

    def _run(self, args: list[str], data: BinaryIO | bytes) -> list[str]:
        command = [self.gpg, "--homedir", self.home, "--batch", "--no-tty", "--no-autostart"]
        with subprocess.Popen(  # noqa: S603 (a fixed program, no shell, our own arguments)
            [*command, "--status-fd", "1", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        ) as gpg:
            assert gpg.stdin is not None and gpg.stdout is not None
            try:
                chunks = [data] if isinstance(data, bytes) else iter(lambda: data.read(MiB), b"")
                for chunk in chunks:
                    gpg.stdin.write(chunk)
                gpg.stdin.close()
            except BrokenPipeError:
                pass  # gpg stopped reading: its status lines say why
            status = gpg.stdout.read().decode("utf-8", "replace")
        return [
            line[len("[GNUPG:] ") :] for line in status.splitlines() if line.startswith("[GNUPG:] ")
        ]

    def import_key(self, data: bytes) -> list[str]:
        lines = self._run(["--import"], data)
        return sorted({line.split()[2] for line in lines if line.startswith("IMPORT_OK ")})

    def verify(self, signature: bytes, data: BinaryIO) -> tuple[bool, str | None]:
        sig_path = Path(self.home) / "detached.asc"
        sig_path.write_bytes(signature)
        lines = self._run(["--verify", str(sig_path), "-"], data)
        valid = [line.split()[1] for line in lines if line.startswith("VALIDSIG ")]
        return bool(valid) and not any(line.startswith("BADSIG ") for line in lines), (
            valid[0] if valid else None
        )

    def close(self) -> None:
        shutil.rmtree(self.home, ignore_errors=True)


def _code(codes: list[dict[str, str]], code: str, detail: str = "") -> None:
    codes.append({"code": code, "explanation": detail[:300]})


def verify_bundle(
    file: BinaryIO, pinned: set[str], roots: AttestationRoots | None = None
) -> dict[str, Any]:
    """The outcome of one verification. `pinned` holds the key fingerprints a lawyer pinned
    for the person who sent the bundle (empty: no key pinned for them yet); `roots`, those a
    SafetyNet attestation's chain must lead to (app/provenance/safetynet.py)."""
    roots = roots or AttestationRoots(problem="no root configured")
    try:
        return _verify(open_bundle(file), pinned, roots)
    except BundleUnreadable as exc:
        return _could_not_check(exc.code, exc.reason)
    except CaptureFailed as exc:  # a member that lies about its size, found while reading
        return _could_not_check("bundle_unreadable", str(exc))


def _could_not_check(code: str, reason: str) -> dict[str, Any]:
    return {
        "verdict": COULD_NOT_CHECK,
        "codes": [{"code": code, "explanation": reason}],
        "reason": reason,
    }


def _verify(bundle: Bundle, pinned: set[str], roots: AttestationRoots) -> dict[str, Any]:
    codes: list[dict[str, str]] = []
    claims = _proof_json(bundle.read(bundle.proofs["proof.json"]))
    if str(claims.get("File Hash SHA256", bundle.sha256)).lower() != bundle.sha256:
        _code(codes, "hash_mismatch", "the proof's File Hash SHA256 is not its file name's")
    media, other_digests = _media_matching(bundle)
    if media is None:
        if not bundle.media:
            raise BundleUnreadable("media_missing", "the bundle holds no media file")
        _code(codes, "hash_mismatch", "no media file has the SHA-256 the proof names")
    fingerprint = _signatures(bundle, media, codes)
    _opentimestamps(bundle, codes)
    if "gst" in bundle.proofs:
        codes += check_attestation(bundle.read(bundle.proofs["gst"]), bundle.sha256, roots)
    key = None
    if fingerprint:
        key = key_standing(fingerprint, pinned)
        if key != "pinned":
            _code(codes, "key_not_pinned", key.replace("_", " "))
    invalid = any(c["code"] in _INVALIDATING for c in codes)
    verdict = INVALID if invalid else (TRUSTED if key == "pinned" else VALID_UNTRUSTED)
    return {
        "verdict": verdict,
        "codes": codes,
        "proof_sha256": bundle.sha256,
        "media_member": media.filename if media else None,
        "other_media_sha256": other_digests,
        "key_fingerprint": fingerprint,
        "key": key,
        "claimed": {
            "capture_time": claims.get("File Created") or claims.get("Proof Generated"),
            "place": _place(claims),
        },
        "proof": claims,
    }


def _proof_json(data: bytes) -> dict[str, Any]:
    try:
        value = json.loads(data)
    except ValueError:
        raise BundleUnreadable("metadata_unreadable", "the proof JSON does not parse") from None
    if not isinstance(value, dict):
        raise BundleUnreadable("metadata_unreadable", "the proof JSON is not an object")
    return value


def _place(claims: dict[str, Any]) -> list[str] | None:
    lat, lon = claims.get("Location.Latitude"), claims.get("Location.Longitude")
    return [str(lat), str(lon)] if lat not in (None, "") and lon not in (None, "") else None


def _signatures(bundle: Bundle, media: zipfile.ZipInfo | None, codes: list) -> str | None:
    """Check the media's and the proofs' detached signatures against pubkey.asc alone."""
    key = bundle.others.get("pubkey.asc")
    if key is None:
        _code(codes, "key_missing", "no pubkey.asc in the bundle")
        return None
    ring = _Keyring()
    try:
        fingerprints = ring.import_key(bundle.read(key))
        if len(fingerprints) != 1:
            _code(codes, "key_missing", f"pubkey.asc holds {len(fingerprints)} usable keys")
            return None
        signer = fingerprints[0]
        if media is not None:
            _check(ring, bundle, "asc", media, "media_signature", codes)
        for proof in ("proof.json", "proof.csv"):
            if proof in bundle.proofs:
                signed = bundle.proofs[proof]
                _check(ring, bundle, proof + ".asc", signed, "metadata_signature", codes, proof)
        return signer
    finally:
        ring.close()


def _check(ring, bundle, sig_kind, info, code, codes, what: str = "media") -> None:
    signature = bundle.proofs.get(sig_kind)
    if signature is None:
        _code(codes, f"{code}_missing", f"no detached signature of the {what}")
        return
    with bundle.archive.open(info) as data:
        good, _ = ring.verify(bundle.read(signature), data)
    _code(codes, f"{code}_{'good' if good else 'bad'}", what)


# OpenTimestamps: the file's magic, version 1, then the file-hash operation and its digest.
_OTS_MAGIC = b"\x00OpenTimestamps\x00\x00Proof\x00\xbf\x89\xe2\xe8\x84\xe8\x92\x94"
_OTS_SHA256 = 0x08
_BITCOIN = bytes.fromhex("0588960d73d71901")
_PENDING = bytes.fromhex("83dfe30d2ef90c8e")


def _varuint(data: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while at < len(data):
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, at
        shift += 7
    raise ValueError("truncated varuint")


def _opentimestamps(bundle: Bundle, codes: list) -> None:
    """Report an .ots proof as attested at a Bitcoin block height or pending; the block
    header itself is not checked (that needs Bitcoin headers this server does not fetch)."""
    info = bundle.proofs.get("ots")
    if info is None:
        return
    data = bundle.read(info)
    start = len(_OTS_MAGIC)
    if not data.startswith(_OTS_MAGIC) or data[start : start + 2] != bytes([1, _OTS_SHA256]):
        _code(codes, "ots_unreadable", "not an OpenTimestamps file over a SHA-256")
        return
    if data[start + 2 : start + 34].hex() != bundle.sha256:
        _code(codes, "ots_commitment_mismatch", "it timestamps another file")
        return
    at = data.find(_BITCOIN)
    if at >= 0:
        try:
            _, payload = _varuint(data, at + 8)
            height, _ = _varuint(data, payload)
        except ValueError:
            _code(codes, "ots_unreadable", "truncated Bitcoin attestation")
            return
        _code(codes, "ots_attested", f"Bitcoin block {height} (header not checked)")
    elif data.find(_PENDING) >= 0:
        _code(codes, "ots_pending", "waiting for a calendar to reach Bitcoin")
    else:
        _code(codes, "ots_unreadable", "no attestation")
