"""What a witness and a log exchange when cosigning (custody-format.md section 10.1)."""

from __future__ import annotations

REQUEST_TYPE = "custos-cosign-request-v1"
REQUEST_FIELDS = frozenset({"type", "statement", "minisig", "old_size", "proof"})
COSIGNATURE_TYPE = "custos-cosignature-v1"
UNTRUSTED_COMMENT = "cosignature from a custos witness"


def cosignature_comment(statement: dict, log_key_id: str, cosigned_at: str) -> str:
    """The witness's trusted comment: which log, which tree, and when it vouched for it."""
    return (
        f"{COSIGNATURE_TYPE} {statement['investigation']} entries 1..{statement['seq']}"
        f" root {statement['root']} log {log_key_id} cosigned {cosigned_at}"
    )
