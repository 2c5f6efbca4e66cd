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

from flask import Flask, current_app

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


def check_org_keys_at_start(app: Flask) -> None:
    """Refuse to start an intake node whose public key files are missing, unreadable or not
    the pinned ones, or a reading node whose newest identity is not the pinned one."""
    from app.security import org_keys

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
            check_node_signer()
        elif pin is not None and org_keys.keys_initialised():
            current = org_keys.org_recipients()[0]
            if fingerprint(current) != pin:
                raise RecipientPinError(
                    f"CUSTOS_ORG_RECIPIENT_FINGERPRINT ({pin}) is not this node's current "
                    f"identity ({fingerprint(current)}); after `keys rotate`, pin the new one"
                )


def check_node_signer() -> None:
    """An intake node signs its own checkpoints (app/custody/signers.py): it must hold its
    key, and the reading node must have listed it and not revoked it."""
    from app.custody.signers import CustodySigner
    from app.extensions import db
    from app.security import org_keys

    try:
        key_id = org_keys.signing_key().key_id_hex()
    except org_keys.ReadsDisabled:
        raise RecipientPinError(
            "this intake node has no checkpoint key of its own, so its custody entries would "
            "stay unsigned: run `flask --app wsgi keys init-node-signer --name NODE` here, then "
            "the `custody signers add` command it prints on the reading node"
        ) from None
    signer = db.session.get(CustodySigner, key_id)
    if signer is None or signer.revoked_at is not None:
        state = "is not listed" if signer is None else "was revoked"
        raise RecipientPinError(
            f"this intake node's checkpoint key {key_id} {state} as a trusted signer: its "
            "checkpoints would vouch for nothing (`flask custody signers add` on the reading "
            "node lists a new one)"
        )
