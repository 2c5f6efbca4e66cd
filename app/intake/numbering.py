"""Race-safe sequence numbers within a parent (witness codes W-0001..., consent and addenda seq).

The next number is max + 1, and a unique constraint on (parent, number) is the arbiter: two
writers that read the same max both try to insert, one wins, the other's insert fails inside
a savepoint and it tries again with a fresh max. Nothing else of the caller's transaction is
lost, and no number is ever used twice.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.intake.errors import NumberingContention

T = TypeVar("T")
ATTEMPTS = 10


def insert_with_next_number(
    column: object, parent_column: object, parent_id: str, build: Callable[[int], T]
) -> T:
    """Insert `build(n)` with n one more than the largest `column` under `parent_id`.

    `build` must return a NEW object each time it is called (a failed attempt's object is
    discarded with its savepoint).
    """
    tried = None
    for _ in range(ATTEMPTS):
        with db.session.no_autoflush:
            current = db.session.scalar(
                select(func.coalesce(func.max(column), 0)).where(parent_column == parent_id)
            )
        number = int(current) + 1
        row = build(number)
        try:
            with db.session.begin_nested():
                db.session.add(row)
        except IntegrityError:
            if number == tried:
                raise  # the number was free both times: some other constraint refused the row
            tried = number
            continue
        return row
    raise NumberingContention("could not take the next number; try again")


def witness_code(number: int) -> str:
    """Pseudonym code shown everywhere instead of a name: W-0001, ..., W-9999, W-10000."""
    return f"W-{number:04d}"
