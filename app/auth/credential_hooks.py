"""Who must hear when an account's credentials end: other packages register a revoker here.

The API's tokens are credentials of the account, but the API sits above auth; rather than auth
reaching up into it, create_app registers the token revoker on the app (app.extensions), and a
password change, deactivation or sign-out everywhere calls every registered revoker.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, current_app

Revoker = Callable[[Any, str, Any], int]
_KEY = "custos.credential_revokers"


def register_credential_revoker(app: Flask, revoker: Revoker) -> None:
    revokers: list[Revoker] = app.extensions.setdefault(_KEY, [])
    if revoker not in revokers:
        revokers.append(revoker)


def revoke_other_credentials(user: Any, reason: str, actor: Any | None) -> int:
    """Revoke what every registered package holds for the account; how many were revoked."""
    return sum(revoker(user, reason, actor) for revoker in current_app.extensions.get(_KEY, []))
