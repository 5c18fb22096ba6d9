"""Why self-training misses the reference genes that pyrodigal finds: where each is lost, and what scores it down.

    python benchmarks/missed_genes.py GENOME.gbk [GENOME.gbk ...] [-m MODEL] [--table 11]

For every complete single-exon reference gene whose stop genelstm (with self-training) does not call, by
how pyrodigal (single mode, trained on the genome) fares on it: *no candidate* (no ORF of an offered start
codon ends at that stop, long enough), *below threshold* (the best start's score, after the gene-length
prior, is under ``min_score``), or *lost in selection* (scored above the threshold but overlaps a better
set of genes). For the below-threshold genes pyrodigal finds, the median of each part of the score the
decoder gives pyrodigal's start: network coding, the dialect's dicodon term (with its floor), the start
(network, codon prior and start model), the stop, the length prior. Decoded per whole record (predict cuts
very long records into blocks; the classes are the same). Only for analysis on training and validation
genomes: choosing anything on test genomes is not allowed.
"""
from __future__ import annotations

import argparse
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np
import pyrodigal
import torch

from common import ROOT  # noqa: E402  (also puts ROOT on sys.path)

from genelstm import checkpoint, selftrain  # noqa: E402
from genelstm.alphabet import reverse_complement_codes  # noqa: E402
from genelstm.decode import _candidates, _floored, length_penalty  # noqa: E402
from genelstm.predict import PredictOptions, decode_record, decoder_options, genome_evidence  # noqa: E402
from genelstm.validation import load_val_genome  # noqa: E402

PARTS = ("network coding", "dicodon", "start", "stop", "length prior", "total")


def strand_key(strand: int, start: int, end: int, n: int) -> tuple[int, int]:
    """(strand, 3' end in that strand's own coordinates)."""
    return (strand, end) if strand == 1 else (strand, n - start)


def analyse(path: str, model, ck: dict, table: int) -> None:
    opts = replace(PredictOptions(**decoder_options(ck)), table=table)
    w = opts.adapt_weights
    vg = load_val_genome(path, table, Path(path).name)
    records = genome_evidence(model, vg.genome, opts, device=torch.device("cpu"))
    calls, dialects, _ = selftrain.adapt(records, lambda rid, c, ev: decode_record(rid, c, ev, opts), table=table,
                                         weights=w)
    dialect_of = {rid: d for group, d in dialects for rid in group}
    seqs = {rec.id: vg.genome.fetch(rec.id).upper() for rec in vg.genome}
    finder = pyrodigal.GeneFinder()
    finder.train(*seqs.values(), translation_table=table)
    bonus = opts.codon_bonus(table)
    counts: Counter = Counter()
    parts: list[list[float]] = []
    for rid, (codes, (ef, er)) in records.items():
        n = len(codes)
        pyro = {}
        for g in finder.find_genes(seqs[rid]):
            s, e = g.begin - 1, g.end
            pyro[strand_key(g.strand, s, e, n)] = s if g.strand == 1 else n - e
        ours = {strand_key(c.transcript.strand, c.transcript.start, c.transcript.end, n) for c in calls[rid]}
        genes = selftrain.strand_genes([c.transcript for c in calls[rid]], n)
        for strand, c, ev, own in ((1, codes, ef, genes[0]), (-1, reverse_complement_codes(codes), er, genes[1])):
            st = selftrain.Strand(c, table)
            ev2 = selftrain.with_dialect(ev, st, dialect_of[rid], w, table, [e for _, e in own])
            best = {}
            for s, e, score, _, _ in _candidates(c, ev2, table=table, min_length=opts.min_length, open5=True,
                                                 open3=True, start_weight=opts.start_weight, codon_bonus=bonus,
                                                 coding_weight=opts.coding_weight,
                                                 start_codons=frozenset(opts.start_codons)):
                best[e] = score - length_penalty(e - s, opts.length_prior)
            for t in vg.reference:
                if t.seqid != rid or t.strand != strand or t.partial5 or t.partial3 or len(t.cds) != 1:
                    continue
                key = strand_key(strand, t.start, t.end, n)
                if key in ours:
                    continue
                end = key[1]
                kind = ("no candidate" if end not in best else
                        "below threshold" if best[end] <= opts.min_score else "lost in selection")
                found = key in pyro
                counts[(kind, found)] += 1
                if kind == "below threshold" and found:
                    ps = pyro[key]
                    frame = ps % 3
                    seg = np.arange(ps, end)
                    coding = float(opts.coding_weight * ev.cod[(seg - frame) % 3, seg].astype(float).sum())
                    extra = float(_floored(ev2.coding_extra[np.arange(ps + w.skip, end, 3)].sum(), end - ps,
                                           ev2.extra_floor))
                    start = float(opts.start_weight * ev.start[ps] + (bonus[st.ids[ps]] if bonus is not None else 0)
                                  + ev2.start_extra[ps])
                    stop = float(ev.stop[end - 3])
                    prior = -length_penalty(end - ps, opts.length_prior)
                    parts.append([coding, extra, start, stop, prior, coding + extra + start + stop + prior])
    print(f"# {Path(path).name}: " + "; ".join(d.summary() for _, d in dialects))
    for kind in ("no candidate", "below threshold", "lost in selection"):
        print(f"{kind:18s} pyrodigal finds {counts[(kind, True)]:4d}, misses too {counts[(kind, False)]:4d}")
    if parts:
        med = np.median(np.array(parts), axis=0)
        print(f"below threshold, found by pyrodigal ({len(parts)}): median score parts at pyrodigal's start "
              f"(threshold {opts.min_score:g}): " + ", ".join(f"{p} {v:+.0f}" for p, v in zip(PARTS, med)))
        neg = np.mean(np.array(parts)[:, 1] < 0)
        print(f"  share with a negative dicodon term: {neg:.0%}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("genomes", nargs="+")
    ap.add_argument("-m", "--model", default=str(ROOT / "genelstm/models/prokaryote.pt"))
    ap.add_argument("--table", type=int, default=11)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    model, _, ck = checkpoint.load_model(args.model)
    for path in args.genomes:
        analyse(path, model, ck, args.table)


if __name__ == "__main__":
    main()
