"""The start-choice head: which of an open frame's start codons is the gene's start.

The event head is trained per base ("is this base a start?"), which composition alone answers well; the
decoder asks something else -- which of the ATG/GTG/TTG codons that share a stop starts the gene. The
network's features hold more of that answer than the event head reads out (benchmarks/start_ceiling.py),
so a second linear head on the same input (GeneLSTM.tag_input, the event head's 5-base reach) is fitted
for exactly that question: a conditional logit, per strand, over each annotated gene's ORF starts, on the
training genomes' annotation with the rest of the network frozen (a minute on a CPU). The decoder uses it
only to choose among a stop's starts (decode._candidates' ``choice_weight``).

A network that is fine-tuned afterwards (``train --init``, ``adapt``) drops the head: its features move,
and a head fitted on the old ones would mislead.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .alphabet import codon_table, reverse_complement_codes
from .decode import _codon_ids, _is_codon
from .engine import RecordStream
from .model import GeneLSTM
from .selftrain import strand_genes

TAPS = 5  # the reach of the event head's kernel, which the choice head shares
STARTS = ("ATG", "GTG", "TTG")


class HeadInput(RecordStream):
    """A RecordStream whose per-base output is what the tagging heads read (GeneLSTM.tag_input, half floats)."""

    def _heads(self, out, feats, pieces):
        return (self.model.tag_input(out, feats).half().cpu().numpy(),)

    def all(self) -> np.ndarray:
        """(mix, record length) for the whole record."""
        return self._outputs(0, self.n)[0]


def orf_starts(c: np.ndarray, table: int = 11, min_length: int = 90, starts=STARTS) -> tuple[np.ndarray, np.ndarray]:
    """(start, end) of every ORF from a start codon of ``starts`` to the next in-frame stop, at least
    ``min_length`` long, on a strand-oriented sequence: the starts the decoder weighs against each other."""
    ids = _codon_ids(c)
    is_start, is_stop = _is_codon(ids, frozenset(starts)), _is_codon(ids, codon_table(table)[1])
    pos = np.arange(len(c))
    at, end = [], []
    for f in range(3):
        stops = np.flatnonzero(is_stop & (pos % 3 == f))
        first = np.flatnonzero(is_start & (pos % 3 == f))
        k = np.searchsorted(stops, first)
        ok = k < len(stops)
        e = stops[k[ok]] + 3
        keep = e - first[ok] >= min_length
        at.append(first[ok][keep])
        end.append(e[keep])
    order = np.argsort(np.concatenate(at), kind="stable")
    return np.concatenate(at)[order], np.concatenate(end)[order]


def windows(mixed: np.ndarray, at: np.ndarray, strand: int) -> np.ndarray:
    """(len(at), mix x TAPS) head input around starts ``at`` (strand-oriented positions of a record whose
    head input is ``mixed``, (mix, n)), taps ordered 5' to 3' on the start's own strand."""
    n, half = mixed.shape[1], TAPS // 2
    padded = np.pad(mixed, ((0, 0), (half, half)))
    g = at if strand == 0 else n - 1 - at  # the codon's first base, in record coordinates
    win = np.stack([padded[:, g + d] for d in range(TAPS)], axis=2)
    return np.ascontiguousarray((win if strand == 0 else win[:, :, ::-1]).transpose(1, 0, 2).reshape(len(at), -1))


def groups(at: np.ndarray, end: np.ndarray, genes) -> list[tuple[np.ndarray, int]]:
    """Per gene (start, end) whose start is among the candidates and whose ORF offers more than one:
    (the indices of its ORF's candidates, the gene's place among them)."""
    order = np.argsort(end, kind="stable")
    sorted_end = end[order]
    out = []
    for s, e in genes:
        idx = order[np.searchsorted(sorted_end, e) : np.searchsorted(sorted_end, e, side="right")]
        hit = np.flatnonzero(at[idx] == s)
        if len(idx) > 1 and len(hit) == 1:
            out.append((idx, int(hit[0])))
    return out


def conditional_logit(x: np.ndarray, grp: list[tuple[np.ndarray, int]], weights: np.ndarray | None = None,
                      l2: float = 1e-4) -> np.ndarray:
    """Weights w (on the raw features) maximising the mean weighted log-probability of each group's chosen
    member under a softmax of x @ w over the group, with an L2 penalty on standardised features."""
    xt = torch.from_numpy(x).float()
    mu, sd = xt.mean(0), xt.std(0) + 1e-3
    cand = torch.from_numpy(np.concatenate([i for i, _ in grp]))
    xs = (xt[cand] - mu) / sd
    gid = torch.from_numpy(np.concatenate([np.full(len(i), g) for g, (i, _) in enumerate(grp)]))
    first = np.cumsum([0] + [len(i) for i, _ in grp])[:-1]
    label = torch.from_numpy(first + np.array([h for _, h in grp]))
    n = len(grp)
    gw = torch.ones(n) if weights is None else torch.from_numpy(np.asarray(weights, np.float32))
    gw = gw / gw.sum()
    w = torch.zeros(x.shape[1], requires_grad=True)
    opt = torch.optim.LBFGS([w], max_iter=300, line_search_fn="strong_wolfe")

    def loss():
        opt.zero_grad()
        s = xs @ w
        top = torch.full((n,), -torch.inf).scatter_reduce(0, gid, s.detach(), "amax")
        lse = torch.zeros(n).index_add(0, gid, torch.exp(s - top[gid])).log() + top
        value = ((lse - s[label]) * gw).sum() + l2 * (w * w).sum()
        value.backward()
        return value

    opt.step(loss)
    return (w.detach() / sd).numpy()


def examples(model: GeneLSTM, vg, min_length: int = 90) -> list[tuple[np.ndarray, list]]:
    """Per strand, (head-input windows at every candidate start, the groups of ``vg``'s annotated genes among
    them) for a validation.ValGenome (sequence, annotation, table): what ``fit`` learns from."""
    out: list[tuple[list, list]] = [([], []), ([], [])]
    size = [0, 0]
    for rec in vg.genome:
        codes, _ = vg.genome.encode(rec.id)
        mixed = HeadInput(model, vg.genome, rec.id).all()
        ref = strand_genes([t for t in vg.reference if t.seqid == rec.id], rec.length)
        for strand, c in enumerate((codes, reverse_complement_codes(codes))):
            at, end = orf_starts(c, vg.table, min_length)
            out[strand][0].append(windows(mixed, at, strand))
            out[strand][1].extend((idx + size[strand], h) for idx, h in groups(at, end, ref[strand]))
            size[strand] += len(at)
    return [(np.concatenate(x) if x else np.zeros((0, model.cfg.mix * TAPS), np.float16), g) for x, g in out]


def fit(model: GeneLSTM, genomes, *, l2: float = 1e-4, log=None, cached: dict | None = None) -> dict:
    """Fit and install the choice head on ``genomes`` (validation.ValGenome), each genome weighing the same
    whatever its size (``cached``: name -> ``examples`` of a genome, computed once for several fits).
    Returns a summary: genes with a choice of start, per strand."""
    xs: list[list[np.ndarray]] = [[], []]
    grps: list[list] = [[], []]
    gws: list[list[float]] = [[], []]
    sizes = [0, 0]
    for vg in genomes:
        ex = cached[vg.name] if cached is not None and vg.name in cached else examples(model, vg)
        genes = sum(len(g) for _, g in ex)
        for strand, (x, g) in enumerate(ex):
            grps[strand] += [(idx + sizes[strand], h) for idx, h in g]
            gws[strand] += [1.0 / max(genes, 1)] * len(g)
            xs[strand].append(x)
            sizes[strand] += len(x)
        if log:
            log(f"choice head: {vg.name}: {genes} genes with a choice of start")
    w = [conditional_logit(np.concatenate(xs[s]).astype(np.float32), grps[s], np.array(gws[s]), l2) for s in (0, 1)]
    install(model, w)
    return {"genes": [len(g) for g in grps], "genomes": len(genomes), "l2": l2}


def install(model: GeneLSTM, w: list[np.ndarray]) -> None:
    """Put per-strand weights (mix x TAPS each, taps 5' to 3' on the strand) into a new choice head."""
    m = model.cfg.mix
    head = nn.Conv1d(m, 2, TAPS, padding=TAPS // 2)
    with torch.no_grad():
        head.weight[0] = torch.from_numpy(w[0].reshape(m, TAPS))
        # the reverse strand reads 5' to 3' right to left in record coordinates
        head.weight[1] = torch.from_numpy(w[1].reshape(m, TAPS)[:, ::-1].copy())
        head.bias.zero_()  # a constant cancels in the choice
    model.cfg.choice_head = True
    model.choice_head = head


def without_head(model: GeneLSTM) -> GeneLSTM:
    """The same network without its choice head (for fine-tuning, which moves the features it reads)."""
    model.choice_head = None
    model.cfg.choice_head = False
    return model
