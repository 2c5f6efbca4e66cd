"""Security headers on every response: strict CSP, no sniffing, no referrer, no framing."""

from __future__ import annotations

from flask import Flask, Response, request

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' blob:",
        "media-src 'self' blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "object-src 'none'",
    ]
)


# Evidence and its derivatives (a PDF with JavaScript, an HTML-looking text, an SVG) are
# served as they came: `sandbox` gives them a unique opaque origin with no script, form or
# plugin, and default-src 'none' lets them load nothing, whatever the browser makes of them.
EVIDENCE_CONTENT_SECURITY_POLICY = "sandbox; default-src 'none'"


def content_security_policy(tiles_origin: str | None) -> str:
    """The policy, with the configured map tile host (if any) allowed as an image source."""
    if not tiles_origin:
        return CONTENT_SECURITY_POLICY
    return CONTENT_SECURITY_POLICY.replace(
        "img-src 'self' blob:", f"img-src 'self' blob: {tiles_origin}"
    )


def sandbox_evidence(response: Response) -> Response:
    """Mark a response carrying evidence bytes (or bytes derived from them) as sandboxed; text
    says its charset, so no browser guesses one (UTF-7 and friends)."""
    response.headers["Content-Security-Policy"] = EVIDENCE_CONTENT_SECURITY_POLICY
    if response.mimetype.startswith("text/"):
        response.mimetype_params["charset"] = "utf-8"
    return response


def install_security_headers(app: Flask) -> None:
    policy = content_security_policy(app.config.get("CUSTOS_MAP_TILES_ORIGIN"))

    @app.after_request
    def set_security_headers(response: Response) -> Response:
        headers = response.headers
        if headers.get("Content-Security-Policy") != EVIDENCE_CONTENT_SECURITY_POLICY:
            headers["Content-Security-Policy"] = policy
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = "no-referrer"
        headers["X-Frame-Options"] = "DENY"
        headers["Cross-Origin-Opener-Policy"] = "same-origin"
        headers["Cross-Origin-Resource-Policy"] = "same-origin"
        headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()"
        if app.config.get("HSTS"):
            headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
        if request.endpoint != "static":
            # Pages show evidence and identities: never keep them in shared or browser caches.
            headers.setdefault("Cache-Control", "no-store")
        return response
