"""The Merkle tree is Certificate Transparency's: the published RFC 6962 tree heads and
consistency proofs, every proof between two sizes of a log verifies, and any change to a leaf
the old tree covered, or to the proof, makes it fail."""

from __future__ import annotations

import hashlib

import pytest

from banli.engine.merkle import (EMPTY_ROOT, consistency_proof, leaf_hash, node_hash, root_of, split_point,
                                 verify_consistency)

# RFC 6962 test data as published with Certificate Transparency's reference implementations
ENTRIES = [bytes.fromhex(text) for text in
           ("", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f")]
ROOTS = ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
         "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
         "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
         "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
         "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
         "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
         "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
         "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"]
PROOFS = {(2, 8): ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                   "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"],
          (2, 5): ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                   "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]}
LEAVES = [leaf_hash(entry) for entry in ENTRIES]
MANY = [leaf_hash(b"row %d" % number) for number in range(70)]


def mth(leaves: list[bytes]) -> bytes:
    """MTH as RFC 9162 §2.1.1 defines it, recursively: the reference the fast paths must equal."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = split_point(len(leaves))
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


def oracle(leaves: list[bytes]):
    return lambda start, end: mth(leaves[start:end])


def test_tree_heads_are_the_published_ones():
    assert root_of([]) == EMPTY_ROOT == bytes.fromhex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    assert [root_of(LEAVES[:n]).hex() for n in range(1, 9)] == ROOTS


def test_consistency_proofs_are_the_published_ones():
    for (first, second), expected in PROOFS.items():
        proof = consistency_proof(first, second, oracle(LEAVES))
        assert [node.hex() for node in proof] == expected
        assert verify_consistency(first, second, bytes.fromhex(ROOTS[first - 1]), bytes.fromhex(ROOTS[second - 1]),
                                  proof)


def test_the_bottom_up_head_is_the_recursive_one_at_every_size():
    assert [root_of(MANY[:n]) for n in range(71)] == [mth(MANY[:n]) for n in range(71)]


def test_heads_of_aligned_subtrees_give_the_tree_head():
    """What a checkpoint keeps: the heads of consecutive 4-leaf subtrees (the last one shorter)."""
    for n in range(1, 71):
        heads = [mth(MANY[start:min(start + 4, n)]) for start in range(0, n, 4)]
        assert root_of(heads) == mth(MANY[:n]), n


def test_every_proof_between_two_sizes_verifies():
    roots = [mth(MANY[:n]) for n in range(71)]
    for second in range(1, 71):
        for first in range(1, second + 1):
            proof = consistency_proof(first, second, oracle(MANY[:second]))
            assert verify_consistency(first, second, roots[first], roots[second], proof), (first, second)
    assert verify_consistency(0, 9, EMPTY_ROOT, roots[9], [])


@pytest.mark.parametrize("changed", [0, 4, 12, 16, 23], ids=lambda index: f"leaf-{index}")
def test_a_changed_leaf_the_old_tree_covers_fails_every_proof(changed):
    """A log that rewrote row `changed` cannot prove that it extends a tree taken before."""
    old_roots = [mth(MANY[:n]) for n in range(71)]
    rewritten = list(MANY)
    rewritten[changed] = leaf_hash(b"rewritten")
    for second in range(changed + 1, 40):
        for first in range(changed + 1, second + 1):
            proof = consistency_proof(first, second, oracle(rewritten[:second]))
            assert not verify_consistency(first, second, old_roots[first], mth(rewritten[:second]), proof)


def test_a_mangled_proof_fails():
    roots = [mth(MANY[:n]) for n in range(71)]
    for second in range(2, 40):
        for first in range(1, second):
            proof = consistency_proof(first, second, oracle(MANY[:second]))
            flipped = [bytes([proof[0][0] ^ 1]) + proof[0][1:]] + proof[1:]
            for bad in (flipped, proof[:-1], proof + [b"\xcd" * 32], []):
                assert not verify_consistency(first, second, roots[first], roots[second], bad), (first, second)
    assert not verify_consistency(4, 4, roots[4], roots[5], [])
    assert not verify_consistency(5, 4, roots[5], roots[4], [roots[4]])
    assert not verify_consistency(0, 8, roots[1], roots[8], [])


def test_no_proof_from_a_larger_or_empty_tree():
    with pytest.raises(ValueError):
        consistency_proof(5, 4, oracle(MANY))
    with pytest.raises(ValueError):
        consistency_proof(0, 4, oracle(MANY))


@pytest.mark.parametrize("width", [1, 4, 8])
def test_a_log_known_by_its_subtree_heads_gives_every_proof(width):
    """What verify keeps of a large log (the heads of aligned subtrees, the leaves after them,
    the leaves of the subtree an old size falls in) answers every node a proof asks for."""
    from banli.engine.merkle import SubtreeLog

    for second in range(1, 60):
        leaves = MANY[:second]
        whole = second - second % width
        heads = [mth(leaves[start:start + width]) for start in range(0, whole, width)]
        for first in range(1, second + 1):
            kept = {} if first % width == 0 else {first // width: leaves[first // width * width:][:width]}
            log = SubtreeLog(width, heads, leaves[whole:], kept)
            assert log.size == second and log.root() == mth(leaves)
            proof = consistency_proof(first, second, log.subtree)
            assert proof == consistency_proof(first, second, oracle(leaves)), (first, second)
            heads_at = log.heads_at(width * 2)
            assert heads_at == [mth(leaves[start:start + width * 2]) for start in range(0, second, width * 2)]
            assert root_of(heads_at) == mth(leaves)
