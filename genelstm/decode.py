"""From per-base probabilities to gene models: an exact dynamic program over a gene grammar.

Prokaryote grammar: a gene is an ORF of the translation table -- a start codon, in-frame sense
codons, an in-frame stop -- at least ``min_length`` long; genes may overlap by at most
``max_overlap`` bases. A gene's score is the sum over its bases of log P(its codon position) -
log P(non-coding), plus the log-odds of the start (weighted, see START_WEIGHT) and stop events at its ends. For each stop the
best-scoring start is taken (with, optionally, a few of its shorter ORFs, scored just below it, so a gene
whose chosen start overlaps a neighbour too far can still be called from a later start, as Prodigal's
dynamic program allows), then the set of genes with the largest total score is found exactly by weighted
interval scheduling. ``min_score`` is the one knob: raise it for precision, lower it for
sensitivity; a gene-length prior (``length_prior``) raises it further for short genes, where most
open reading frames are not genes. ORFs cut by a record end are kept as partial genes.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .alphabet import codon_table, reverse_complement_codes
from .genemodel import Transcript
from .probs import Probs
from .labels import CDS1, CDS3, INTERGENIC, INTRON, UTR, EVENTS

#: Default probability floor (checkpoints may carry their own, ``decoder.prob_floor``): added to every
#: probability before its log, it bounds a base's log-odds at about log(1 / floor).
PROB_FLOOR = 1e-5
#: Default weight of the start event's log-odds in a gene's score, for checkpoints without tuned decoder
#: settings (a gene's coding evidence is a sum over hundreds of bases, so with weight 1 the start head could
#: hardly move the start). Bundled models carry their own weight, chosen on validation genomes
#: (predict.decoder_options).
START_WEIGHT = 128.0
_START_I, _STOP_I = EVENTS.index("start"), EVENTS.index("stop")


@dataclass(frozen=True)
class Call:
    """A predicted gene: its model and score."""

    transcript: Transcript
    score: float


def _codon_ids(c: np.ndarray) -> np.ndarray:
    """Codon index 0-63 starting at each base (-1 where an N is in it or the sequence ends)."""
    n = len(c)
    ids = np.full(n, -1, np.int64)
    if n >= 3:
        a, b, d = c[:-2].astype(np.int64), c[1:-1].astype(np.int64), c[2:].astype(np.int64)
        ok = (a < 4) & (b < 4) & (d < 4)
        ids[: n - 2] = np.where(ok, a * 16 + b * 4 + d, -1)
    return ids


def _ids(codons: frozenset[str]) -> np.ndarray:
    return np.array([sum("ACGT".index(ch) * 4 ** (2 - i) for i, ch in enumerate(cd)) for cd in codons])


def _is_codon(ids: np.ndarray, codons: frozenset[str]) -> np.ndarray:
    """Per position: does a codon of ``codons`` begin here (``ids`` from _codon_ids; -1 never matches).
    A table lookup: np.isin sorts, and this runs on every base of every strand decoded."""
    table = np.zeros(65, bool)
    table[_ids(codons)] = True
    return table[ids]  # -1 reads table[64], which stays False


def _logit(p: np.ndarray, floor: float) -> np.ndarray:
    return np.log(p + floor) - np.log(1 - p + floor)


@dataclass
class Evidence:
    """The network's evidence for one strand, in that strand's own 5'->3' orientation.

    ``cod[k, i]``: log P(base i is codon position k+1) - log P(base i is non-coding); ``start``/``stop``:
    log-odds of a start/stop codon beginning at i. Optional genome-specific terms learned by
    self-training (``selftrain``): ``coding_extra[i]`` is added once per codon beginning at i, and
    ``start_extra[i]`` to a gene starting at i. Choosing among the start codons a stop offers,
    ``coding_extra`` counts ``choice_share`` of its weight (see selftrain.Weights.choice_share) and
    ``choice_start[i]`` is added to a start at i (selftrain.Weights.start_parts); the gene's score,
    once its start is chosen, counts ``coding_extra`` in full and not ``choice_start``.
    """

    cod: np.ndarray
    start: np.ndarray
    stop: np.ndarray
    coding_extra: np.ndarray | None = None
    start_extra: np.ndarray | None = None
    #: ``coding_extra`` counts from this many bases after a gene's start: the first codons of real genes
    #: are atypical, and counting them would pull starts downstream
    extra_skip: int = 0
    choice_share: float = 1.0
    choice_start: np.ndarray | None = None
    #: (length, floor): in the score of a gene at least ``length`` bases long, ``coding_extra``'s sum counts
    #: no less than ``floor`` (see selftrain.Weights.coding_floor); None: no floor
    extra_floor: tuple[int, float] | None = None
    #: the network's start-choice logits (model.GeneLSTM.choice_head), or None: choosing among a stop's
    #: starts, they stand in for ``start`` (see _candidates' ``choice_weight``)
    start_choice: np.ndarray | None = None
    #: choosing among a stop's starts, each codon from the start to the stop adds this much (see
    #: selftrain.Weights.length); the gene's score, once its start is chosen, does not count it
    choice_per_codon: float = 0.0

    def __len__(self) -> int:
        return self.cod.shape[1]

    def slice(self, a: int, b: int) -> "Evidence":
        cut = lambda x: None if x is None else x[..., a:b]  # noqa: E731
        return Evidence(self.cod[:, a:b], self.start[a:b], self.stop[a:b], cut(self.coding_extra),
                        cut(self.start_extra), self.extra_skip, self.choice_share, cut(self.choice_start),
                        self.extra_floor, cut(self.start_choice), self.choice_per_codon)


def evidence_arrays(probs: Probs, floor: float = PROB_FLOOR
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """Genome-oriented (cod (2, 3, n), start (2, n), stop (2, n)) log-odds from probabilities (see Evidence),
    and the start-choice logits (2, n) where the model has that head (else None).

    ``floor`` is added to every probability before its log (the model's ``decoder.prob_floor``, through
    predict.PredictOptions): it bounds a base's log-odds at about log(1 / floor), so one overconfident base
    cannot outweigh a gene."""
    region, events = probs.region, probs.events
    lp0 = np.log(region[:, INTERGENIC] + region[:, INTRON] + region[:, UTR] + floor)
    cod = np.log(region[:, CDS1 : CDS3 + 1] + floor) - lp0[:, None, :]
    return cod, _logit(events[:, _START_I], floor), _logit(events[:, _STOP_I], floor), probs.choice


def strand_evidence(probs: Probs, floor: float = PROB_FLOOR, dtype=np.float32) -> tuple[Evidence, Evidence]:
    """(forward, reverse) evidence from per-base probabilities; the reverse one is read right to left."""
    return oriented(*evidence_arrays(probs, floor), dtype=dtype)


def oriented(cod: np.ndarray, start: np.ndarray, stop: np.ndarray, choice: np.ndarray | None = None,
             dtype=np.float32) -> tuple[Evidence, Evidence]:
    """Per-strand Evidence from genome-oriented arrays (the reverse track is reversed)."""
    ch = (None, None) if choice is None else (np.ascontiguousarray(choice[0], dtype),
                                              np.ascontiguousarray(choice[1][::-1], dtype))
    fwd = Evidence(np.ascontiguousarray(cod[0], dtype), np.ascontiguousarray(start[0], dtype),
                   np.ascontiguousarray(stop[0], dtype), start_choice=ch[0])
    rev = Evidence(np.ascontiguousarray(cod[1][:, ::-1], dtype), np.ascontiguousarray(start[1][::-1], dtype),
                   np.ascontiguousarray(stop[1][::-1], dtype), start_choice=ch[1])
    return fwd, rev


def _floored(extra, length, floor: tuple[int, float] | None):
    """A gene's ``coding_extra`` sum with ``Evidence.extra_floor`` applied (arrays or scalars)."""
    if floor is None:
        return extra
    floor_length, value = floor
    return np.where(length >= floor_length, np.maximum(extra, value), extra)


def length_penalty(length, prior: tuple[float, float]) -> float:
    """What the gene-length prior (weight, length) takes from the score of a gene ``length`` bases long."""
    weight, short = prior
    return weight * (1.0 - length / short) if weight and length < short else 0.0


def _in_frame_track(cod: np.ndarray, f: int) -> np.ndarray:
    """Per position p, the coding log-odds of codon phase (p - f) mod 3 -- what a gene in frame ``f``
    collects at p. Three strided copies: a fancy index over all positions took seven times as long."""
    out = np.empty(cod.shape[1])
    for r in range(3):
        out[r::3] = cod[(r - f) % 3, r::3]
    return out


def _prefix_sums(x: np.ndarray) -> np.ndarray:
    """[0, x0, x0 + x1, ...]: a gene's sum over [s, e) is P[e] - P[s]."""
    out = np.empty(len(x) + 1)
    out[0] = 0.0
    np.cumsum(x, out=out[1:])
    return out


class _InFrameSums:
    """Prefix sums of ``extra`` over the positions of frame ``f`` only: ``H[p]`` is the sum over in-frame
    positions below p (indexable by an array). Kept per frame (a third of the positions), not per base."""

    def __init__(self, extra: np.ndarray | None, f: int, n: int) -> None:
        self.f = f
        self.sums = _prefix_sums(extra[f::3]) if extra is not None else np.zeros(n // 3 + 2)

    def __getitem__(self, p):
        return self.sums[np.maximum(np.asarray(p) - self.f + 2, 0) // 3]


def _candidates(c: np.ndarray, ev: Evidence, *, table: int, min_length: int, open5: bool, open3: bool,
                start_weight: float = START_WEIGHT, codon_bonus: np.ndarray | None = None,
                coding_weight: float = 1.0, alternatives: int = 0,
                start_codons: frozenset[str] | None = None, choice_weight: float = 0.0,
                choice_per_codon: float = 0.0) -> list[tuple[int, int, float, bool, bool]]:
    """(start, end, score, partial5, partial3) of the best ORF per stop, on the forward strand of ``c``,
    followed (same stop, listed after it) by up to ``alternatives`` of its shorter ORFs, best first.

    ``codon_bonus`` (64,): added to a gene starting with that codon (the start-codon type prior).
    ``start_codons``: the start codons offered (default: all of the translation table's).
    ``choice_weight``: where the evidence has start-choice logits, choosing among a stop's starts counts
    them at this weight in place of the start event's log-odds, which still count in the gene's score: the
    event head answers "does a gene start here?", the choice head "which of this frame's starts?" (0: off).
    ``choice_per_codon``: added to the evidence's own ``Evidence.choice_per_codon`` (the network-alone
    setting; a fitted dialect brings its own).
    """
    n = len(c)
    per_codon = ev.choice_per_codon + choice_per_codon
    starts_set, stops_set = codon_table(table)
    if start_codons:
        starts_set = starts_set & frozenset(start_codons)
    ids = _codon_ids(c)
    is_start, is_stop = _is_codon(ids, starts_set), _is_codon(ids, stops_set)
    cod = coding_weight * ev.cod.astype(np.float64)
    net_start, stop_lo = start_weight * ev.start.astype(np.float64), ev.stop.astype(np.float64)
    start_lo = net_start
    if ev.start_extra is not None:
        start_lo = start_lo + ev.start_extra
    if codon_bonus is not None:
        start_lo = start_lo + np.where(ids >= 0, np.asarray(codon_bonus, np.float64)[np.maximum(ids, 0)], 0.0)
    out: list[tuple[int, int, float, bool, bool]] = []
    for f in range(3):
        S = _prefix_sums(_in_frame_track(cod, f))
        H = _InFrameSums(ev.coding_extra, f, n)
        skip = ev.extra_skip
        stops = f + 3 * np.flatnonzero(is_stop[f::3])
        starts = f + 3 * np.flatnonzero(is_start[f::3])
        k = np.searchsorted(stops, starts)
        ends = np.where(k < len(stops), stops[np.minimum(k, len(stops) - 1)] + 3 if len(stops) else 0, -1)
        complete = k < len(stops)
        # 3' open: no stop before the record end; the gene ends at the last full codon
        if open3:
            last = f + 3 * ((n - f) // 3)
            ends = np.where(complete, ends, last)
        ok = (complete | open3) & (ends - starts >= min_length)
        if ok.any():
            st, en, kk, cp = starts[ok], ends[ok], k[ok], complete[ok]
            # the start chosen per stop: the rest of each candidate's score (S[e], H[e], the stop) is shared
            val = -S[st] - ev.choice_share * H[np.minimum(st + skip, en)] + start_lo[st]
            if ev.choice_start is not None:
                val = val + ev.choice_start[st]
            if per_codon:
                val = val + per_codon * ((en - st) // 3)
            if choice_weight and ev.start_choice is not None:
                val = val + choice_weight * ev.start_choice[st].astype(np.float64) - net_start[st]
            order = np.lexsort((-val, kk))
            first = order[np.r_[True, kk[order][1:] != kk[order][:-1]]]
            picks = first
            if alternatives:
                group_of = np.searchsorted(kk[first], kk[order])  # each sorted entry's stop group
                rank = np.arange(len(order)) - np.searchsorted(group_of, group_of)  # its place in the group
                later = st[order] > st[first][group_of]  # shorter than the chosen ORF
                alt = order[later & (rank <= alternatives)]
                picks = np.concatenate([first, alt])
            ps, pe, pc = st[picks], en[picks], cp[picks]
            extra = _floored(H[pe] - H[np.minimum(ps + skip, pe)], pe - ps, ev.extra_floor)
            score = S[pe] - S[ps] + extra + start_lo[ps] + np.where(pc, stop_lo[pe - 3], 0.0)
            out += zip(ps.tolist(), pe.tolist(), score.tolist(), [False] * len(ps), (~pc).tolist())
        # 5' open: the ORF before the first in-frame stop, cut by the record start
        if open5:
            s = f
            e = int(stops[0]) + 3 if len(stops) else (f + 3 * ((n - f) // 3) if open3 else -1)
            if e > 0 and e - s >= min_length:
                extra = _floored(H[e] - H[s], e - s, ev.extra_floor)
                score = S[e] - S[s] + extra + (stop_lo[e - 3] if len(stops) else 0.0)
                out.append((s, e, float(score), True, not len(stops)))
    return out


def select(cands: list[tuple[int, int, float, int, bool, bool]], max_overlap: int, offset: float = 0.0, *,
           overlap_3p: int | None = None, overlap_5p: int | None = None) -> list[int]:
    """Indices of the set with the highest total of (score - offset) in which consecutive genes overlap
    by at most ``max_overlap`` bases on the same strand, ``overlap_3p`` on opposite strands with their 3'
    ends facing (a forward gene followed by a reverse one) and ``overlap_5p`` with their 5' ends facing
    (both default to ``max_overlap``). Candidates are (start, end, score, strand, ...)."""
    if not cands:
        return []
    o3 = max_overlap if overlap_3p is None else overlap_3p
    o5 = max_overlap if overlap_5p is None else overlap_5p
    starts = np.array([c[0] for c in cands])
    ends = np.array([c[1] for c in cands])
    strands = np.array([c[3] for c in cands])
    scores = np.array([c[2] for c in cands]) - offset
    order = np.lexsort((starts, ends))
    e_sorted = ends[order]
    # per predecessor strand, the best total ending with a gene of that strand among the first k candidates
    best = {1: np.full(len(order) + 1, 0.0), -1: np.full(len(order) + 1, 0.0)}
    arg = {1: np.full(len(order) + 1, -1), -1: np.full(len(order) + 1, -1)}
    back = np.full(len(order), -1)
    total = np.zeros(len(order))
    # how many candidates (in end order, before this one) may precede each: same strand, then the other
    rank = np.arange(len(order))
    limit_opp = np.where(strands[order] == -1, o3, o5)
    k_same = np.minimum(np.searchsorted(e_sorted, starts[order] + max_overlap, side="right"), rank)
    k_opp = np.minimum(np.searchsorted(e_sorted, starts[order] + limit_opp, side="right"), rank)
    for i, c in enumerate(order):
        si = strands[c]
        pick, pick_arg = 0.0, -1
        for sj, k in ((si, k_same[i]), (-si, k_opp[i])):
            if best[sj][k] > pick:
                pick, pick_arg = best[sj][k], arg[sj][k]
        total[i], back[i] = scores[c] + pick, pick_arg
        for sj in (1, -1):
            best[sj][i + 1], arg[sj][i + 1] = best[sj][i], arg[sj][i]
        if total[i] > best[si][i + 1]:
            best[si][i + 1], arg[si][i + 1] = total[i], i
    i = max((arg[1][-1], arg[-1][-1]), key=lambda j: total[j] if j >= 0 else 0.0)
    if i < 0 or total[i] <= 0:
        return []
    chosen = []
    while i >= 0:
        chosen.append(int(order[i]))
        i = back[i]
    return chosen[::-1]


def decode_evidence(codes: np.ndarray, evidence: tuple[Evidence, Evidence], record: str, *, block_start: int,
                    record_length: int, table: int = 11, min_length: int = 90, min_score: float = 0.0,
                    max_overlap: int = 60, overlap_3p: int | None = None, overlap_5p: int | None = None,
                    start_weight: float = START_WEIGHT,
                    codon_bonus: np.ndarray | None = None, coding_weight: float = 1.0,
                    length_prior: tuple[float, float] = (0.0, 1.0), alternatives: int = 0,
                    start_codons: frozenset[str] | None = None, choice_weight: float = 0.0,
                    choice_per_codon: float = 0.0) -> list[Call]:
    """Genes in bases [block_start, block_start + len(codes)) of a record, from both strands' evidence.

    ``length_prior`` (weight, length): a gene shorter than ``length`` bases loses weight x (1 - its
    length / length) from its score, once its start is chosen. ``start_codons``: the start codons
    offered, a subset of the table's (default: all of them); Prodigal offers only ATG, GTG and TTG.
    """
    n = len(codes)
    at_start, at_end = block_start == 0, block_start + n == record_length
    cands: list[tuple[int, int, float, int, bool, bool]] = []
    chosen: dict[tuple[int, int], float] = {}  # (strand, end) -> score of the stop's chosen ORF
    for strand, ev in zip((1, -1), evidence):
        if strand == 1:
            c, o5, o3 = codes, at_start, at_end
        else:
            c, o5, o3 = reverse_complement_codes(codes), at_end, at_start
        for s, e, score, p5, p3 in _candidates(c, ev, table=table, min_length=min_length, open5=o5, open3=o3,
                                               start_weight=start_weight, codon_bonus=codon_bonus,
                                               coding_weight=coding_weight, alternatives=alternatives,
                                               start_codons=start_codons, choice_weight=choice_weight,
                                               choice_per_codon=choice_per_codon):
            score -= length_penalty(e - s, length_prior)
            if alternatives and not p5:
                # a shorter ORF of a stop is there for the selection to fit a gene between its neighbours:
                # where the chosen start fits, it must stay the better of the two (an ORF cut by the
                # record's 5' end competes with the chosen start on its own score, as without alternatives)
                key = (strand, e)
                if key in chosen:
                    score = min(score, chosen[key] - 1e-6)
                else:
                    chosen[key] = score
            if score <= min_score:  # the selection maximises the total of (score - min_score)
                continue
            if strand == -1:
                s, e = n - e, n - s
            cands.append((block_start + s, block_start + e, score, strand, p5, p3))
    calls = []
    for i in select(cands, max_overlap, min_score, overlap_3p=overlap_3p, overlap_5p=overlap_5p):
        s, e, score, strand, p5, p3 = cands[i]
        tx = Transcript(id="", seqid=record, strand=strand, cds=((s, e),), partial5=p5, partial3=p3, table=table)
        calls.append(Call(tx, score))
    return calls
