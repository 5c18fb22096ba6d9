"""The label scheme: the one place that says what the model is asked to predict per base.

Per base and per strand (track 0 = forward, 1 = reverse):

* ``region``: one class of REGIONS (intergenic, CDS codon position 1/2/3, intron, UTR);
* ``events``: bit flags of EVENTS, each on one base, counted in the gene's own direction:
  the first base of the start codon, the first base of the stop codon, the first intron
  base (donor) and the last intron base (acceptor);
* ``mask``: True where the truth is unknown (genes that disagree with the sequence, N runs);
  losses and metrics skip these bases.

Overlapping genes on one strand in different frames (common in prokaryotes and phages) keep
their own start/stop events; the base's region class is that of the first gene written.
``decode`` is the simple, exact inverse used to prove the scheme loses nothing: it walks
from each start event codon by codon, across introns and a circular origin, to the in-frame
stop event.
"""
from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from .genemodel import Transcript

REGIONS = ("intergenic", "cds1", "cds2", "cds3", "intron", "utr")
INTERGENIC, CDS1, CDS2, CDS3, INTRON, UTR = range(len(REGIONS))
EVENTS = ("start", "stop", "donor", "acceptor")
START, STOP, DONOR, ACCEPTOR = (1 << i for i in range(len(EVENTS)))
STRANDS = (1, -1)


def track(strand: int) -> int:
    return 0 if strand == 1 else 1


@dataclass
class Labels:
    """Label arrays of one record, shape (2, length)."""

    region: np.ndarray  # uint8 class index
    events: np.ndarray  # uint8 bit flags
    mask: np.ndarray  # bool

    @classmethod
    def empty(cls, length: int) -> "Labels":
        return cls(
            np.zeros((2, length), np.uint8), np.zeros((2, length), np.uint8), np.zeros((2, length), bool)
        )

    @property
    def length(self) -> int:
        return self.region.shape[1]

    def event_array(self) -> np.ndarray:
        """Events as a (2, len(EVENTS), length) 0/1 array, as the model's event head sees them."""
        bits = np.array([1 << i for i in range(len(EVENTS))], np.uint8)
        return ((self.events[:, None, :] & bits[None, :, None]) > 0).astype(np.uint8)


def _positions(tx: Transcript) -> list[int]:
    """Genome positions of the CDS bases in transcription order."""
    out: list[int] = []
    for s, e in tx.cds:
        out.extend(range(s, e) if tx.strand == 1 else range(e - 1, s - 1, -1))
    return out


def label_record(length: int, valid: list[Transcript], masked: list[Transcript] = (),
                 n_mask: np.ndarray | None = None) -> Labels:
    """Labels for one record from its valid transcripts; masked transcripts and N bases become unknown."""
    lab = Labels.empty(length)
    for tx in masked:
        t = track(tx.strand)
        for s, e in list(tx.cds) + tx.introns():
            lab.mask[t, s:e] = True
    for tx in valid:
        t = track(tx.strand)
        region, events = lab.region[t], lab.events[t]
        for s, e in tx.utr:
            sl = region[s:e]
            sl[sl == INTERGENIC] = UTR
        for s, e in tx.introns():
            sl = region[s:e]
            sl[(sl == INTERGENIC) | (sl == UTR)] = INTRON
            if tx.strand == 1:
                events[s] |= DONOR
                events[e - 1] |= ACCEPTOR
            else:
                events[e - 1] |= DONOR
                events[s] |= ACCEPTOR
        pos = np.array(_positions(tx), dtype=np.int64)
        k = np.arange(len(pos))
        cls = (CDS1 + (k - tx.phase) % 3).astype(np.uint8)
        free = region[pos] < CDS1
        free |= region[pos] > CDS3
        region[pos[free]] = cls[free]
        if not tx.partial5:
            events[pos[0]] |= START
        if not tx.partial3:
            events[pos[-3]] |= STOP
    if n_mask is not None:
        lab.mask[:, n_mask] = True
    return lab


def decode(lab: Labels, seqid: str, *, circular: bool = False) -> list[Transcript]:
    """Gene models read back from labels (see module docstring); the inverse of ``label_record``."""
    out: list[Transcript] = []
    n = lab.length
    for strand in STRANDS:
        t = track(strand)
        region = lab.region[t] if strand == 1 else lab.region[t][::-1]
        events = lab.events[t] if strand == 1 else lab.events[t][::-1]
        region_l, events_l = region.tolist(), events.tolist()
        acceptors = np.flatnonzero(events & ACCEPTOR).tolist()
        seeds = [(int(p), 0, False) for p in np.flatnonzero(events & START)]
        if not circular and CDS1 <= region_l[0] <= CDS3 and not events_l[0] & START:
            seeds.append((0, (3 - (region_l[0] - CDS1)) % 3, True))
        for p, phase, partial5 in seeds:
            segs = _walk(region_l, events_l, acceptors, p, phase, circular)
            if segs is None:
                continue
            spans, partial3 = segs
            if strand == -1:
                spans = [(n - e, n - s) for s, e in spans]
            out.append(Transcript(id=f"{seqid}:{strand}:{p}", seqid=seqid, strand=strand, cds=tuple(spans),
                                  partial5=partial5, partial3=partial3, phase=phase))
    return out


def _walk(region: list[int], events: list[int], acceptors: list[int], p: int, phase: int,
          circular: bool) -> tuple[list[tuple[int, int]], bool] | None:
    """Follow one CDS from ``p``; None when the labels do not form a gene from there."""
    n = len(region)
    spans: list[tuple[int, int]] = []
    seg_start, pos, k = p, p, 0
    left: int | None = None  # bases of the stop codon still to take
    while k <= 3 * n:
        if not CDS1 <= region[pos] <= CDS3:
            return None
        if left is None and events[pos] & STOP and (k - phase) % 3 == 0:
            left = 3
        pos += 1
        k += 1
        if left is not None:
            left -= 1
            if left == 0:
                spans.append((seg_start, pos))
                return spans, False
        if pos == n:
            spans.append((seg_start, n))
            if not circular:
                return (spans, True) if left is None else None
            seg_start = pos = 0
        elif events[pos] & DONOR:
            i = bisect.bisect_right(acceptors, pos)
            if i == len(acceptors):
                return None
            spans.append((seg_start, pos))
            seg_start = pos = acceptors[i] + 1
            if pos == n:
                return None
    return None


def labels_by_record(checked, genome) -> dict[str, Labels]:
    """Labels for every record of an annotated genome (N runs masked)."""
    from .alphabet import N_CODE

    valid: dict[str, list[Transcript]] = defaultdict(list)
    masked: dict[str, list[Transcript]] = defaultdict(list)
    for c in checked:
        (valid if c.valid else masked)[c.transcript.seqid].append(c.transcript)
    out = {}
    for rec in genome:
        codes, _ = genome.encode(rec.id)
        out[rec.id] = label_record(rec.length, valid[rec.id], masked[rec.id], codes == N_CODE)
    return out
