"""The start-up check of a node's organisation keys: an intake node refuses to start unless
its public key files are present, readable, well formed and the pinned ones."""

from __future__ import annotations

from flask import Flask

from app.security import org_keys
from app.security.recipient_pin import (
    RecipientPinError,
    configured_pin,
    fingerprint,
    pinned_among,
)


def check_org_keys_at_start(app: Flask) -> None:
    """Refuse to start an intake node whose public key files are missing, unreadable or not
    the pinned ones, or a reading node whose newest identity is not the pinned one."""
    with app.app_context():
        pin = configured_pin()
        if org_keys.intake_only():
            if pin is None:
                raise RecipientPinError(
                    "CUSTOS_INTAKE_ONLY=1 needs CUSTOS_ORG_RECIPIENT_FINGERPRINT: an intake "
                    "node cannot tell the organisation's public key from a planted one "
                    "without it (`flask keys public` on the reading node prints it)"
                )
            org_keys.minisign_public_key()  # present, readable and well formed
            pinned_among(org_keys.all_recipients(), pin)
        elif pin is not None and org_keys.keys_initialised():
            current = org_keys.org_recipients()[0]
            if fingerprint(current) != pin:
                raise RecipientPinError(
                    f"CUSTOS_ORG_RECIPIENT_FINGERPRINT ({pin}) is not this node's current "
                    f"identity ({fingerprint(current)}); after `keys rotate`, pin the new one"
                )
