"""When a hold is in the way: the ledger and the audit log say so, and the request is refused."""

from __future__ import annotations

from typing import Any, NoReturn

from flask_babel import gettext as _

from app.audit.services import record_event
from app.custody.ledger import CustodyAction, append_custody_event
from app.extensions import db
from app.retention.errors import HeldByLegalHold
from app.retention.models import LegalHold


def refuse_for_holds(
    investigation_id: str, actor: Any, object_type: str, object_id: str, holds: list[LegalHold]
) -> NoReturn:
    """Record that disposition was blocked, commit that record alone, and refuse.

    The caller has changed nothing yet; the commit is of the ledger entry and audit event only,
    so the caller's rollback of the refused action cannot take the record of it along.
    """
    append_custody_event(
        investigation_id,
        actor,
        CustodyAction.DISPOSITION_BLOCKED,
        object_type,
        object_id,
        {"holds": [hold.id for hold in holds]},
    )
    record_event(
        "retention.blocked",
        actor=actor,
        target=holds[0],
        details={"on": object_type, "holds": [hold.id for hold in holds]},
    )
    db.session.commit()
    named = "; ".join(hold.describe() for hold in holds)
    raise HeldByLegalHold(
        _(
            "A legal hold keeps this: %(holds)s. Nothing was destroyed; the hold must be "
            "released by two people first.",
            holds=named,
        )
    )
