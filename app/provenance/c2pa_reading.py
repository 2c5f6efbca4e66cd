"""Reading a file's C2PA manifest store with the SDK and turning what it says into a verdict.

The SDK reports `Trusted`, `Valid` (which it also says when the signer is untrusted, with
`signingCredential.untrusted` among the failures) or `Invalid`, and raises when there is no
manifest. Custos records one of five verdicts instead: trusted, valid_untrusted, invalid,
none, or could_not_check (with the reason). The SDK (a 23 MB native library) is imported only
here, when a check runs in the processing job, never by a web worker at start-up.

Remote manifests and OCSP lookups are off: fetching either would tell a third party which
file the organisation holds. The SDK ignores settings keys it does not know, so
tests/provenance/test_c2pa_offline.py tests the effect (no connection made), not the keys.
"""

from __future__ import annotations

import json
from importlib import metadata
from typing import IO, Any

from app.provenance.trust import TrustList

TRUSTED = "trusted"
VALID_UNTRUSTED = "valid_untrusted"
INVALID = "invalid"
NONE = "none"
COULD_NOT_CHECK = "could_not_check"
VERDICTS = (TRUSTED, VALID_UNTRUSTED, INVALID, NONE, COULD_NOT_CHECK)


def sdk_settings(trust: TrustList) -> dict[str, Any]:
    """What the SDK is told at every check: validate the trust chain against our anchors
    only, and call out to nobody."""
    settings: dict[str, Any] = {
        "verify": {
            "verify_trust": True,
            "remote_manifest_fetch": False,
            "ocsp_fetch": False,
        }
    }
    if trust.pem:  # the SDK refuses an empty anchor list; without one no signer is trusted
        settings["trust"] = {"trust_anchors": trust.pem}
    return settings


def sdk_version() -> dict[str, str]:
    import c2pa

    return {"c2pa-python": metadata.version("c2pa-python"), "c2pa-rs": c2pa.sdk_version()}


def read_manifest(media_type: str, stream: IO[bytes], trust: TrustList) -> dict[str, Any]:
    """The outcome of one validation: verdict, codes, signer, claims, ingredients, manifest."""
    import c2pa

    try:
        context = c2pa.Context(c2pa.Settings.from_dict(sdk_settings(trust)))
        with c2pa.Reader(media_type, stream, context=context) as reader:
            state = reader.get_validation_state()
            results = reader.get_validation_results() or {}
            store = json.loads(reader.json())
    except c2pa.C2paError.ManifestNotFound:
        return {"verdict": NONE}
    except c2pa.C2paError as exc:
        return {"verdict": COULD_NOT_CHECK, "reason": str(exc)[:500]}
    return summarise(state, results, store)


def summarise(state: str | None, results: dict, store: dict) -> dict[str, Any]:
    codes = _codes(results)
    failures = {c["code"] for c in codes if c["kind"] == "failure"}
    if state == "Trusted":
        verdict = TRUSTED
    elif state == "Valid" and failures <= {"signingCredential.untrusted"}:
        verdict = VALID_UNTRUSTED
    else:
        verdict = INVALID
    active = (store.get("manifests") or {}).get(store.get("active_manifest") or "") or {}
    return {
        "verdict": verdict,
        "sdk_state": state,
        "codes": codes,
        "signer": _signer(active.get("signature_info") or {}),
        "claimed": _claims(active.get("assertions") or []),
        "ingredients": [_ingredient(i) for i in active.get("ingredients") or []],
        "manifest": store,
    }


def _codes(results: dict) -> list[dict[str, str]]:
    """Every status the SDK gave for the active manifest and its ingredients."""
    sections = [results.get("activeManifest") or {}]
    sections += [d or {} for d in results.get("ingredientDeltas") or []]
    codes = []
    for section in sections:
        section = section.get("validationDeltas", section)
        for kind in ("failure", "success", "informational"):
            for status in section.get(kind) or []:
                codes.append(
                    {
                        "kind": kind,
                        "code": str(status.get("code", "")),
                        "explanation": str(status.get("explanation", ""))[:300],
                    }
                )
    return codes


def _signer(info: dict) -> dict[str, Any]:
    return {
        "subject": info.get("common_name"),
        "issuer": info.get("issuer"),
        "serial": info.get("cert_serial_number"),
        "algorithm": info.get("alg"),
        "signed_at": info.get("time"),
    }


def _claims(assertions: list[dict]) -> dict[str, Any]:
    """The capture time and place the manifest claims: the `c2pa.created` action's time, or
    the EXIF assertion's; its GPS position."""
    time = place = None
    for assertion in assertions:
        label, data = str(assertion.get("label", "")), assertion.get("data") or {}
        if label.startswith("c2pa.actions"):
            for action in data.get("actions") or []:
                if action.get("action") == "c2pa.created" and action.get("when"):
                    time = time or str(action["when"])
        elif label == "stds.exif":
            time = time or data.get("exif:DateTimeOriginal")
            if data.get("exif:GPSLatitude") and data.get("exif:GPSLongitude"):
                place = [str(data["exif:GPSLatitude"]), str(data["exif:GPSLongitude"])]
    return {"capture_time": time, "place": place}


def _ingredient(ingredient: dict) -> dict[str, Any]:
    return {
        "title": ingredient.get("title"),
        "format": ingredient.get("format"),
        "relationship": ingredient.get("relationship"),
        "manifest": ingredient.get("active_manifest"),
    }
