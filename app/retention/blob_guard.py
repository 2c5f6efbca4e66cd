"""The hold check the blob store runs before every delete (registered with the vault)."""

from __future__ import annotations

from flask_babel import gettext as _

from app.retention.coverage import holds_on_blob
from app.vault.delete_guard import register_delete_guard


@register_delete_guard
def held_blob(key: str) -> str | None:
    holds = holds_on_blob(key)
    if not holds:
        return None
    return _(
        "A legal hold keeps this blob: %(holds)s.",
        holds="; ".join(hold.describe() for hold in holds),
    )
