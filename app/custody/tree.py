"""Each investigation's Merkle tree in the database: extended on append, read for proofs.

Leaf i (0-based) is entry i + 1's canonical body, hashed as RFC 9162 section 2.1 says
(app/crypto/merkle.py): since leaf format v2 with the entry's secret salt in front, so a
leaf hash that an inclusion proof shows of a withheld entry cannot confirm a guessed body.
An append extends the frontier kept on the head row and stores the subtrees it completed
in custody_tree_nodes: about two rows per entry, never a rebuild.
Proofs read the O(log n) node hashes they need in one query.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.crypto import merkle
from app.custody.models import LedgerEntry, TreeNode

HASH = 32
SALT_BYTES = 32
# Leaf data of format v2: this label, the salt, the body (custody-format.md section 6).
# A v1 leaf's data is the body alone, which starts with "{": the two cannot collide.
LEAF_V2_LABEL = b"custos-leaf-v2\n"


def new_salt() -> bytes:
    """A fresh secret salt for the next entry's leaf."""
    return secrets.token_bytes(SALT_BYTES)


def entry_leaf(body: bytes, salt: bytes | None) -> bytes:
    """The leaf hash of an entry: v2 with its salt, v1 (the body alone) for an older entry."""
    if salt is None:
        return merkle.leaf_hash(body)
    if len(salt) != SALT_BYTES:
        raise ValueError(f"a leaf salt is {SALT_BYTES} bytes")
    return merkle.leaf_hash(LEAF_V2_LABEL + salt + body)


def split_frontier(packed: bytes | None) -> list[bytes]:
    packed = bytes(packed or b"")
    return [packed[i : i + HASH] for i in range(0, len(packed), HASH)]


def extend(
    session: Session,
    investigation_id: str,
    size: int,
    frontier: bytes,
    leaf: tuple[bytes, bytes | None],
) -> bytes:
    """Add leaf number ``size`` (0-based) for ``leaf`` (body, salt); return the new frontier.

    The head row's frontier is a cache: one that does not fit ``size`` (the head was moved
    behind the application's back) is rebuilt, so appending still works and the record of
    what happened is kept; the check before signing then names the break.
    """
    nodes = split_frontier(frontier)
    if len(nodes) != size.bit_count():
        nodes = _rebuilt_frontier(session, investigation_id, size)
    made = merkle.append_leaf(nodes, size, entry_leaf(*leaf))
    rows = [
        {"investigation_id": investigation_id, "level": level, "idx": index, "hash": node}
        for level, index, node in made
    ]
    # Insert, or overwrite what a rolled-back ledger left at these positions (derived data).
    dialect = session.get_bind().dialect.name
    statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(
        TreeNode.__table__
    )
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["investigation_id", "level", "idx"],
            set_={"hash": statement.excluded.hash},
        ),
        rows,
    )
    return b"".join(nodes)


def _rebuilt_frontier(session: Session, investigation_id: str, size: int) -> list[bytes]:
    return frontier_of(stored_leaves(session, investigation_id, size))


def stored_leaves(
    session: Session, investigation_id: str, size: int
) -> Iterable[tuple[bytes, bytes | None]]:
    """(body, salt) of entries 1..size, in order: the leaves as the database holds them."""
    rows = session.execute(
        select(LedgerEntry.body, LedgerEntry.leaf_salt)
        .where(LedgerEntry.investigation_id == investigation_id, LedgerEntry.seq <= size)
        .order_by(LedgerEntry.seq)
    )
    return ((bytes(body), None if salt is None else bytes(salt)) for body, salt in rows)


def frontier_of(leaves: Iterable[tuple[bytes, bytes | None]]) -> list[bytes]:
    """The frontier over (body, salt) leaves, for building a tree in one pass."""
    nodes: list[bytes] = []
    for size, (body, salt) in enumerate(leaves):
        merkle.append_leaf(nodes, size, entry_leaf(body, salt))
    return nodes


# Only placeholders are put into it, never values.
_LEVEL_SQL = (
    "SELECT level, idx, hash FROM custody_tree_nodes"
    " WHERE investigation_id = {mark} AND level = {mark} AND idx IN ({marks})"
)


class NodeReader:
    """subtree(start, end) hashes from custody_tree_nodes, fetched in as few queries as possible."""

    def __init__(self, session: Session, investigation_id: str) -> None:
        self._session = session
        self._investigation_id = investigation_id
        self._known: dict[tuple[int, int], bytes] = {}

    def fetch(self, wanted: Iterable[tuple[int, int]]) -> None:
        missing = sorted({key for key in wanted if key not in self._known})
        if not missing:
            return
        by_level: dict[int, list[int]] = {}
        for level, index in missing:
            by_level.setdefault(level, []).append(index)
        # One SELECT per level, in one UNION ALL: each is a primary-key lookup on both
        # databases (an OR of levels, or a row-value IN, makes SQLite scan the ledger's nodes).
        # Written as driver SQL: building it as SQLAlchemy expressions cost more than running
        # it (docs/performance.md, inclusion proofs).
        session = self._session
        mark = "?" if session.get_bind().dialect.paramstyle == "qmark" else "%s"
        parts, params = [], []
        for level, indexes in by_level.items():
            parts.append(_LEVEL_SQL.format(mark=mark, marks=", ".join([mark] * len(indexes))))
            params += [self._investigation_id, level, *indexes]
        rows = session.connection().exec_driver_sql(" UNION ALL ".join(parts), tuple(params))
        for level, index, node in rows:
            self._known[(level, index)] = bytes(node)
        absent = [key for key in missing if key not in self._known]
        if absent:
            raise merkle.ProofError(f"the tree store lacks node(s) {absent[:3]}")

    def frontier(self, size: int) -> list[bytes]:
        parts = merkle.perfect_subtrees(0, size)
        self.fetch(parts)
        return [self._known[part] for part in parts]

    def subtree(self, start: int, end: int) -> bytes:
        parts = merkle.perfect_subtrees(start, end)
        self.fetch(parts)
        return merkle.frontier_root([self._known[part] for part in parts])

    def _prefetch(self, produce) -> None:
        wanted: list[tuple[int, int]] = []

        def record(start: int, end: int) -> bytes:
            wanted.extend(merkle.perfect_subtrees(start, end))
            return b""

        produce(record)
        self.fetch(wanted)

    def inclusion(self, index: int, size: int) -> list[bytes]:
        self._prefetch(lambda subtree: merkle.inclusion_proof(index, size, subtree))
        return merkle.inclusion_proof(index, size, self.subtree)

    def consistency(self, old: int, new: int) -> list[bytes]:
        self._prefetch(lambda subtree: merkle.consistency_proof(old, new, subtree))
        return merkle.consistency_proof(old, new, self.subtree)

    def root(self, size: int) -> bytes:
        return merkle.frontier_root(self.frontier(size))
