"""k-mer baselines for next-base modelling, in bits per base.

* ``MarkovChain``: the classic order-k chain P(x_t | k bases before) -- a proper likelihood.
* ``TwoSided``: P(x_t | k bases before and k after) -- the fair yardstick for genelstm's next-base
  head, which also sees both sides (an ELMo-style pseudo-likelihood, not a sequence likelihood).

Counts are additive (Laplace-smoothed); sequences are code arrays over ACGTN and any context or
target containing N is skipped. Both strands can be counted by passing reverse complements too.
"""
from __future__ import annotations

from typing import Iterable

import numpy as np

from .alphabet import N_CODE


def _context_ids(codes: np.ndarray, left: int, right: int) -> tuple[np.ndarray, np.ndarray]:
    """(context id, target) for every position with a full N-free window of left+1+right bases."""
    n = len(codes) - left - right
    if n <= 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    c = codes.astype(np.int64)
    ok = np.ones(n, bool)
    ids = np.zeros(n, np.int64)
    for j in list(range(left)) + list(range(left + 1, left + 1 + right)):
        col = c[j : j + n]
        ok &= col != N_CODE
        ids = ids * 4 + np.minimum(col, 3)
    tgt = c[left : left + n]
    ok &= tgt != N_CODE
    return ids[ok], tgt[ok]


class _KmerModel:
    def __init__(self, left: int, right: int, pseudocount: float = 0.5) -> None:
        self.left, self.right, self.pseudo = left, right, pseudocount
        self.counts = np.zeros((4 ** (left + right), 4), np.float64)

    def fit(self, seqs: Iterable[np.ndarray]) -> "_KmerModel":
        for s in seqs:
            ids, tgt = _context_ids(s, self.left, self.right)
            np.add.at(self.counts, (ids, tgt), 1.0)
        return self

    def bits(self, seqs: Iterable[np.ndarray]) -> tuple[float, int]:
        """(total bits, positions scored)."""
        logp = np.log2(self.counts + self.pseudo) - np.log2((self.counts + self.pseudo).sum(1, keepdims=True))
        total, n = 0.0, 0
        for s in seqs:
            ids, tgt = _context_ids(s, self.left, self.right)
            total -= float(logp[ids, tgt].sum())
            n += len(ids)
        return total, n


class MarkovChain(_KmerModel):
    def __init__(self, k: int, pseudocount: float = 0.5) -> None:
        super().__init__(k, 0, pseudocount)


class TwoSided(_KmerModel):
    def __init__(self, k: int, pseudocount: float = 0.5) -> None:
        super().__init__(k, k, pseudocount)


def best_order(kind: type[_KmerModel], train: list[np.ndarray], val: list[np.ndarray],
               orders: Iterable[int]) -> tuple[int, float, dict[int, float]]:
    """Fit each order on ``train`` and pick the one with the fewest bits/base on ``val``.

    Scoring positions differ slightly between orders (edges, Ns); bits/base is per scored position.
    """
    scores = {}
    for k in orders:
        total, n = kind(k).fit(train).bits(val)
        scores[k] = total / max(n, 1)
    k = min(scores, key=scores.get)
    return k, scores[k], scores
