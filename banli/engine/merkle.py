"""The Merkle tree of Certificate Transparency (RFC 6962, RFC 9162 §2.1): leaf and node hashes,
the tree head of n leaves, and consistency proofs between two sizes of one append-only log.

Pure functions over 32-byte SHA-256 digests. A tree is given either as its leaf hashes or as
an oracle `subtree(start, end)` answering MTH(D[start:end]) for the nodes a proof needs, so
that a log too large to hold in memory can answer from the subtree heads it kept.
"""

from __future__ import annotations

import hashlib
from typing import Callable, Sequence

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
EMPTY_ROOT = hashlib.sha256(b"").digest()  # MTH({}) = SHA-256() (RFC 9162 §2.1.1)

Subtree = Callable[[int, int], bytes]


def leaf_hash(data: bytes) -> bytes:
    """MTH({d}) = SHA-256(0x00 || d)."""
    return hashlib.sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right)."""
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def split_point(n: int) -> int:
    """k, the largest power of two smaller than n (n > 1): the size of a node's left subtree."""
    return 1 << ((n - 1).bit_length() - 1)


def root_of(nodes: Sequence[bytes]) -> bytes:
    """The head of the tree whose lowest level is `nodes`: MTH(D[n]) for leaf hashes, or the
    head above consecutive equal-sized aligned subtree heads (the last may be smaller).

    Bottom-up, an unpaired last node moves up a level unchanged: that is the RFC's split at
    the largest power of two, without recursion."""
    if not nodes:
        return EMPTY_ROOT
    level = list(nodes)
    sha256, prefix = hashlib.sha256, NODE_PREFIX
    while len(level) > 1:
        paired = [sha256(prefix + left + right).digest() for left, right in zip(level[0::2], level[1::2])]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def consistency_proof(first: int, second: int, subtree: Subtree) -> list[bytes]:
    """PROOF(first, D[second]) of RFC 9162 §2.1.4.1, for 0 < first <= second; `subtree(a, b)`
    gives MTH(D[a:b]) of the tree of `second` leaves."""
    if not 0 < first <= second:
        raise ValueError(f"no consistency proof from size {first} to size {second}")
    proof: list[bytes] = []
    _subproof(first, 0, second, True, subtree, proof)
    return proof


def _subproof(m: int, start: int, end: int, whole: bool, subtree: Subtree, proof: list[bytes]) -> None:
    """SUBPROOF(m, D[start:end], whole), appended to `proof` in the RFC's order."""
    n = end - start
    if m == n:
        if not whole:
            proof.append(subtree(start, end))
        return
    k = split_point(n)
    if m <= k:
        _subproof(m, start, start + k, whole, subtree, proof)
        proof.append(subtree(start + k, end))
    else:
        _subproof(m - k, start + k, end, False, subtree, proof)
        proof.append(subtree(start, start + k))


def verify_consistency(first: int, second: int, first_hash: bytes, second_hash: bytes,
                       path: Sequence[bytes]) -> bool:
    """RFC 9162 §2.1.4.2: does `path` prove the tree of `first` leaves with head `first_hash` a
    prefix of the tree of `second` leaves with head `second_hash`? Equal sizes need equal
    heads and an empty path; every log extends the empty one."""
    if first == 0:
        return first_hash == EMPTY_ROOT and not path
    if first == second:
        return first_hash == second_hash and not path
    if not 0 < first < second or not path:
        return False
    path = list(path)
    if first & (first - 1) == 0:  # an exact power of 2: the old tree is a node of the new one
        path.insert(0, first_hash)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == first_hash and sr == second_hash and sn == 0


class SubtreeLog:
    """A log known by the heads of its aligned `width`-leaf subtrees (width a power of two),
    the leaves after the last complete one (`tail`), and the leaves of a few subtrees
    (`leaves_of`, by number): enough to give its head, and the nodes a consistency proof from
    a size inside one of those subtrees, or a multiple of `width`, needs."""

    def __init__(self, width: int, heads: list[bytes], tail: list[bytes],
                 leaves_of: dict[int, list[bytes]] | None = None) -> None:
        self.width, self.heads, self.tail = width, heads, tail
        self.leaves_of = leaves_of or {}
        self.size = len(heads) * width + len(tail)

    def root(self) -> bytes:
        return root_of(self.heads + ([root_of(self.tail)] if self.tail else []))

    def subtree(self, start: int, end: int) -> bytes:
        """MTH(D[start:end]) for a node of this log's tree."""
        width = self.width
        first, last = start // width, (end - 1) // width
        if first == last:
            if end - start == width:
                return self.heads[first]
            leaves = self.tail if first == len(self.heads) else self.leaves_of.get(first)
            if leaves is None:
                raise LookupError(f"the leaves of subtree {first} were not kept")
            return root_of(leaves[start - first * width:end - first * width])
        if start % width:
            raise LookupError(f"[{start}, {end}) is not a node of the tree")
        nodes = self.heads[first:last + 1]
        if last == len(self.heads):  # the node ends with the log (the right edge of the tree)
            nodes.append(root_of(self.tail))
        return root_of(nodes)

    def heads_at(self, width: int) -> list[bytes]:
        """The heads of this log's aligned `width`-leaf subtrees (a multiple of its own width),
        the last one over whatever leaves follow the last complete one."""
        ratio = width // self.width
        nodes = self.heads + ([root_of(self.tail)] if self.tail else [])
        return [root_of(nodes[index:index + ratio]) for index in range(0, len(nodes), ratio)]
