"""Merkle tree hashing and proofs of RFC 9162 section 2.1, over raw bytes (no Flask, no database).

Leaves are hashed as SHA-256(0x00 || data) and interior nodes as SHA-256(0x01 || left ||
right); the tree over n leaves splits at the largest power of two below n (section 2.1.1).
A log that only grows keeps its *frontier*: the roots of the perfect subtrees its leaves
fall into, largest first, at most one per bit of n; appending is O(log n) amortised O(1),
and the root of the whole tree is a fold of the frontier. Inclusion (2.1.3) and consistency
(2.1.4) proofs are produced from a `subtree(start, end)` callback, so the caller decides
where node hashes come from, and checked by the algorithms of sections 2.1.3.2 and 2.1.4.2.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable

EMPTY_ROOT = hashlib.sha256(b"").digest()


class ProofError(ValueError):
    """A proof that does not verify, or arguments no proof can exist for."""


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def append_leaf(frontier: list[bytes], size: int, leaf: bytes) -> list[tuple[int, int, bytes]]:
    """Add leaf hash number ``size`` (0-based) to ``frontier`` in place.

    Returns the complete subtrees that the append finished, as (level, index, hash) with
    level 0 for the leaf itself: what a store of node hashes needs to answer proofs.
    """
    made = [(0, size, leaf)]
    node, level, index = leaf, 0, size
    while index & 1:
        node = node_hash(frontier.pop(), node)
        level, index = level + 1, index >> 1
        made.append((level, index, node))
    frontier.append(node)
    return made


def frontier_root(frontier: list[bytes]) -> bytes:
    """The root hash of the tree whose frontier this is (EMPTY_ROOT for no leaves)."""
    if not frontier:
        return EMPTY_ROOT
    root = frontier[-1]
    for node in reversed(frontier[:-1]):
        root = node_hash(node, root)
    return root


def root_of(leaves: Iterable[bytes]) -> tuple[int, bytes]:
    """(tree size, root hash) of leaf hashes, streamed: memory is O(log n)."""
    frontier: list[bytes] = []
    size = 0
    pop, append, sha256 = frontier.pop, frontier.append, hashlib.sha256
    for node in leaves:
        index = size
        while index & 1:
            node = sha256(b"\x01" + pop() + node).digest()
            index >>= 1
        append(node)
        size += 1
    return size, frontier_root(frontier)


def perfect_subtrees(start: int, end: int) -> list[tuple[int, int]]:
    """[start, end) as perfect subtrees (level, index), left to right (start aligned)."""
    parts = []
    while start < end:
        level = (start & -start).bit_length() - 1 if start else (end - start).bit_length() - 1
        while (1 << level) > end - start:
            level -= 1
        parts.append((level, start >> level))
        start += 1 << level
    return parts


def _split(n: int) -> int:
    """The largest power of two strictly smaller than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


Subtree = Callable[[int, int], bytes]


def inclusion_proof(index: int, size: int, subtree: Subtree) -> list[bytes]:
    """PATH(index, D[0:size]) of RFC 9162 section 2.1.3.1; ``subtree(a, b)`` = MTH(D[a:b])."""
    if not 0 <= index < size:
        raise ProofError(f"leaf {index} is not in a tree of size {size}")
    path: list[bytes] = []
    start, end = 0, size
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            path.append(subtree(start + k, end))
            end = start + k
        else:
            path.append(subtree(start, start + k))
            start += k
    path.reverse()
    return path


def consistency_proof(old: int, new: int, subtree: Subtree) -> list[bytes]:
    """PROOF(old, D[0:new]) of RFC 9162 section 2.1.4.1."""
    if not 0 < old <= new:
        raise ProofError(f"no consistency proof from size {old} to size {new}")
    if old == new:
        return []
    proof: list[bytes] = []
    start, end, whole = 0, new, True
    m = old
    while True:
        n = end - start
        if m == n:
            if not whole:
                proof.append(subtree(start, end))
            break
        k = _split(n)
        if m <= k:
            proof.append(subtree(start + k, end))
            end = start + k
        else:
            proof.append(subtree(start, start + k))
            start += k
            m -= k
            whole = False
    proof.reverse()
    return proof


def verify_inclusion(leaf: bytes, index: int, size: int, proof: list[bytes], root: bytes) -> None:
    """RFC 9162 section 2.1.3.2: ProofError unless ``leaf`` is at ``index`` under ``root``."""
    if not 0 <= index < size:
        raise ProofError(f"leaf {index} is not in a tree of size {size}")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ProofError("inclusion proof is too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("inclusion proof is too short")
    if r != root:
        raise ProofError("inclusion proof does not lead to the root")


def verify_consistency(
    old: int, new: int, old_root: bytes, new_root: bytes, proof: list[bytes]
) -> None:
    """RFC 9162 section 2.1.4.2; raises ProofError unless tree ``old`` is a prefix of ``new``."""
    if not 0 < old <= new:
        raise ProofError(f"no consistency proof from size {old} to size {new}")
    if old == new:
        if proof:
            raise ProofError("a proof between equal sizes is empty")
        if old_root != new_root:
            raise ProofError("equal sizes with different roots")
        return
    if not proof:
        raise ProofError("consistency proof is empty")
    if old & (old - 1) == 0:  # a power of two: the old root is the first node
        proof = [old_root, *proof]
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            raise ProofError("consistency proof is too long")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("consistency proof is too short")
    if fr != old_root:
        raise ProofError("consistency proof does not lead to the old root")
    if sr != new_root:
        raise ProofError("consistency proof does not lead to the new root")
