"""The one pass of `custody verify` over a ledger's rows: chain, body digests, columns and tree.

Every entry is checked in a single loop, with no generator between the cursor and the
hashing: seqs 1, 2, 3... linked by prev hashes, each body hashing to its digest, each
entry hash recomputed (chain.verify_chain's checks), the filter columns against the
signed body (columns.py), and the Merkle tree recomputed from the bodies (and their leaf
salts, tree.entry_leaf) with its root
kept at every wanted size. It is the hot loop of `flask custody verify`, budgeted at 0.43x
two bare SHA-256 per row over the same rows (issue 14, benchmarks/bench_custody_verify.py),
so it binds its functions to locals and leaves every explanation to chain.verify_chain,
which is handed the row that failed and the rest.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from datetime import datetime
from itertools import chain

from app.crypto.merkle import frontier_root
from app.custody.chain import GENESIS_HASH, ChainReport, verify_chain
from app.custody.columns import columns_match
from app.custody.tree import LEAF_V2_LABEL

_HEX64 = re.compile(r"[0-9a-f]{64}")  # a stored body digest, as chain.verify_chain reads it

_LEAF_V2 = b"\x00" + LEAF_V2_LABEL  # the prefix of a salted leaf hash's preimage

# (seq, prev, body_sha256, hash, body, action, object_type, object_id, actor_id, time, salt)
LedgerRow = tuple


class TreeRoots:
    """The Merkle roots of entries 1..size, and the entry hash there, at the wanted sizes.

    ``at[size]`` and ``heads[size]`` are filled for every wanted size the pass reached.
    """

    def __init__(self, sizes: set[int]) -> None:
        self.sizes = sizes
        self.at: dict[int, bytes] = {}
        self.heads: dict[int, str] = {}


class LedgerPass:
    """Runs the pass; afterwards ``columns_bad_seq`` is the first entry whose filter columns
    differ from its signed body (a redacted entry's columns cannot be checked: it counts)."""

    def __init__(self, roots: TreeRoots) -> None:
        self.roots = roots
        self.columns_bad_seq: int | None = None

    def columns_reason(self) -> str:
        return (
            f"entry {self.columns_bad_seq}: its action, actor, object or time column differs "
            "from its signed body (filter column modified)"
        )

    def run(self, rows: Iterable[LedgerRow]) -> ChainReport:
        """Verify ``rows`` (seq order, from entry 1) and report the first chain break."""
        sha256 = hashlib.sha256
        is_hex64 = _HEX64.fullmatch
        frontier: list[bytes] = []
        pop, push = frontier.pop, frontier.append
        sizes, at, heads = self.roots.sizes, self.roots.at, self.roots.heads
        columns_ok = self.columns_bad_seq is None
        plain = PlainColumns().match
        expected = 1
        head = GENESIS_HASH
        redacted = 0
        remaining = iter(rows)
        for (
            seq,
            prev,
            body_sha256,
            claimed,
            body,
            action,
            object_type,
            object_id,
            actor,
            time,
            salt,
        ) in remaining:
            if seq != expected or prev != head:
                break
            if body is None:
                if body_sha256 is None or not is_hex64(body_sha256):
                    break
                redacted += 1
                node = b""  # the stored digest cannot stand for the body in the tree
                if columns_ok:
                    columns_ok = False
                    self.columns_bad_seq = seq
            else:
                digest = sha256(body).hexdigest()
                if body_sha256 is None:
                    body_sha256 = digest
                elif digest != body_sha256:
                    break
                if salt is None:
                    node = sha256(b"\x00" + body).digest()
                else:
                    node = sha256(_LEAF_V2 + salt + body).digest()
                if columns_ok and not (
                    plain(body, action, object_type, object_id, actor, time)
                    or columns_match(body, action, object_type, object_id, actor, time)
                ):
                    columns_ok = False
                    self.columns_bad_seq = seq
            if sha256(f"custos-ledger-v1\n{seq}\n{prev}\n{body_sha256}".encode()).hexdigest() != (
                claimed
            ):
                redacted -= body is None  # counted again by the diagnosis
                break
            index = seq - 1
            while index & 1:
                node = sha256(b"\x01" + pop() + node).digest()
                index >>= 1
            push(node)
            if seq in sizes:
                at[seq] = frontier_root(frontier)
                heads[seq] = claimed
            head = claimed
            expected += 1
        else:
            return ChainReport(
                ok=True, verified=expected - 1, last_seq=expected - 1, head=head, redacted=redacted
            )
        failed = (seq, prev, body_sha256, claimed, body)
        return self._diagnose(failed, remaining, expected, head, redacted)

    def _diagnose(
        self,
        failed: tuple,
        remaining: Iterator[LedgerRow],
        expected: int,
        head: str,
        redacted: int,
    ) -> ChainReport:
        """chain.verify_chain's verdict on the failing row and the rows after it."""
        report = verify_chain(
            chain([failed], (later[:5] for later in remaining)),
            after_seq=expected - 1,
            after_hash=head,
        )
        return ChainReport(
            ok=report.ok,
            verified=report.last_seq,
            last_seq=report.last_seq,
            head=report.head,
            redacted=redacted + report.redacted,
            bad_seq=report.bad_seq,
            reason=report.reason,
        )


class PlainColumns:
    """columns.columns_match's byte comparison for the common case, a little faster.

    Only a time with microseconds, columns that JSON never escapes, and a UTF-8 body
    without escapes, compared as text (the same comparison: UTF-8 maps prefixes and
    suffixes one to one). ``match`` is True only when that comparison says the columns
    equal the body; False leaves the decision to columns_match. The head of a body (its
    action, the actor's email and id) repeats from entry to entry: the last one checked
    for each action and actor is kept, and a body starting with it has passed its checks.
    """

    _REMEMBERED = 4096  # (action, actor) pairs; forgotten all at once beyond

    def __init__(self) -> None:
        self._heads: dict[tuple[str, str | None], str] = {}

    def match(
        self,
        body: bytes,
        action: str,
        object_type: str,
        object_id: str,
        actor_id: str | None,
        time: object,
    ) -> bool:
        if type(time) is str:  # SQLite's text: "2024-05-01 10:00:01.000000"
            if len(time) != 26:
                return False
            when = time.replace(" ", "T", 1)
        elif type(time) is datetime:  # psycopg's naive UTC datetime
            when = time.isoformat("T", "microseconds")
        else:
            return False
        try:
            text = body.decode()
        except (AttributeError, UnicodeDecodeError):
            return False
        suffix = f',"object":{{"id":"{object_id}","type":"{object_type}"}},"time":"{when}Z"}}'
        if (
            "\\" in text
            or suffix.count('"') != _SUFFIX_QUOTES  # a quote in a column
            or not suffix.isprintable()
            or not text.endswith(suffix)
        ):
            return False
        head = self._heads.get((action, actor_id))
        if head is not None and text.startswith(head):
            return True
        head = _checked_head(text, action, actor_id)
        if head is None:
            return False
        if len(self._heads) >= self._REMEMBERED:
            self._heads.clear()
        self._heads[action, actor_id] = head
        return True


_SUFFIX_QUOTES = 14


def _checked_head(text: str, action: str, actor_id: str | None) -> str | None:
    """The body's text up to the actor's id when it matches the columns, else None."""
    if actor_id is None:
        return None
    joined = f"{action}{actor_id}"
    if '"' in joined or not joined.isprintable():
        return None
    prefix = f'{{"action":"{action}","actor":{{'
    if not text.startswith(prefix):
        return None
    at = len(prefix)
    if text.startswith('"email":"', at):
        # The body has no backslash, so the email's string ends at the next quote.
        at = text.find('"', at + 9) + 1
        if not at or text[at : at + 1] != ",":
            return None
        at += 1
    actor = f'"id":"{actor_id}",'
    if not text.startswith(actor, at):
        return None
    return text[: at + len(actor)]
