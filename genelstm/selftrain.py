"""Per-genome self-training: learn the genome's own dialect from its confident calls, then decode again.

Prodigal's edge over a frozen model is that it re-learns every genome. Here the network supplies
the evidence and the genome its dialect, fitted from the calls of the previous round:

* coding statistics: in-frame dicodon (hexamer) log-odds, genes vs the whole genome (both
  strands), added once per codon of a candidate gene;
* start model, discriminative -- each confident gene's start against the other start codons
  its ORF offers: start-codon type, a Shine-Dalgarno-like motif and its spacer (motifs are the
  sub-words of AGGAGG, the anti-Shine-Dalgarno complement, in four spacer bins), and the base
  composition of each position from -45 to +14 around the start (which also carries other motifs
  and leaderless starts, where the SD table learns nothing);
* where starts sit relative to the gene called upstream on their strand (the ATGA and TGATG overlaps and
  short gaps of operons, longer gaps, none near), used only to choose among a stop's starts.

Everything is naive-Bayes log-odds with pseudocounts, so a genome without a Shine-Dalgarno simply
learns near-zero SD weights. Choosing among the start codons a stop offers is weighed apart from the
gene's score (``Weights.start_parts``, ``Weights.choice_share``): the SD term counts more there (more still
where the genome's starts carry a strong motif, ``Weights.sd_strong``), and in genomes with long stop-free
stretches upstream of genes the dicodon term counts less. numpy only: the
decoder never needs torch.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from .alphabet import codon_table
from .decode import _codon_ids, _ids, _is_codon

SD_MOTIFS = ("AGGAGG", "GGAGG", "AGGAG", "GGAG", "GAGG", "AGGA", "GGA", "GAG", "AGG")
#: spacer = bases between the motif's last base and the start codon
SPACER_BINS = ((3, 4), (5, 10), (11, 12), (13, 15))
PWM_SPAN = (-45, 15)  # positions relative to the start codon's first base; 0..2 (the codon) are skipped
#: a gene starting closer than this to its strand's 5' end (a contig or locus edge) is left out of the fit: its
#: start's upstream is unseen (its Shine-Dalgarno class reads "no motif" where there is no sequence), and
#: whether its first codons count as gene or as open stretch hangs on the previous round's call at the edge.
#: Fitted on, such genes made self-training oscillate on the Kaptive loci, whose genes begin at a record's
#: first base: the edge genes were called complete and 5'-partial in turn, round by round (A. baumannii K loci
#: start+stop F1 0.821 / 0.866 / 0.821 / 0.866 over rounds 1-4)
FIT_START_FROM = -PWM_SPAN[0]
#: the shortest gene used for fitting: short calls are where the first round is least sure
FIT_MIN_LENGTH = 300
#: classes of a start's distance to the 3' end of the nearest called gene upstream on its strand (start minus
#: that end, in bases; negative: the genes overlap): the ATGA and TGATG overlaps and short gaps of operons,
#: then longer gaps; the last class (beyond these bins) means no gene end within 150 bases upstream
TANDEM_BINS = ((-4, -4), (-1, -1), (-60, -2), (0, 10), (11, 25), (26, 60), (61, 150))


class Strand:
    """One strand-oriented sequence and what self-training reads from it, computed once and reused
    by every round (codon and dicodon indices, start/stop masks, Shine-Dalgarno classes)."""

    def __init__(self, codes: np.ndarray, table: int = 11) -> None:
        self.c = codes
        starts_set, stops_set = codon_table(table)
        self.ids = _codon_ids(codes)
        self.hx = _hexamer_ids(self.ids)
        self.is_start = _is_codon(self.ids, starts_set)
        self.is_stop = _is_codon(self.ids, stops_set)
        self._sd: np.ndarray | None = None

    @property
    def sd(self) -> np.ndarray:
        if self._sd is None:
            self._sd = _sd_classes(self.c)
        return self._sd


def _strand(x, table: int) -> "Strand":
    return x if isinstance(x, Strand) else Strand(x, table)


@dataclass
class Dialect:
    """What self-training learned about one genome (all log-odds, natural log)."""

    hexamer: np.ndarray  # (4096,) coding vs background, per in-frame dicodon
    start_codon: np.ndarray  # (64,) true start vs alternative start codon
    sd: np.ndarray  # (len(SD_MOTIFS) * len(SPACER_BINS) + 1,) last = no motif
    pwm: np.ndarray  # (4, PWM_SPAN[1] - PWM_SPAN[0])
    #: (len(TANDEM_BINS) + 1,) per distance class to the gene upstream (zeros: not fitted)
    tandem: np.ndarray = field(default_factory=lambda: np.zeros(len(TANDEM_BINS) + 1))
    #: (64,) per in-frame codon: genes' bodies vs the open stretches upstream of their starts (zeros: not fitted)
    upstream: np.ndarray = field(default_factory=lambda: np.zeros(64))
    genes: int = 0
    gc: float = 0.0
    table: int = 11  # the translation table its genes were read with
    start_usage: dict = field(default_factory=dict)  # codon -> share of fitted starts
    best_sd: str = ""  # motif and spacer most enriched, or "" when none is
    sd_share: float = 0.0  # share of fitted starts with that motif class
    #: mean number of start codons in the open in-frame stretch upstream of a fitted start: how many longer
    #: alternatives a start choice weighs, and so how far the genome-wide dicodon term can pull it
    upstream_starts: float = 0.0
    #: what the Shine-Dalgarno class of a fitted start tells about it, in nats per start: the sd table's
    #: log-odds averaged over the fitted starts' classes (a divergence; near 0 where no motif is used)
    sd_information: float = 0.0

    def summary(self) -> str:
        if not self.genes:  # random or gene-poor input: the first round called nothing long enough to fit on
            return f"no genes of {FIT_MIN_LENGTH} bp or more to fit on; GC {self.gc:.1%}"
        usage = ", ".join(f"{k} {v:.2f}" for k, v in sorted(self.start_usage.items(), key=lambda kv: -kv[1]))
        sd = (f"RBS motif {self.best_sd} in {self.sd_share:.0%} of starts, {self.sd_information:.2f} nats per start"
              if self.best_sd else "no RBS motif enriched")
        tandem = ""
        if self.tandem.any():  # the operon overlaps ATGA and TGATG: a start on the previous gene's stop
            tandem = (f"; start on the upstream gene's stop (ATGA/TGATG) log-odds "
                      f"{self.tandem[0]:+.1f}/{self.tandem[1]:+.1f}")
        return (f"{self.genes} genes fitted; GC {self.gc:.1%}; starts {usage}; {sd}; "
                f"{self.upstream_starts:.1f} longer alternatives per start{tandem}")


def _sd_classes(c: np.ndarray) -> np.ndarray:
    """Per position s: the SD class of a start at s -- the longest motif ending 3-15 bases before s
    (ties: spacer bin 5-10 first, then 3-4, 11-12, 13-15); the last class means no motif."""
    n = len(c)
    n_cls = len(SD_MOTIFS) * len(SPACER_BINS)
    out = np.full(n, n_cls, np.int64)
    seen = np.zeros(n, bool)
    for mi, motif in enumerate(SD_MOTIFS):
        k = len(motif)
        hit = np.zeros(n, bool)  # motif begins at i
        if n >= k:
            hit[: n - k + 1] = True
            for j, ch in enumerate(motif):
                hit[: n - k + 1] &= c[j : n - k + 1 + j] == "ACGT".index(ch)
        for bi in (1, 0, 2, 3):
            lo, hi = SPACER_BINS[bi]
            here = np.zeros(n, bool)
            for sp in range(lo, hi + 1):
                shift = sp + k  # a start at s has the motif beginning at s - shift
                if shift < n:
                    here[shift:] |= hit[: n - shift]
            new = here & ~seen
            out[new] = mi * len(SPACER_BINS) + bi
            seen |= here
    return out


def _window_codes(c: np.ndarray, at: np.ndarray) -> np.ndarray:
    """(len(at), span) base codes at PWM_SPAN's positions around each of ``at``, N (4) past the sequence's
    ends: one gather, where a loop over the 60 offsets with bounds checks took a tenth of self-training."""
    a, b = PWM_SPAN
    padded = np.concatenate([np.full(-a, 4, np.uint8), np.minimum(c, 4).astype(np.uint8), np.full(b, 4, np.uint8)])
    return padded[np.asarray(at, np.int64)[:, None] + np.arange(b - a)]


#: the PWM columns that are read (0..2 are the start codon itself)
_PWM_COLUMNS = np.array([not 0 <= off <= 2 for off in range(*PWM_SPAN)])


def _pwm_counts(c: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """(4, span) base counts around the given start positions (the codon's own columns stay 0)."""
    span = PWM_SPAN[1] - PWM_SPAN[0]
    codes = _window_codes(c, positions)
    flat = (codes.astype(np.int64) * span + np.arange(span))[(codes < 4) & _PWM_COLUMNS]
    return np.bincount(flat, minlength=4 * span).reshape(4, span).astype(np.float64)


def _pwm_scores(c: np.ndarray, pwm: np.ndarray, at: np.ndarray) -> np.ndarray:
    """For each start position in ``at``: the sum of ``pwm`` over the bases around it (bases past the
    sequence's ends and Ns score 0). Only start codons are scored: a tenth of the positions."""
    table = np.vstack([pwm, np.zeros((1, pwm.shape[1]))]) * _PWM_COLUMNS  # row 4: N scores 0
    codes = _window_codes(c, at)
    out = np.zeros(len(at))
    for j in np.flatnonzero(_PWM_COLUMNS):  # column by column, in the order the sums were always taken
        out += table[codes[:, j], j]
    return out


def _tandem_classes(at: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Per start position in ``at``: its TANDEM_BINS class, from the 3' ends of the genes on its strand (the
    nearest end at most 60 bases past the start: a gene's own end lies at least min_length further); -1
    where no end is that near but the sequence begins within the distance looked at (unknown, not none)."""
    ends = np.sort(np.asarray(ends, np.int64))
    out = np.where(at > TANDEM_BINS[-1][1], len(TANDEM_BINS), -1).astype(np.int64)
    if not len(ends) or not len(at):
        return out
    k = np.searchsorted(ends, at + 60, side="right") - 1
    d = at - ends[np.maximum(k, 0)]
    found = k >= 0
    out[found] = len(TANDEM_BINS)
    for i in range(len(TANDEM_BINS) - 1, -1, -1):  # earlier bins win where they overlap (-4 and -1 in -60..-2)
        lo, hi = TANDEM_BINS[i]
        out[found & (d >= lo) & (d <= hi)] = i
    return out


def _orf_starts(genes: np.ndarray, is_start: np.ndarray, is_stop: np.ndarray, min_length: int
                ) -> tuple[np.ndarray, np.ndarray]:
    """For genes (k, 2) of (start, end) on one strand: (the other start codons of each gene's ORF -- in
    frame, after the previous in-frame stop, leaving at least ``min_length`` bases --, and per gene the
    number of start codons in the stop-free in-frame stretch upstream of its start)."""
    n = len(is_start)
    alts, upstream = [], np.zeros(len(genes), np.int64)
    open_from = np.zeros(len(genes), np.int64)
    for f in range(3):
        sel = np.flatnonzero(genes[:, 0] % 3 == f)
        if not len(sel):
            continue
        grid = np.arange(f, n, 3)
        starts = np.flatnonzero(is_start[grid])  # grid indices of in-frame start codons
        stops = np.flatnonzero(is_stop[grid])
        s_idx = (genes[sel, 0] - f) // 3
        e = genes[sel, 1]
        # the stop-free stretch upstream begins right after the last in-frame stop before the start
        prev = np.searchsorted(stops, s_idx) - 1  # index of that stop in ``stops``, -1 if none
        lo = np.where(prev >= 0, np.append(stops, -1)[prev] + 1, 0)  # (-1 picks the sentinel)
        hi = (np.minimum(e - 4, e - min_length) - f) // 3  # last allowed grid index downstream
        a = np.searchsorted(starts, lo)
        m = np.searchsorted(starts, s_idx)  # first start at or after s
        upstream[sel] = m - a
        open_from[sel] = f + 3 * lo
        z = np.searchsorted(starts, hi, side="right")
        after = np.searchsorted(starts, s_idx, side="right")  # first start past s
        for lo_k, hi_k in ((a, m), (after, np.maximum(after, z))):
            count = hi_k - lo_k
            if count.sum():
                idx = np.repeat(lo_k - np.cumsum(count) + count, count) + np.arange(count.sum())
                alts.append(f + 3 * starts[idx])
    return (np.concatenate(alts) if alts else np.zeros(0, np.int64)), upstream, open_from


def _in_frame_positions(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Positions a, a+3, ... below b, for each pair (a, b), concatenated."""
    count = np.maximum((b - a + 2) // 3, 0)
    if not count.sum():
        return np.zeros(0, np.int64)
    base = np.repeat(a - 3 * (np.cumsum(count) - count), count)
    return base + 3 * np.arange(count.sum())


def fit(strands: list[tuple[np.ndarray, list[tuple[int, int]]]], *, table: int = 11, min_length: int = 90,
        pseudo: float = 1.0) -> Dialect:
    """Learn a dialect from (strand-oriented codes or Strand, [(start, end), ...] complete genes on it).

    Pass both strands of every record: the background counts come from all of them.
    """
    starts_set, _ = codon_table(table)
    start_ids = _ids(starts_set)
    hex_gene = np.zeros(4096)
    hex_bg = np.zeros(4096)
    n_sd = len(SD_MOTIFS) * len(SPACER_BINS) + 1
    true_codon, alt_codon = np.zeros(64), np.zeros(64)
    true_sd, alt_sd = np.zeros(n_sd), np.zeros(n_sd)
    true_pwm, alt_pwm = np.zeros((4, PWM_SPAN[1] - PWM_SPAN[0])), np.zeros((4, PWM_SPAN[1] - PWM_SPAN[0]))
    n_tan = len(TANDEM_BINS) + 1
    true_tan, alt_tan = np.zeros(n_tan), np.zeros(n_tan)
    n_genes, gc_num, gc_den, n_up = 0, 0, 0, 0
    codon_gene, codon_up = np.zeros(64), np.zeros(64)
    for x, genes in strands:
        st = _strand(x, table)
        c, ids, hx = st.c, st.ids, st.hx
        ok = hx >= 0
        hex_bg += np.bincount(hx[ok], minlength=4096)
        gc_num += int(((c == 1) | (c == 2)).sum())
        gc_den += int((c < 4).sum())
        kept = np.array([(s, e) for s, e in genes if e - s >= FIT_MIN_LENGTH and s >= FIT_START_FROM],
                        np.int64).reshape(-1, 2)
        for s, e in kept:
            h = hx[s : e - 5 : 3]
            hex_gene += np.bincount(h[h >= 0], minlength=4096)
        ap, up, open_from = _orf_starts(kept, st.is_start, st.is_stop, min_length)
        if len(kept):
            body = ids[_in_frame_positions(kept[:, 0] + 3, kept[:, 1] - 3)]
            codon_gene += np.bincount(body[body >= 0], minlength=64)
            stretch = ids[_in_frame_positions(open_from, kept[:, 0])]
            codon_up += np.bincount(stretch[stretch >= 0], minlength=64)
        n_genes += len(kept)
        n_up += int(up.sum())
        tp = kept[:, 0]
        ends = np.array([e for _, e in genes], np.int64)
        for pos, codon, sd, pwm, tan in ((tp, true_codon, true_sd, true_pwm, true_tan),
                                         (ap, alt_codon, alt_sd, alt_pwm, alt_tan)):
            if len(pos):
                cid = ids[pos]
                codon += np.bincount(cid[cid >= 0], minlength=64)
                sd += np.bincount(st.sd[pos], minlength=n_sd)
                pwm += _pwm_counts(c, pos)
                cls = _tandem_classes(pos, ends)
                tan += np.bincount(cls[cls >= 0], minlength=n_tan)
    hexamer = _log_odds(hex_gene, hex_bg, pseudo)
    start_codon = np.zeros(64)
    start_codon[start_ids] = _log_odds(true_codon[start_ids], alt_codon[start_ids], pseudo)
    sd = _log_odds(true_sd, alt_sd, pseudo)
    pwm = np.log((true_pwm + pseudo) / (true_pwm + pseudo).sum(0)) - np.log((alt_pwm + pseudo) / (alt_pwm + pseudo).sum(0))
    pwm[:, [-PWM_SPAN[0] + k for k in range(3)]] = 0.0
    total = max(true_codon[start_ids].sum(), 1)
    usage = {"ACGT"[i // 16] + "ACGT"[(i // 4) % 4] + "ACGT"[i % 4]: round(float(true_codon[i] / total), 3)
             for i in start_ids if true_codon[i]}
    best, z = _most_enriched(true_sd, alt_sd)
    best_sd, share = "", 0.0
    if z > 4.0:
        a, b = SPACER_BINS[best % len(SPACER_BINS)]
        best_sd = f"{SD_MOTIFS[best // len(SPACER_BINS)]} spacer {a}-{b}"
        share = float(true_sd[best] / max(true_sd.sum(), 1))
    return Dialect(hexamer, start_codon, sd, pwm, _log_odds(true_tan, alt_tan, pseudo),
                   upstream=_log_odds(codon_gene, codon_up, pseudo), genes=n_genes,
                   gc=gc_num / max(gc_den, 1), table=table, start_usage=usage, best_sd=best_sd, sd_share=share,
                   upstream_starts=n_up / max(n_genes, 1),
                   sd_information=float(true_sd @ sd / true_sd.sum()) if true_sd.sum() else 0.0)


def _most_enriched(true: np.ndarray, alt: np.ndarray) -> tuple[int, float]:
    """The motif class most over-represented at true starts, and its two-proportion z-score."""
    n1, n2 = max(true.sum(), 1.0), max(alt.sum(), 1.0)
    p1, p2 = true / n1, alt / n2
    p = (true + alt) / (n1 + n2)
    z = (p1 - p2) / np.sqrt(np.maximum(p * (1 - p) * (1 / n1 + 1 / n2), 1e-12))
    i = int(np.argmax(z[:-1]))  # the last class is "no motif"
    return i, float(z[i])


def _log_odds(a: np.ndarray, b: np.ndarray, pseudo: float) -> np.ndarray:
    pa = (a + pseudo) / (a + pseudo).sum()
    pb = (b + pseudo) / (b + pseudo).sum()
    return np.clip(np.log(pa) - np.log(pb), -5.0, 5.0)


def _hexamer_ids(codon_ids: np.ndarray) -> np.ndarray:
    """Dicodon index (codon at i, codon at i+3) per position, -1 where either has an N or runs off."""
    n = len(codon_ids)
    out = np.full(n, -1, np.int64)
    if n > 3:
        a, b = codon_ids[:-3], codon_ids[3:]
        out[: n - 3] = np.where((a >= 0) & (b >= 0), a * 64 + b, -1)
    return out


def coding_extra(c, d: Dialect, *, table: int = 11) -> np.ndarray:
    """Dicodon log-odds per position of a strand-oriented sequence or Strand (0 at stop codons and Ns)."""
    st = _strand(c, table)
    out = np.where(st.hx >= 0, d.hexamer[np.maximum(st.hx, 0)], 0.0)
    out[st.is_stop] = 0.0
    return out


def start_terms(c, d: Dialect, *, table: int = 11) -> list[np.ndarray]:
    """The start model's log-odds at every start codon, 0 elsewhere: codon type, SD class, composition."""
    st = _strand(c, table)
    at = np.flatnonzero(st.is_start)
    out = []
    for values in (d.start_codon[st.ids[at]], d.sd[st.sd[at]], _pwm_scores(st.c, d.pwm, at)):
        term = np.zeros(len(st.c))
        term[at] = values
        out.append(term)
    return out


def tandem_term(c, d: Dialect, ends, *, table: int = 11) -> np.ndarray:
    """The log-odds of each start codon's distance class to the nearest of ``ends`` (the 3' ends of the
    genes called on its strand by the previous round) upstream of it, 0 elsewhere and where the sequence
    begins too close upstream to know."""
    st = _strand(c, table)
    at = np.flatnonzero(st.is_start)
    cls = _tandem_classes(at, ends)
    term = np.zeros(len(st.c))
    term[at[cls >= 0]] = d.tandem[cls[cls >= 0]]
    return term


def upstream_term(c, d: Dialect, *, table: int = 11) -> np.ndarray:
    """Per position p: minus the sum of the genes-vs-upstream-stretch codon log-odds over the in-frame codons
    before p (those at p - 3, p - 6, ... to the record start). Between two start codons of one ORF the
    difference of this term is the stretch's log-odds of being upstream rather than gene: added to the start
    choice it asks of the codons between two candidate starts the question the choice is about."""
    st = _strand(c, table)
    u = np.append(d.upstream, 0.0)[st.ids]  # an N's codon id, -1, reads the appended 0
    out = np.zeros(len(u))
    for r in range(3):
        out[r::3][1:] = -np.cumsum(u[r::3])[:-1]
    return out


@dataclass
class Weights:
    """How much the genome's dialect counts beside the network (chosen on validation genomes)."""

    coding: float = 1.0  # per dicodon log-odds
    start: float = 10.0  # per unit of start log-odds
    #: choosing among a stop's start codons: multipliers of the start model's three terms (codon type,
    #: Shine-Dalgarno class, composition); the gene's score counts their plain naive-Bayes sum (``start``)
    start_parts: tuple[float, float, float] = (1.0, 1.0, 1.0)
    rounds: int = 4
    skip: int = 0  # bases after a start before dicodons count (see decode.Evidence.extra_skip)
    #: choosing among a stop's start codons in genomes whose fitted starts have more than ``choice_ref``
    #: start codons in the open stretch upstream (GC-rich genomes, where stops are rare): the dicodon sum
    #: over that stretch is counted at (choice_ref / upstream_starts) ** 2 of its weight (0: always fully)
    choice_ref: float = 0.0
    #: weight of the distance-to-the-gene-upstream term (tandem_term) relative to the other start terms (0: off)
    tandem: float = 0.0
    #: the least the dicodon term may add to the score of a gene at least FIT_MIN_LENGTH long, in dicodon
    #: log-odds units (times ``coding``); None: no floor. The table describes the genome's typical genes;
    #: a long open frame of atypical composition (acquired genes, Neisseria's many) is scored out by it alone
    #: while the network and the start call it coding -- Prodigal likewise keeps long open frames from being
    #: scored out by their codon statistics alone
    coding_floor: float | None = None
    #: weight of the genes-vs-upstream-stretch codon table (upstream_term) in the start choice, in units of
    #: ``coding`` (0: off)
    upstream: float = 0.0
    #: (from, to, multiplier): in genomes whose starts carry a Shine-Dalgarno (Dialect.sd_information, nats per
    #: start) the SD term's multiplier in the start choice rises from start_parts[1] at ``from`` to
    #: ``multiplier`` at ``to`` and beyond (None: start_parts alone). Fitted on the previous round's starts,
    #: of which a share is wrong, the SD table understates a strong motif; where the motif is weak, counting
    #: it more lets that noise choose starts
    sd_strong: tuple[float, float, float] | None = None
    #: choosing among a stop's start codons, each codon of the gene a start would begin counts this much (0:
    #: off). An open frame's length is itself evidence (Prodigal adds a length factor to every start's coding
    #: score and counts it again against interior starts): without it the network's start evidence and the
    #: SD class, which favour whichever start looks most start-like, pick interior starts too often
    length: float = 0.0

    def choice_parts(self, d: "Dialect") -> tuple[float, float, float]:
        """``start_parts`` for this genome's start choice, the SD multiplier raised as ``sd_strong`` says."""
        if self.sd_strong is None:
            return self.start_parts
        lo, hi, top = self.sd_strong
        codon, sd, pwm = self.start_parts
        return codon, sd + (top - sd) * float(np.clip((d.sd_information - lo) / (hi - lo), 0.0, 1.0)), pwm

    def choice_summary(self, d: "Dialect") -> str:
        """How this genome's start choice weighs the SD and dicodon terms (they follow its dialect), for the header."""
        return f"start choice: SD term x{self.choice_parts(d)[1]:.2g}, dicodon term x{self.choice_share(d):.2g}"

    def choice_share(self, d: "Dialect") -> float:
        """The share of the dicodon term counted when choosing a stop's start (decode.Evidence.choice_share).

        In genomes with long stop-free stretches upstream of genes, those stretches score like genes under
        the genes-vs-genome dicodon table and its sum over them, which grows with their length, pulls
        starts upstream (on the two GC-richest training genomes 7 of 8 wrong starts were too long)."""
        if not self.choice_ref or d.upstream_starts <= self.choice_ref:
            return 1.0
        return (self.choice_ref / d.upstream_starts) ** 2


def _by_strand(transcripts, n: int) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Single-segment genes of a record of length ``n`` as (start, end) on the forward and on the
    reverse-complemented strand."""
    fwd, rev = [], []
    for t in transcripts:
        if len(t.cds) == 1:
            s, e = t.cds[0]
            (fwd if t.strand == 1 else rev).append((s, e) if t.strand == 1 else (n - e, n - s))
    return fwd, rev


def strand_genes(transcripts, n: int) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """The complete ones of _by_strand: what ``fit`` reads."""
    return _by_strand([t for t in transcripts if not (t.partial5 or t.partial3)], n)


#: a group of records gets a dialect of its own only if splitting it raises the log-likelihood of its called
#: genes' codons by this much per codon (nats) -- the records of one genome: 0.0001-0.0031 (islands, plasmids;
#: Kaptive loci of many strains 0.0006-0.0025), two Prochlorococcus strains 0.007, a bacterium and an archaeon of
#: one GC 0.017, four phyla 0.27 -- and each side has at least GROUP_MIN_CODONS codons called
SPLIT_GAIN = 0.01
GROUP_MIN_CODONS = 100_000


def _call_codon_counts(strands: tuple["Strand", "Strand"], transcripts, n: int) -> np.ndarray:
    """In-frame codon counts (64,) of a record's single-segment calls, partial ones included (a short contig's
    genes are mostly cut by its ends), stop codons of the Strands' table left out; ``strands``: the record's
    (forward, reverse)."""
    out = np.zeros(64)
    for st, genes in zip(strands, _by_strand(transcripts, n)):
        spans = np.array(genes, np.int64).reshape(-1, 2)
        if len(spans):
            at = _in_frame_positions(spans[:, 0], spans[:, 1])
            ids = st.ids[at][(st.ids[at] >= 0) & ~st.is_stop[at]]
            out += np.bincount(ids, minlength=64)
    return out


def _split(counts: np.ndarray) -> tuple[np.ndarray, float]:
    """Records' codon counts (k, 64) split in two by likelihood 2-means (multinomial, add-one): labels and the
    gain in log-likelihood over one shared codon usage. Started from the records' first principal component of
    log codon usage (weighted by codons called, cut at the weighted median): a short contig's own usage is
    mostly noise, so no single record seeds a side. Deterministic."""
    def dist(c):
        return np.log((c + 1.0) / (c + 1.0).sum(-1, keepdims=True))

    total = counts.sum(1)
    base = float((counts * dist(counts.sum(0))).sum())
    w = total / total.sum()
    x = dist(counts + 0.5)
    x = x - w @ x
    _, _, vt = np.linalg.svd(np.sqrt(w)[:, None] * x, full_matrices=False)
    proj = x @ vt[0]
    order = np.argsort(proj, kind="stable")
    k = int(np.clip(np.searchsorted(np.cumsum(w[order]), 0.5), 1, len(order) - 1))  # both sides non-empty
    labels = np.zeros(len(counts), int)
    labels[order[k:]] = 1
    for _ in range(50):
        if len(set(labels[total > 0].tolist())) < 2:
            return np.zeros(len(counts), int), 0.0
        logp = np.stack([dist(counts[labels == g].sum(0)) for g in (0, 1)])
        new = np.argmax(counts @ logp.T, axis=1)
        if (new == labels).all():
            break
        labels = new
    logp = np.stack([dist(counts[labels == g].sum(0)) for g in (0, 1)])
    return labels, float((counts @ logp.T).max(1).sum() - base)


def composition_groups(counts: dict[str, np.ndarray]) -> list[list[str]]:
    """Records grouped by the codon usage of their called genes (record -> (64,) counts), largest group
    first: an input that mixes genomes (a metagenome's contigs, several isolates in one file) splits into
    groups that each get a dialect; one genome's records, however many and however atypical some are, stay
    one group (see SPLIT_GAIN). Splits are tried recursively, each group in two."""
    # records without a codon called have no usage to group by: they join the largest group at the end
    empty = [r for r in counts if not counts[r].sum()]
    done, todo = [], [[r for r in counts if counts[r].sum()]]
    while todo:
        group = todo.pop()
        c = np.array([counts[r] for r in group]).reshape(-1, 64)
        if len(group) < 2 or c.sum() < 2 * GROUP_MIN_CODONS:
            done.append(group)
            continue
        labels, gain = _split(c)
        sides = [[r for r, g in zip(group, labels) if g == k] for k in (0, 1)]
        if (min(c[labels == k].sum() for k in (0, 1)) < GROUP_MIN_CODONS or gain < SPLIT_GAIN * c.sum()):
            done.append(group)
        else:
            todo += sides
    done = sorted((g for g in done if g), key=lambda g: -sum(counts[r].sum() for r in g))
    return [done[0] + empty, *done[1:]] if done else [empty]


def adapt(records: dict, decode, *, table: int = 11, weights: Weights = Weights(), log=None, table_of=None):
    """Self-training rounds over a genome.

    ``records``: record -> (codes, (forward Evidence, reverse Evidence)); ``decode(record, codes,
    evidence)`` returns calls. Round 0 decodes with the network alone; its calls group the records by codon
    usage (composition_groups: one group for one genome); each later round fits a Dialect per group on the
    previous calls and decodes that group's records again, until the calls stop changing or
    ``weights.rounds`` is reached. ``table_of(group's record ids) -> table``, where given, reads each group's
    translation table when the records fall into several groups (an input mixing a Mycoplasma with other
    genomes); a group whose table is not ``table`` is decoded again with it (``decode(..., table=T)``) before
    its first fit. Returns (calls per record, [(the group's records, its Dialect), ...] largest group first,
    rounds run).
    """
    from functools import partial

    from .alphabet import reverse_complement_codes

    calls = {rid: decode(rid, codes, ev) for rid, (codes, ev) in records.items()}
    both = {rid: (Strand(codes, table), Strand(reverse_complement_codes(codes), table))
            for rid, (codes, _) in records.items()}

    def genes_of(calls):
        return {rid: strand_genes([c.transcript for c in calls[rid]], len(codes))
                for rid, (codes, _) in records.items()}

    groups = composition_groups({rid: _call_codon_counts(both[rid], [c.transcript for c in calls[rid]], len(codes))
                                 for rid, (codes, _) in records.items()})
    tables = [table_of(group) if table_of is not None and len(groups) > 1 else table for group in groups]
    decoders = [decode if t == table else partial(decode, table=t) for t in tables]
    for group, t, dec in zip(groups, tables, decoders):
        if t != table:  # round 0 again, under the group's own code
            for rid in group:
                codes, ev = records[rid]
                both[rid] = (Strand(codes, t), Strand(reverse_complement_codes(codes), t))
                calls[rid] = dec(rid, codes, ev)
    genes = genes_of(calls)
    dialects: list = []
    rounds = 0
    for r in range(weights.rounds):
        dialects, new = [], {}
        for group, t, dec in zip(groups, tables, decoders):
            d = fit([(st, g) for rid in group for st, g in zip(both[rid], genes[rid])], table=t)
            dialects.append((group, d))
            new.update(apply({rid: records[rid] for rid in group}, dec, d, table=t, weights=weights,
                             strands=both, genes=genes))
        rounds = r + 1
        changed = sum(len(set(_keys(calls[rid])) ^ set(_keys(new[rid]))) for rid in records)
        if log:
            lines = [f"self-training round {rounds}{group_label(dialects, i)}: {d.summary()}"
                     for i, (_, d) in enumerate(dialects)]
            if len(lines) == 1:
                log(f"{lines[0]}; {changed} calls changed")
            else:
                for line in lines + [f"self-training round {rounds}: {changed} calls changed"]:
                    log(line)
        calls = new
        if changed == 0:
            break
        genes = genes_of(calls)
    return calls, dialects, rounds


def group_label(dialects: list, i: int) -> str:
    """'' for an input of one group, else ', group 2 of 3 (5 records)'."""
    if len(dialects) < 2:
        return ""
    n = len(dialects[i][0])
    return f", group {i + 1} of {len(dialects)} ({n} record{'s' if n != 1 else ''})"


def apply(records: dict, decode, dialect: Dialect, *, table: int = 11, weights: Weights = Weights(),
          strands: dict | None = None, genes: dict | None = None) -> dict:
    """Calls per record decoded with ``dialect``'s terms added to the network's evidence
    (``strands``: record -> (forward Strand, reverse Strand), when already computed; ``genes``: record ->
    the previous round's genes as strand_genes gives them, whose 3' ends the distance-to-the-gene-upstream
    term reads)."""
    from .alphabet import reverse_complement_codes

    out = {}
    for rid, (codes, (ef, er)) in records.items():
        f, r = strands[rid] if strands is not None else (codes, reverse_complement_codes(codes))
        ends = [[e for _, e in g] for g in genes[rid]] if genes is not None else [None, None]
        ev = tuple(with_dialect(e, c, dialect, weights, table, up) for c, e, up in zip((f, r), (ef, er), ends))
        out[rid] = decode(rid, codes, ev)
    return out


def with_dialect(ev, c, d: Dialect, w: Weights, table: int = 11, ends=None):
    """One strand's network evidence (decode.Evidence) with the dialect's terms, weighted by ``w``
    (``ends``: 3' ends of the genes called on this strand, for the distance term; None: without it)."""
    terms = start_terms(c, d, table=table)
    choice = [(p - 1.0) * w.start * t for p, t in zip(w.choice_parts(d), terms) if p != 1.0]
    if ends is not None and w.tandem:
        # choosing a stop's start only: a gene's existence must not hang on whether a gene was called
        # upstream of it (the first gene of a record or operon has none)
        choice.append(w.tandem * w.start * tandem_term(c, d, ends, table=table))
    if w.upstream:
        choice.append(w.upstream * w.coding * upstream_term(c, d, table=table))
    floor = None if w.coding_floor is None else (FIT_MIN_LENGTH, w.coding * w.coding_floor)
    return replace(ev, coding_extra=w.coding * coding_extra(c, d, table=table), start_extra=w.start * sum(terms),
                   extra_skip=w.skip, choice_share=w.choice_share(d), choice_start=sum(choice) if choice else None,
                   extra_floor=floor, choice_per_codon=w.length)


def to_plain(d: Dialect, name: str) -> dict:
    """A dialect as plain lists, storable in a weights_only checkpoint."""
    return {"name": name, "gc": d.gc, "genes": d.genes, "hexamer": d.hexamer.tolist(),
            "start_codon": d.start_codon.tolist(), "sd": d.sd.tolist(), "pwm": d.pwm.tolist(),
            "start_usage": d.start_usage, "best_sd": d.best_sd, "sd_share": d.sd_share}


def from_plain(p: dict) -> Dialect:
    return Dialect(np.array(p["hexamer"]), np.array(p["start_codon"]), np.array(p["sd"]), np.array(p["pwm"]),
                   genes=p["genes"], gc=p["gc"], start_usage=p["start_usage"], best_sd=p["best_sd"],
                   sd_share=p["sd_share"])


def nearest_by_gc(priors: list[dict], gc: float, k: int = 1) -> dict:
    """The average of the ``k`` stored corpus dialects whose genome GC is closest to ``gc`` (log-odds
    tables averaged; one genome's idiosyncrasies matter less with k > 1)."""
    near = sorted(priors, key=lambda p: abs(p["gc"] - gc))[: max(k, 1)]
    if len(near) == 1:
        return near[0]
    avg = {key: np.mean([np.array(p[key]) for p in near], axis=0).tolist()
           for key in ("hexamer", "start_codon", "sd", "pwm")}
    usage: dict[str, float] = {}
    for p in near:
        for codon, share in p["start_usage"].items():
            usage[codon] = usage.get(codon, 0.0) + share / len(near)
    return {**avg, "name": "+".join(p["name"] for p in near), "gc": float(np.mean([p["gc"] for p in near])),
            "genes": int(sum(p["genes"] for p in near)), "start_usage": usage, "best_sd": "", "sd_share": 0.0}


def gc_of(records: dict) -> float:
    num = sum(int(((c == 1) | (c == 2)).sum()) for c, _ in records.values())
    den = sum(int((c < 4).sum()) for c, _ in records.values())
    return num / max(den, 1)


def _keys(calls) -> list[tuple]:
    return [(c.transcript.strand, c.transcript.cds) for c in calls]
