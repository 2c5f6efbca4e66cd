"""What the database holds: nothing, the demo, or real data (the loader's guard, the banner's flag).

"Real data" is any account or investigation the demo did not create (issue 7, item 1): an
account whose email is not one of the demo's, or an investigation whose reference is not the
demo's (DEMO-SYR-2015, or DEMO-SYR-2015-2, -3 ... for copies loaded with --force).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Connection, func, not_, or_, select

from app.auth.models import User
from app.extensions import db
from app.investigations.models import Investigation

# The scenario's reference (data/situation.yaml); scenario tests check the two agree. A
# constant, so the banner's check needs no YAML parsing in a web worker.
DEMO_REFERENCE = "DEMO-SYR-2015"


def is_demo_reference():
    """SQL condition: the investigation is the demo or a forced copy of it."""
    return or_(
        Investigation.reference == DEMO_REFERENCE,
        Investigation.reference.like(f"{DEMO_REFERENCE}-%"),
    )


@dataclass(frozen=True)
class DatabaseContents:
    users: int
    investigations: int
    real_users: int
    real_investigations: int
    demo_references: tuple[str, ...]

    @property
    def empty(self) -> bool:
        return self.users == 0 and self.investigations == 0

    @property
    def holds_real_data(self) -> bool:
        return self.real_users > 0 or self.real_investigations > 0

    @property
    def demo_loaded(self) -> bool:
        return bool(self.demo_references)


def database_contents(demo_emails: frozenset[str]) -> DatabaseContents:
    """Counts of accounts and investigations, and how many of them are not the demo's."""
    demo_account: ColumnElement[bool] = func.lower(User.email).in_(sorted(demo_emails))
    references = tuple(
        db.session.scalars(
            select(Investigation.reference)
            .where(is_demo_reference())
            .order_by(Investigation.created_at)
        )
    )
    return DatabaseContents(
        users=db.session.scalar(select(func.count(User.id))) or 0,
        investigations=db.session.scalar(select(func.count(Investigation.id))) or 0,
        real_users=db.session.scalar(select(func.count(User.id)).where(not_(demo_account))) or 0,
        real_investigations=db.session.scalar(
            select(func.count(Investigation.id)).where(not_(is_demo_reference()))
        )
        or 0,
        demo_references=references,
    )


def next_demo_reference(taken: tuple[str, ...]) -> str:
    """DEMO-SYR-2015 the first time, then DEMO-SYR-2015-2, -3 ... (investigations are never
    deleted: their custody ledgers are append-only)."""
    if DEMO_REFERENCE not in taken:
        return DEMO_REFERENCE
    number = 2
    while f"{DEMO_REFERENCE}-{number}" in taken:
        number += 1
    return f"{DEMO_REFERENCE}-{number}"


def demo_present(connection: Connection) -> bool:
    """Whether any demo investigation exists (one indexed lookup)."""
    found = connection.execute(select(Investigation.id).where(is_demo_reference()).limit(1))
    return found.first() is not None
