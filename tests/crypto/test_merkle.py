"""RFC 9162 section 2.1 hashing and proofs, against the Certificate Transparency vectors.

The published roots, inclusion and consistency proofs for the eight reference leaves of
RFC 6962's test suite (unchanged by RFC 9162), and for larger trees a second computation
written straight from the RFC's recursive definitions (MTH, PATH, PROOF).
"""

from __future__ import annotations

import hashlib

import pytest

from app.crypto import merkle
from app.crypto.merkle import ProofError

LEAVES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
INCLUSION = [  # (0-based leaf index, tree size, proof)
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        3,
        ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
    ),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]
CONSISTENCY = [  # (old size, new size, proof)
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]


# -- the RFC's definitions, recursively, as a second implementation -------------------------


def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(data: list[bytes]) -> bytes:
    n = len(data)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + data[0]).digest()
    k = _k(n)
    return hashlib.sha256(b"\x01" + mth(data[:k]) + mth(data[k:])).digest()


def path(m: int, data: list[bytes]) -> list[bytes]:
    n = len(data)
    if n == 1:
        return []
    k = _k(n)
    if m < k:
        return path(m, data[:k]) + [mth(data[k:])]
    return path(m - k, data[k:]) + [mth(data[:k])]


def subproof(m: int, data: list[bytes], whole: bool) -> list[bytes]:
    n = len(data)
    if m == n:
        return [] if whole else [mth(data)]
    k = _k(n)
    if m <= k:
        return subproof(m, data[:k], whole) + [mth(data[k:])]
    return subproof(m - k, data[k:], False) + [mth(data[:k])]


def store_of(data: list[bytes]):
    """subtree(a, b) for the proof producers, from the leaf data."""
    return lambda start, end: mth(data[start:end])


# -- tests ------------------------------------------------------------------------------------


def test_roots_match_the_published_vectors_for_every_size():
    frontier: list[bytes] = []
    assert merkle.frontier_root(frontier).hex() == ROOTS[0]
    for size, data in enumerate(LEAVES, start=1):
        merkle.append_leaf(frontier, size - 1, merkle.leaf_hash(data))
        assert merkle.frontier_root(frontier).hex() == ROOTS[size]
        assert merkle.root_of(map(merkle.leaf_hash, LEAVES[:size])) == (
            size,
            bytes.fromhex(ROOTS[size]),
        )


@pytest.mark.parametrize("index, size, proof", INCLUSION)
def test_inclusion_proofs_match_the_published_vectors(index, size, proof):
    produced = merkle.inclusion_proof(index, size, store_of(LEAVES[:size]))
    assert [p.hex() for p in produced] == proof
    merkle.verify_inclusion(
        merkle.leaf_hash(LEAVES[index]), index, size, produced, bytes.fromhex(ROOTS[size])
    )


@pytest.mark.parametrize("old, new, proof", CONSISTENCY)
def test_consistency_proofs_match_the_published_vectors(old, new, proof):
    produced = merkle.consistency_proof(old, new, store_of(LEAVES[:new]))
    assert [p.hex() for p in produced] == proof
    merkle.verify_consistency(
        old, new, bytes.fromhex(ROOTS[old]), bytes.fromhex(ROOTS[new]), produced
    )


def test_larger_trees_agree_with_the_recursive_definitions():
    data = [bytes([i, i * 7 % 256]) for i in range(37)]
    for n in range(1, len(data) + 1):
        tree = data[:n]
        root = mth(tree)
        assert merkle.root_of(map(merkle.leaf_hash, tree)) == (n, root)
        for m in range(n):
            produced = merkle.inclusion_proof(m, n, store_of(tree))
            assert produced == path(m, tree)
            merkle.verify_inclusion(merkle.leaf_hash(tree[m]), m, n, produced, root)
        for old in range(1, n + 1):
            produced = merkle.consistency_proof(old, n, store_of(tree))
            assert produced == subproof(old, tree, True)
            merkle.verify_consistency(old, n, mth(data[:old]), root, produced)


def test_perfect_subtrees_cover_a_range_exactly():
    for start in range(0, 20):
        for end in range(start, 40):
            parts = merkle.perfect_subtrees(start, end)
            covered = []
            for level, index in parts:
                covered.extend(range(index << level, (index + 1) << level))
            assert covered == list(range(start, end))


def test_a_wrong_leaf_index_size_or_root_is_refused():
    tree = LEAVES
    root = bytes.fromhex(ROOTS[8])
    proof = merkle.inclusion_proof(5, 8, store_of(tree))
    leaf = merkle.leaf_hash(tree[5])
    for args in (
        (merkle.leaf_hash(b"forged"), 5, 8, proof, root),
        (leaf, 4, 8, proof, root),
        (leaf, 5, 6, proof, root),
        (leaf, 5, 8, proof[:-1], root),
        (leaf, 5, 8, [*proof, proof[0]], root),
        (leaf, 5, 8, proof, bytes.fromhex(ROOTS[7])),
        (leaf, 8, 8, proof, root),
    ):
        with pytest.raises(ProofError):
            merkle.verify_inclusion(*args)


def test_a_rewritten_or_truncated_history_is_not_consistent():
    old_root = bytes.fromhex(ROOTS[6])
    new_root = bytes.fromhex(ROOTS[8])
    proof = merkle.consistency_proof(6, 8, store_of(LEAVES))
    rewritten = [b"rewritten", *LEAVES[1:]]
    forged_proof = merkle.consistency_proof(6, 8, store_of(rewritten))
    with pytest.raises(ProofError):
        merkle.verify_consistency(6, 8, old_root, mth(rewritten), forged_proof)
    with pytest.raises(ProofError):
        merkle.verify_consistency(6, 8, old_root, new_root, proof[1:])
    with pytest.raises(ProofError):  # a "new" tree smaller than the old: rolled back
        merkle.consistency_proof(8, 6, store_of(LEAVES))
