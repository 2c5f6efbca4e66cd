"""TOTP second factor (RFC 6238 via pyotp), enrollment QR codes and recovery codes."""

from __future__ import annotations

import hashlib
import hmac
import io
import secrets
import time

import pyotp

ISSUER = "Custos"
RECOVERY_CODE_COUNT = 10


def new_totp_secret() -> str:
    return pyotp.random_base32(length=32)


def provisioning_uri(secret: str, account_name: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=account_name, issuer_name=ISSUER)


def qr_svg(uri: str) -> bytes:
    """The provisioning URI as an SVG QR code, served from our own origin (no CDN, no data: URL)."""
    import segno  # on first use: about 1.7 MB a web worker need not hold

    qr = segno.make(uri, error="m")
    # A standalone SVG document: served as an <img>, an SVG without the xmlns declaration (what
    # segno's svg_inline makes for embedding in HTML) renders as an empty image.
    buffer = io.BytesIO()
    qr.save(buffer, kind="svg", xmldecl=False, scale=5, dark="#1b2733", light="#ffffff")
    return buffer.getvalue()


def matching_time_step(secret: str, code: str, last_used_step: int | None) -> int | None:
    """The time step the code belongs to (±1 step of clock drift), or None.

    A step at or before the last one used is refused, so an observed code cannot be replayed
    within its validity window (RFC 6238 §5.2).
    """
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    now_step = int(time.time()) // totp.interval
    for step in (now_step, now_step - 1, now_step + 1):
        if last_used_step is not None and step <= last_used_step:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def new_recovery_codes() -> list[str]:
    """Ten single-use codes of 80 random bits each, grouped for reading aloud."""
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = secrets.token_hex(10)
        codes.append("-".join(raw[i : i + 5] for i in range(0, 20, 5)))
    return codes


def normalise_recovery_code(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch in "0123456789abcdef")


def recovery_code_digest(key: bytes, code: str) -> str:
    """Keyed digest of a recovery code; codes carry 80 bits, so a slow hash adds nothing."""
    return hmac.new(key, normalise_recovery_code(code).encode(), hashlib.sha256).hexdigest()
