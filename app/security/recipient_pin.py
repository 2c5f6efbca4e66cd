"""Which organisation recipient new evidence goes to: pinned by fingerprint, checked at start.

recipients.txt sits in the keys folder next to the node's other files and is not
authenticated: whoever can write that folder could add their own key as the last line and
receive every new upload. So it no longer decides. An intake-only node (which holds no
private key to check a recipient against) encrypts only to the recipient whose fingerprint
the operator pinned in CUSTOS_ORG_RECIPIENT_FINGERPRINT; a reading node to its newest
identity, sealed under the master key (and, when a pin is set, that identity must match it).
"""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app

from app.crypto.age import Recipient

FINGERPRINT_PREFIX = "SHA256:"


class RecipientPinError(RuntimeError):
    """The pin is missing, malformed or names no key the node has; the message says which."""


def fingerprint(recipient: Recipient) -> str:
    """SHA256:<hex> of the recipient's raw X25519 public key (what `keys public` prints)."""
    return FINGERPRINT_PREFIX + hashlib.sha256(recipient.public_bytes).hexdigest()


def configured_pin() -> str | None:
    raw = (current_app.config.get("CUSTOS_ORG_RECIPIENT_FINGERPRINT") or "").strip()
    return normalise_pin(raw) if raw else None


def normalise_pin(raw: str) -> str:
    digest = raw.removeprefix(FINGERPRINT_PREFIX).lower()
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise RecipientPinError(
            "CUSTOS_ORG_RECIPIENT_FINGERPRINT must be SHA256: followed by 64 hex digits, as "
            "`flask keys public` prints it on the reading node"
        )
    return FINGERPRINT_PREFIX + digest


def pinned_among(recipients: list[Recipient], pin: str) -> Recipient:
    """The recipient of `recipients` whose fingerprint is `pin`; refuses if there is none."""
    for recipient in recipients:
        if hmac.compare_digest(fingerprint(recipient), pin):
            return recipient
    raise RecipientPinError(
        f"no recipient in recipients.txt matches CUSTOS_ORG_RECIPIENT_FINGERPRINT ({pin}): "
        "the public key files are not the organisation's (replaced, or from another "
        "installation); copy them again from the reading node, or correct the pin"
    )
