"""Eukaryote gene decoding: an exact dynamic program over exons and introns.

Grammar (per strand, read 5'->3'): intergenic, then a start codon, exons joined by introns that
begin with GT or GC and end with AG, the reading frame (phase) carried across each intron, no
in-frame stop inside an exon, and an in-frame stop closing the last exon. Exons and introns have
minimum lengths. A parse's score is the sum over gene bases of log P(label) - log P(non-coding)
plus the log-odds of the boundary events it uses, minus ``min_score`` per gene (the knob), minus
``inner_start_penalty`` for a gene that starts at an inner ATG of its open stretch (see _inner_starts).

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

from .alphabet import EUKARYOTE_STARTS, codon_table, reverse_complement_codes
from .decode import PROB_FLOOR, Call, _codon_ids, _ids, _is_codon, _logit
from .genemodel import Transcript
from .probs import Probs
from .labels import CDS1, CDS3, EVENTS, INTERGENIC, INTRON, UTR

NEG = -1e18
_S, _T, _D, _A = (EVENTS.index(x) for x in ("start", "stop", "donor", "acceptor"))


def _strand_genes(c: np.ndarray, region: np.ndarray, events: np.ndarray, *, table: int, min_exon: int,
                  min_intron: int, min_score: float, site_threshold: float, open5: bool, open3: bool,
                  inner_start_penalty: float = 0.0, floor: float = PROB_FLOOR
                  ) -> list[tuple[float, list[tuple[int, int]], bool, bool, int]]:
    """(score, exon segments, partial5, partial3, phase) of the best parse of one strand."""
    sweep = _Sweep(c, region, events, table=table, min_exon=min_exon, min_intron=min_intron,
                   min_score=min_score, site_threshold=site_threshold, inner_start_penalty=inner_start_penalty,
                   floor=floor)
    if open5:
        sweep.open_start()
    for x, kind in sweep.sites():
        sweep.advance(x)
        if kind == DONOR:
            sweep.exon_ends(x)
        elif kind == EXON:
            sweep.exon_begins(x)
        elif kind == STOP:
            sweep.stop_codon(x)
        else:
            sweep.start_codon(x)
    return _trace(sweep.finish(open3), min_score)


#: what can happen at one position, in the order it is handled there: an exon may end (donor), exons
#: begin after introns, a stop codon closes its frame -- so an exon that begins with an in-frame stop is
#: closed at once -- and last a gene may begin at a start codon
DONOR, EXON, STOP, START = 0, 1, 2, 3


class _Sweep:
    """The dynamic program of one strand, visited site by site from 5' to 3'.

    State: the best complete parse of the prefix (``best_g``); gene ends not reached yet (``pending``);
    per frame, the open exons (``young`` entries become ``settled`` once they are ``min_exon`` long,
    and a stop codon moves them to ``dying``, where an exon may still end at a donor inside the stop);
    open introns, waiting ``min_intron`` bases, then kept per (phase, bases of the split codon) so the
    exon after the intron never completes a stop codon across it. Pointers chain back through exons,
    introns and starts to the previous gene (see ``_trace``).
    """

    def __init__(self, c: np.ndarray, region: np.ndarray, events: np.ndarray, *, table: int, min_exon: int,
                 min_intron: int, min_score: float, site_threshold: float, inner_start_penalty: float = 0.0,
                 floor: float = PROB_FLOOR) -> None:
        self.c, self.n = c, len(c)
        self.min_exon, self.min_intron, self.min_score = min_exon, min_intron, min_score
        self._scores(region, events, floor)
        self._site_masks(events, table, site_threshold)
        if inner_start_penalty:
            self.lo[_S] = self.lo[_S] - inner_start_penalty * _inner_starts(self.is_atg, self.is_stop)
        self.best_g, self.best_g_ptr = 0.0, None
        self.pending: list[tuple[int, float, int, tuple]] = []  # (end, score, tie, pointer)
        self.settled: list[tuple[float, tuple | None, int]] = [(NEG, None, -1)] * 3
        self.young: list[deque[tuple[int, float, tuple]]] = [deque(), deque(), deque()]
        self.dying: list[tuple[int, tuple[float, tuple | None, int], list]] = [(-10, (NEG, None, -1), [])] * 3
        self.intron_wait: deque[tuple[int, tuple[int, int], float, tuple]] = deque()  # (v, key, value, ptr)
        self.intron_best: dict[tuple[int, int], tuple[float, tuple]] = {}  # key -> (max of D - Ipre[v], ptr)
        self.tie = itertools.count()

    # -- scores and candidate sites
    def _scores(self, region: np.ndarray, events: np.ndarray, floor: float) -> None:
        """Prefix sums of per-base log-odds against non-coding: coding in each frame, intron; event logits
        (``floor`` added to each probability, as in decode.evidence_arrays)."""
        pos = np.arange(self.n)
        lp0 = np.log(region[INTERGENIC] + region[UTR] + floor)
        lpc = np.log(region[CDS1 : CDS3 + 1] + floor)
        self.S = [np.concatenate([[0.0], np.cumsum(lpc[(pos - f) % 3, pos] - lp0)]) for f in range(3)]
        self.Ipre = np.concatenate([[0.0], np.cumsum(np.log(region[INTRON] + floor) - lp0)])
        self.lo = {k: _logit(events[k], floor) for k in (_S, _T, _D, _A)}

    def _site_masks(self, events: np.ndarray, table: int, site_threshold: float) -> None:
        c, n = self.c, self.n
        _, stops_set = codon_table(table)
        ids = _codon_ids(c)
        self.stop_ids = set(int(i) for i in _ids(stops_set))
        self.is_atg = _is_codon(ids, EUKARYOTE_STARTS)
        self.is_start = self.is_atg & (events[_S] > site_threshold)
        self.is_stop = _is_codon(ids, stops_set)
        din = np.full(n, -1, np.int64)
        din[:-1] = np.where((c[:-1] < 4) & (c[1:] < 4), c[:-1].astype(np.int64) * 4 + c[1:], -1)
        gt, gc, ag = 2 * 4 + 3, 2 * 4 + 1, 0 * 4 + 2
        self.is_donor = ((din == gt) | (din == gc)) & (events[_D] > site_threshold)  # intron starts here
        self.acc_end = np.zeros(n + 1, bool)  # an exon starts at w after an intron ending in AG at w-2, w-1
        self.acc_end[2:n] = (din[: n - 2] == ag) & (events[_A][1 : n - 1] > site_threshold)

    def sites(self) -> list[tuple[int, int]]:
        """(position, kind) of every site, in the order the sweep handles them."""
        kinds = [(int(x), k) for mask, k in ((self.is_stop, STOP), (self.is_donor, DONOR), (self.is_start, START),
                                              (self.acc_end, EXON)) for x in np.flatnonzero(mask)]
        return sorted(kinds)

    # -- the running maxima
    def advance(self, x: int) -> None:
        """Bring every running maximum up to position x: exons old enough, genes ended, introns long enough."""
        for f in range(3):
            q = self.young[f]
            while q and x - q[0][0] >= self.min_exon:
                u, val, ptr = q.popleft()
                if val > self.settled[f][0]:
                    self.settled[f] = (val, ptr, u)
        while self.pending and self.pending[0][0] <= x:
            _, sc, _, ptr = heapq.heappop(self.pending)
            if sc > self.best_g:
                self.best_g, self.best_g_ptr = sc, ptr
        while self.intron_wait and self.intron_wait[0][0] + self.min_intron <= x:
            v, key, val, ptr = self.intron_wait.popleft()
            if val - self.Ipre[v] > self.intron_best.get(key, (NEG, None))[0]:
                self.intron_best[key] = (val - self.Ipre[v], ptr)

    def _add_exon_start(self, u: int, f: int, value: float, ptr: tuple) -> None:
        self.young[f].append((u, value - self.S[f][u], ptr))

    def _best_of(self, base: tuple[float, tuple | None, int], entries, v: int) -> tuple[float, tuple | None, int]:
        b = base
        for u, val, ptr in entries:
            if v - u >= self.min_exon and val > b[0]:
                b = (val, ptr, u)
        return b

    def best_exon(self, f: int, v: int) -> tuple[float, tuple | None, int]:
        """Best open exon of frame f that may end at v (>= the sweep position): value, pointer, start."""
        b = self._best_of(self.settled[f], self.young[f], v)
        x, dbest, dyoung = self.dying[f]
        if v <= x + 2:  # an exon cut by the stop at x may still end at a donor inside that codon
            d = self._best_of(dbest if v - dbest[2] >= self.min_exon else (NEG, None, -1), dyoung, v)
            if d[0] > b[0]:
                b = d
        return b

    # -- the events
    def open_start(self) -> None:
        """The strand's 5' end is a block edge: a gene may already be running there, in any frame."""
        for f in range(3):
            self._add_exon_start(f, f, 0.0, ("open5", f, None, 0.0))

    def exon_ends(self, x: int) -> None:
        """A donor at x: the best exon of each frame may end here and an intron begin."""
        for f in range(3):
            b, bp, bu = self.best_exon(f, x)
            if b > NEG / 2:
                key = _split_key(self.c, x, (x - f) % 3)
                if key is not None:
                    self.intron_wait.append((x, key, b + self.S[f][x] + self.lo[_D][x], ("exon", bu, x, bp)))

    def exon_begins(self, x: int) -> None:
        """An acceptor ends at x: an exon may begin after each open intron whose split codon is no stop."""
        for (p, prefix), (val, ptr) in self.intron_best.items():
            if p and _joins_to_stop(self.c, x, p, prefix, self.stop_ids):
                continue
            self._add_exon_start(x, (x - p) % 3, val + self.Ipre[x] + self.lo[_A][x - 1], ("intron", x, ptr))

    def stop_codon(self, x: int) -> None:
        """A stop codon at x ends a gene in frame x mod 3 and closes that frame's open exons."""
        f = x % 3
        b, bp, bu = self.best_exon(f, x + 3)
        if b > NEG / 2 and x + 3 <= self.n:
            sc = b + self.S[f][x + 3] + self.lo[_T][x] - self.min_score
            heapq.heappush(self.pending, (x + 3, sc, next(self.tie), ("gene", sc, ("exon", bu, x + 3, bp), False)))
        self.dying[f] = (x, self.settled[f], list(self.young[f]))
        self.settled[f], self.young[f] = (NEG, None, -1), deque()

    def start_codon(self, x: int) -> None:
        """A gene may begin at x, after the best complete parse of the prefix."""
        self._add_exon_start(x, x % 3, self.best_g + self.lo[_S][x], ("start", x, self.best_g_ptr, self.best_g))

    def finish(self, open3: bool) -> tuple | None:
        """Pointer to the last gene of the best parse; with ``open3`` a gene may run off the 3' end."""
        while self.pending:
            _, sc, _, ptr = heapq.heappop(self.pending)
            if sc > self.best_g:
                self.best_g, self.best_g_ptr = sc, ptr
        final_ptr = self.best_g_ptr
        if open3:
            for f in range(3):
                end = f + 3 * ((self.n - f) // 3)
                b, bp, bu = self.best_exon(f, end)
                if b > NEG / 2 and b + self.S[f][end] - self.min_score > self.best_g:
                    self.best_g = b + self.S[f][end] - self.min_score
                    final_ptr = ("gene", self.best_g, ("exon", bu, end, bp), True)
        return final_ptr


def _inner_starts(is_atg: np.ndarray, is_stop: np.ndarray) -> np.ndarray:
    """Per position: whether an ATG there (``is_atg``) has another ATG in frame upstream before the previous
    in-frame stop (``is_stop``).

    Ribosomes scan an mRNA from its 5' end and mostly begin at the first ATG they meet, so a gene rarely starts
    at an inner ATG of its open stretch (94% of the Komagataella training genes start at the first one); the
    decoder's ``inner_start_penalty`` is charged there."""
    n = len(is_atg)
    out = np.zeros(n, bool)
    for f in range(3):
        grid = np.arange(f, n, 3)
        at = np.flatnonzero(is_atg[grid])
        stretch = np.cumsum(is_stop[grid])[at]  # which stop-free stretch each ATG lies in
        first = np.r_[True, stretch[1:] != stretch[:-1]] if len(at) else np.zeros(0, bool)
        out[grid[at[~first]]] = True
    return out


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
                     site_threshold: float = 0.01, inner_start_penalty: float = 0.0,
                     prob_floor: float = PROB_FLOOR) -> list[Call]:
    """Genes in the block ``probs`` covers (``codes`` are its bases); genes start with ATG
    (alphabet.EUKARYOTE_STARTS), their stops are the translation table's; a start at an inner ATG of its
    open stretch costs ``inner_start_penalty`` (see _inner_starts)."""
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
                                                     open5=o5, open3=o3, inner_start_penalty=inner_start_penalty,
                                                     floor=prob_floor):
            if strand == 1:
                segs = tuple((probs.start + s, probs.start + e) for s, e in exons)
            else:
                segs = tuple((probs.start + n - e, probs.start + n - s) for s, e in exons)
            calls.append(Call(Transcript("", record, strand, segs, partial5=p5, partial3=p3, phase=phase,
                                         table=table), float(score)))
    calls.sort(key=lambda k: (k.transcript.start, k.transcript.end))
    return calls
