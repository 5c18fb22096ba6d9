"""Eukaryote gene decoding: an exact dynamic program over exons and introns.

Grammar (per strand, read 5'->3'): intergenic, then a start codon, exons joined by introns that
begin with GT or GC and end with AG, the reading frame (phase) carried across each intron, no
in-frame stop inside an exon, and an in-frame stop closing the last exon. Exons and introns have
minimum lengths. A parse's score is the sum over gene bases of log P(label) - log P(non-coding)
plus the log-odds of the boundary events it uses, minus ``min_score`` per gene (the knob).

The sweep visits only candidate sites (start codons, splice sites whose event probability passes
``site_threshold``, every stop codon) in order, with running maxima for the open exon of each frame
and for the open intron of each phase, so its cost grows with the number of sites, not with the
number of possible exon pairs. Open introns are kept apart by the bases of the codon they split, so
the exon after an intron never completes a stop codon across it.
"""
from __future__ import annotations

import heapq
import itertools
from collections import deque

import numpy as np

from .alphabet import codon_table, reverse_complement_codes
from .decode import EPS, Call, _codon_ids, _ids, _logit
from .genemodel import Transcript
from .probs import Probs
from .labels import CDS1, CDS3, EVENTS, INTERGENIC, INTRON, UTR

NEG = -1e18
_S, _T, _D, _A = (EVENTS.index(x) for x in ("start", "stop", "donor", "acceptor"))


def _strand_genes(c: np.ndarray, region: np.ndarray, events: np.ndarray, *, table: int, min_exon: int,
                  min_intron: int, min_score: float, site_threshold: float, open5: bool, open3: bool
                  ) -> list[tuple[float, list[tuple[int, int]], bool, bool, int]]:
    """(score, exon segments, partial5, partial3, phase) of the best parse of one strand."""
    n = len(c)
    starts_set, stops_set = codon_table(table)
    ids = _codon_ids(c)
    pos = np.arange(n)
    lp0 = np.log(region[INTERGENIC] + region[UTR] + EPS)
    lpc = np.log(region[CDS1 : CDS3 + 1] + EPS)
    S = [np.concatenate([[0.0], np.cumsum(lpc[(pos - f) % 3, pos] - lp0)]) for f in range(3)]
    Ipre = np.concatenate([[0.0], np.cumsum(np.log(region[INTRON] + EPS) - lp0)])
    lo = {k: _logit(events[k]) for k in (_S, _T, _D, _A)}
    is_start = np.isin(ids, _ids(starts_set)) & (events[_S] > site_threshold)
    is_stop = np.isin(ids, _ids(stops_set))
    din = np.full(n, -1, np.int64)
    din[:-1] = np.where((c[:-1] < 4) & (c[1:] < 4), c[:-1].astype(np.int64) * 4 + c[1:], -1)
    GT, GC, AG = 2 * 4 + 3, 2 * 4 + 1, 0 * 4 + 2
    is_donor = ((din == GT) | (din == GC)) & (events[_D] > site_threshold)  # intron starts here
    acc_end = np.zeros(n + 1, bool)  # exon starts at w after an intron ending in AG at w-2, w-1
    acc_end[2:n] = (din[: n - 2] == AG) & (events[_A][1 : n - 1] > site_threshold)

    # sweep over positions that matter
    # (position, order): at one position an exon may end (donor), then exons begin after introns, then a
    # stop codon closes its frame -- so an exon that begins with an in-frame stop is closed at once --
    # and last a gene may begin at a start codon.
    DONOR_K, EXON_K, STOP_K, START_K = 0, 1, 2, 3
    kinds: list[tuple[int, int]] = []
    for x in np.flatnonzero(is_stop):
        kinds.append((int(x), STOP_K))
    for x in np.flatnonzero(is_donor):
        kinds.append((int(x), DONOR_K))
    for x in np.flatnonzero(is_start):
        kinds.append((int(x), START_K))
    for x in np.flatnonzero(acc_end):
        kinds.append((int(x), EXON_K))
    kinds.sort()
    stop_ids = set(int(i) for i in _ids(stops_set))

    best_g, best_g_ptr = 0.0, None  # best complete parse of the prefix: score, pointer to last gene
    pending: list[tuple[int, float, tuple]] = []  # gene ends not yet reached: (end, score, pointer)
    # The open exon of each frame: entries (u, value - S_f[u], ptr) that started since the frame's last
    # stop. Entries old enough (u <= v - min_exon) are folded into a running best; younger ones wait.
    settled: list[tuple[float, tuple | None, int]] = [(NEG, None, -1)] * 3
    young: list[deque[tuple[int, float, tuple]]] = [deque(), deque(), deque()]
    # Open introns, keyed by (phase p, the p bases of the codon the intron splits, as a number): the
    # key lets the exon after the intron refuse a stop codon split by the intron.
    intron_wait: deque[tuple[int, tuple[int, int], float, tuple]] = deque()  # (v, key, value, ptr)
    intron_best: dict[tuple[int, int], tuple[float, tuple]] = {}  # key -> (max of D - Ipre[v], ptr)
    tie = itertools.count()

    def add_start(u: int, f: int, value: float, ptr: tuple) -> None:
        young[f].append((u, value - S[f][u], ptr))

    if open5:
        for f in range(3):
            add_start(f, f, 0.0, ("open5", f, None, 0.0))

    # exons cut by a stop at x may still end at a donor inside that stop codon (v <= x + 2)
    dying: list[tuple[int, tuple[float, tuple | None, int], list]] = [(-10, (NEG, None, -1), [])] * 3

    def _best_of(base: tuple[float, tuple | None, int], entries, v: int) -> tuple[float, tuple | None, int]:
        b = base
        for u, val, ptr in entries:
            if v - u >= min_exon and val > b[0]:
                b = (val, ptr, u)
        return b

    def settle(x: int) -> None:
        """Fold entries that any exon ending at x or later may use into the running bests."""
        for f in range(3):
            q = young[f]
            while q and x - q[0][0] >= min_exon:
                u, val, ptr = q.popleft()
                if val > settled[f][0]:
                    settled[f] = (val, ptr, u)

    def best_exon(f: int, v: int) -> tuple[float, tuple | None, int]:
        """Best open exon of frame f that may end at v >= the sweep position."""
        b = _best_of(settled[f], young[f], v)
        x, dbest, dyoung = dying[f]
        if v <= x + 2:
            d = _best_of(dbest if v - dbest[2] >= min_exon else (NEG, None, -1), dyoung, v)
            if d[0] > b[0]:
                b = d
        return b

    for x, kind in kinds:
        settle(x)
        while pending and pending[0][0] <= x:
            e, sc, _, ptr = heapq.heappop(pending)
            if sc > best_g:
                best_g, best_g_ptr = sc, ptr
        while intron_wait and intron_wait[0][0] + min_intron <= x:
            v, key, val, ptr = intron_wait.popleft()
            if val - Ipre[v] > intron_best.get(key, (NEG, None))[0]:
                intron_best[key] = (val - Ipre[v], ptr)
        if kind == DONOR_K:  # an exon may end at x (intron starts at x)
            for f in range(3):
                b, bp, bu = best_exon(f, x)
                if b > NEG / 2:
                    key = _split_key(c, x, (x - f) % 3)
                    if key is not None:
                        intron_wait.append((x, key, b + S[f][x] + lo[_D][x], ("exon", bu, x, bp)))
        elif kind == STOP_K:  # stop codon at x: closes frame f = x mod 3
            f = x % 3
            b, bp, bu = best_exon(f, x + 3)
            if b > NEG / 2 and x + 3 <= n:
                sc = b + S[f][x + 3] + lo[_T][x] - min_score
                heapq.heappush(pending, (x + 3, sc, next(tie), ("gene", sc, ("exon", bu, x + 3, bp), False)))
            dying[f] = (x, settled[f], list(young[f]))
            settled[f], young[f] = (NEG, None, -1), deque()
        elif kind == START_K:  # a gene begins after the best complete prefix
            add_start(x, x % 3, best_g + lo[_S][x], ("start", x, best_g_ptr, best_g))
        else:  # EXON_K: an exon begins at x after an intron ending at x
            for (p, prefix), (val, ptr) in intron_best.items():
                if p and _joins_to_stop(c, x, p, prefix, stop_ids):
                    continue
                add_start(x, (x - p) % 3, val + Ipre[x] + lo[_A][x - 1], ("intron", x, ptr))
    while pending:
        e, sc, _, ptr = heapq.heappop(pending)
        if sc > best_g:
            best_g, best_g_ptr = sc, ptr
    final_ptr = best_g_ptr
    if open3:
        for f in range(3):
            end = f + 3 * ((n - f) // 3)
            b, bp, bu = best_exon(f, end)
            if b > NEG / 2 and b + S[f][end] - min_score > best_g:
                best_g = b + S[f][end] - min_score
                final_ptr = ("gene", best_g, ("exon", bu, end, bp), True)
    return _trace(final_ptr, min_score)


def _split_key(c: np.ndarray, v: int, p: int) -> tuple[int, int] | None:
    """(p, the p bases before v as a base-4 number) for an intron starting at v; None if one is N."""
    bases = c[v - p : v]
    if (bases > 3).any():
        return None
    return p, int(sum(int(b) * 4 ** (p - 1 - i) for i, b in enumerate(bases)))


def _joins_to_stop(c: np.ndarray, w: int, p: int, prefix: int, stop_ids: set[int]) -> bool:
    """Whether the codon split by an intron -- p bases ``prefix`` before it, 3 - p bases from w after it --
    is a stop codon (or cannot be read: an N, or the record ends)."""
    k = 3 - p
    rest = c[w : w + k]
    if len(rest) < k or (rest > 3).any():
        return True
    codon = prefix * 4 ** k + int(sum(int(b) * 4 ** (k - 1 - i) for i, b in enumerate(rest)))
    return codon in stop_ids


def _trace(ptr, min_score: float) -> list[tuple[float, list[tuple[int, int]], bool, bool, int]]:
    """Follow the pointers back from the last gene: (score, exons, partial5, partial3, phase) in order."""
    genes = []
    while ptr is not None:
        _, end_score, p, open3 = ptr
        exons: list[tuple[int, int]] = []
        while p[0] != "start" and p[0] != "open5":
            if p[0] == "exon":
                exons.append((p[1], p[2]))
                p = p[3]
            else:  # ("intron", x, exon pointer of the exon before the intron)
                p = p[2]
        kind, _, prev_gene, prefix = p
        genes.append((end_score - prefix + min_score, exons[::-1], kind == "open5", open3, 0))
        ptr = prev_gene
    return genes[::-1]


def decode_eukaryote(codes: np.ndarray, probs: Probs, record: str, *, record_length: int, table: int = 1,
                     min_score: float = 0.0, min_exon: int = 3, min_intron: int = 20,
                     site_threshold: float = 0.01) -> list[Call]:
    n = probs.end - probs.start
    calls: list[Call] = []
    for strand in (1, -1):
        if strand == 1:
            c, reg, ev = codes, probs.region[0], probs.events[0]
            o5, o3 = probs.start == 0, probs.end == record_length
        else:
            c, reg, ev = reverse_complement_codes(codes), probs.region[1][:, ::-1], probs.events[1][:, ::-1]
            o5, o3 = probs.end == record_length, probs.start == 0
        for score, exons, p5, p3, phase in _strand_genes(c, np.ascontiguousarray(reg), np.ascontiguousarray(ev),
                                                     table=table, min_exon=min_exon, min_intron=min_intron,
                                                     min_score=min_score, site_threshold=site_threshold,
                                                     open5=o5, open3=o3):
            if strand == 1:
                segs = tuple((probs.start + s, probs.start + e) for s, e in exons)
            else:
                segs = tuple((probs.start + n - e, probs.start + n - s) for s, e in exons)
            calls.append(Call(Transcript("", record, strand, segs, partial5=p5, partial3=p3, phase=phase,
                                         table=table), float(score)))
    calls.sort(key=lambda k: (k.transcript.start, k.transcript.end))
    return calls
