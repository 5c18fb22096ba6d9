"""Next-base modelling as a tool: bits per base per record, surprisal tracks and atypical regions.

Beside genelstm's number stand two baselines fitted to the same input with 2-fold cross-fitting
(alternate chunks of up to 10 kb), k chosen by that held-out likelihood: the order-k Markov chain (a
proper likelihood) and the two-sided k-mer model, which like genelstm's next-base head sees both
sides of a base and so is its fair yardstick.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TextIO

import numpy as np
import torch
from tqdm import tqdm

from .alphabet import reverse_complement_codes
from .gff3 import escape_seqid
from .engine import RecordStream
from .markov import MarkovChain, TwoSided
from .model import GeneLSTM
from .sequence import Genome, ReverseComplemented

CHUNK = 10_000


@dataclass
class RecordScore:
    record: str
    length: int
    bits_forward: float
    bits_reverse: float
    scored: int
    windows: list[tuple[int, int, float]]  # (start, end, mean bits over both strands)

    @property
    def bits(self) -> float:
        return (self.bits_forward + self.bits_reverse) / 2


def score_genome(model: GeneLSTM, genome: Genome, *, window: int = 1000, block: int = 1_000_000,
                 device: torch.device = torch.device("cpu"), progress: bool = True) -> list[RecordScore]:
    out = []
    bar = tqdm(total=sum(r.length for r in genome), unit="b", unit_scale=True, desc="score", file=sys.stderr,
               disable=not progress)
    rc = ReverseComplemented(genome)
    for rec in genome:
        sums = {1: 0.0, -1: 0.0}
        n_ok = 0
        wins: list[tuple[int, int, float]] = []
        n = rec.length
        # each strand read as if whole (engine.RecordStream); the reverse strand is the reverse complement's
        forward = RecordStream(model, genome, rec.id, lm=True, device=device)
        reverse = RecordStream(model, rc, rec.id, lm=True, device=device)
        for a in range(0, rec.length, block):
            b = min(a + block, rec.length)
            f = forward.bits(a, b)
            r = reverse.bits(n - b, n - a)[::-1]
            ok = ~np.isnan(f)
            sums[1] += float(f[ok].sum())
            sums[-1] += float(r[ok].sum())
            n_ok += int(ok.sum())
            both = (f + r) / 2
            for ws in range(a, b, window):
                we = min(ws + window, b)
                seg = both[ws - a : we - a]
                seg = seg[~np.isnan(seg)]
                if len(seg):
                    wins.append((ws, we, float(seg.mean())))
            bar.update(b - a)
        out.append(RecordScore(rec.id, rec.length, sums[1] / max(n_ok, 1), sums[-1] / max(n_ok, 1), n_ok, wins))
    bar.close()
    return out


def kmer_baselines(genome: Genome, orders=range(0, 7), two_sided_orders=range(0, 5)) -> dict:
    """Cross-fitted bits/base (both strands) of the best order-k Markov chain and two-sided k-mer model."""
    halves: list[list[np.ndarray]] = [[], []]
    chunk = max(500, min(CHUNK, sum(r.length for r in genome) // 20))
    i = 0
    for rec in genome:
        codes, _ = genome.encode(rec.id)
        for a in range(0, rec.length, chunk):
            i += 1
            c = codes[a : a + chunk]
            halves[i % 2] += [c, reverse_complement_codes(c)]
    res = {}
    for name, kind, ks in (("markov", MarkovChain, orders), ("two_sided", TwoSided, two_sided_orders)):
        best = None
        for k in ks:
            total, n = 0.0, 0
            for fit, held in ((0, 1), (1, 0)):
                if not halves[fit] or not halves[held]:
                    continue
                t, m = kind(k).fit(halves[fit]).bits(halves[held])
                total, n = total + t, n + m
            if n and (best is None or total / n < best[1]):
                best = (k, total / n)
        if best:
            res[name] = {"k": best[0], "bits_per_base": round(best[1], 4)}
    return res


def atypical_regions(scores: list[RecordScore], *, z: float = 3.0) -> list[tuple[str, int, int, float]]:
    """Runs of windows whose surprisal is ``z`` robust standard deviations above the genome's median."""
    vals = np.array([w[2] for s in scores for w in s.windows])
    if len(vals) < 10:
        return []
    med = float(np.median(vals))
    mad = float(np.median(np.abs(vals - med))) * 1.4826 or float(vals.std()) or 1.0
    out = []
    for s in scores:
        run: list[tuple[int, int, float]] = []
        for w in s.windows + [(0, 0, -np.inf)]:
            zz = (w[2] - med) / mad
            if zz >= z:
                run.append((w[0], w[1], zz))
            elif run:
                out.append((s.record, run[0][0], run[-1][1], max(r[2] for r in run)))
                run = []
    return out


def write_table(fh: TextIO, scores: list[RecordScore], baselines: dict) -> None:
    mk, ts = baselines.get("markov", {}), baselines.get("two_sided", {})
    fh.write("record\tlength\tbits_forward\tbits_reverse\tbits_per_base\tmarkov_k\tmarkov_bits\t"
             "two_sided_k\ttwo_sided_bits\n")
    for s in scores:
        fh.write(f"{s.record}\t{s.length}\t{s.bits_forward:.4f}\t{s.bits_reverse:.4f}\t{s.bits:.4f}\t"
                 f"{mk.get('k', '')}\t{mk.get('bits_per_base', '')}\t{ts.get('k', '')}\t{ts.get('bits_per_base', '')}\n")
    total = sum(s.scored for s in scores)
    mean = sum(s.bits * s.scored for s in scores) / max(total, 1)
    fh.write(f"ALL\t{sum(s.length for s in scores)}\t\t\t{mean:.4f}\t{mk.get('k', '')}\t"
             f"{mk.get('bits_per_base', '')}\t{ts.get('k', '')}\t{ts.get('bits_per_base', '')}\n")


def write_bedgraph(fh: TextIO, scores: list[RecordScore]) -> None:
    fh.write('track type=bedGraph name="genelstm surprisal (bits/base)"\n')
    for s in scores:
        rid = escape_seqid(s.record)
        fh.writelines(f"{rid}\t{a}\t{b}\t{v:.4f}\n" for a, b, v in s.windows)


def write_bed(fh: TextIO, regions: list[tuple[str, int, int, float]]) -> None:
    for i, (rid, a, b, zz) in enumerate(regions, 1):
        fh.write(f"{escape_seqid(rid)}\t{a}\t{b}\tatypical_{i}\t{min(1000, int(zz * 100))}\t.\n")
