"""genelstm vs pyrodigal on the same annotated genomes, scored by genelstm's evaluator.

    python benchmarks/accuracy.py REFERENCE.gbk[.gz] [...] [-m MODEL] [--threads 2]
    python benchmarks/accuracy.py --split benchmarks/splits/prokaryotes.tsv --role test [--no-adapt-too]

For each GenBank/EMBL file (sequence + reference annotation): `genelstm predict` (a subprocess, so the
wall time is what a user waits), and pyrodigal in single mode trained on the whole genome (all its
records, as Prodigal does) when it has at least 100 kb, meta mode otherwise. Prints gene-level
(stop-exact, start+stop-exact) and coding-base sensitivity/precision/F1, wall time, and the mean over
genomes. --no-adapt-too adds genelstm without self-training; --strand-confusion adds the share of
reference genes whose opposite strand the network scores higher.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import PROKARYOTES  # noqa: E402  (also puts ROOT on sys.path)

from genelstm.annotation import read_genome  # noqa: E402
from genelstm.evaluate import evaluate, reference_models  # noqa: E402
from genelstm.genemodel import Transcript  # noqa: E402
from genelstm.gff3 import write_gff3  # noqa: E402

SINGLE_MIN = 100_000


def pyrodigal_gff(genome, out: Path, table: int = 11) -> float:
    import pyrodigal

    txs = []
    t0 = time.perf_counter()
    seqs = {rec.id: genome.fetch(rec.id).upper() for rec in genome}
    if sum(len(s) for s in seqs.values()) >= SINGLE_MIN:
        finder = pyrodigal.GeneFinder()
        finder.train(*seqs.values(), translation_table=table)
    else:
        finder = pyrodigal.GeneFinder(meta=True)
    for rid, seq in seqs.items():
        for i, g in enumerate(finder.find_genes(seq)):
            txs.append(Transcript(f"{rid}_p{i}", rid, g.strand, ((g.begin - 1, g.end),),
                                  partial5=g.partial_begin if g.strand == 1 else g.partial_end,
                                  partial3=g.partial_end if g.strand == 1 else g.partial_begin, table=table))
    wall = time.perf_counter() - t0
    with open(out, "w") as fh:
        write_gff3(fh, list(genome), txs, source="pyrodigal")
    return wall


def _f(res: dict, k: str) -> str:
    m = res[k]
    return f"{m['sensitivity']:.3f} {m['precision']:.3f} {m['f1']:.3f}"


def line(name: str, res: dict, wall: float, extra: str = "") -> str:
    return (f"{name:18s} {_f(res, 'gene_stop'):19s}   {_f(res, 'gene_start_stop'):19s}   {_f(res, 'base'):19s}  "
            f"{wall:7.1f}{extra}")


def strand_confusion(model: str, ref: str, table: int, threads: int) -> float:
    import torch

    from genelstm import checkpoint
    from genelstm.models import resolve
    from genelstm.validation import gene_metrics, load_val_genome

    torch.set_num_threads(threads)
    net, _, _ = checkpoint.load_model(resolve(model))
    return gene_metrics(net, [load_val_genome(ref, table)])["val_strand_confusion"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("references", nargs="*")
    ap.add_argument("--split", help="take genomes from this split file")
    ap.add_argument("--role", default="test", help="which role of the split file [test]")
    ap.add_argument("--data-dir", default=str(PROKARYOTES))
    ap.add_argument("-m", "--model", default="prokaryote")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--min-score", type=float, help="override the model's tuned threshold")
    ap.add_argument("--no-adapt-too", action="store_true", help="also run genelstm without self-training")
    ap.add_argument("--strand-confusion", action="store_true")
    ap.add_argument("--extra", default="", help="more genelstm predict options")
    args = ap.parse_args()
    jobs = [(r, 11) for r in args.references]
    if args.split:
        from genelstm.corpus import read_split

        jobs += [(os.path.join(args.data_dir, e.file), e.table) for e in read_split(args.split) if e.role == args.role]
    print(f"{'':18s} {'stop-exact S/P/F1':19s}   {'start+stop S/P/F1':19s}   {'coding bases S/P/F1':19s}  {'wall s':>7s}")
    variants = [("genelstm", [])] + ([("genelstm --no-adapt", ["--no-adapt"])] if args.no_adapt_too else [])
    f1: dict[str, list[tuple[float, float]]] = {}
    for ref, table in jobs:
        genome, _ = read_genome(ref)
        total = sum(r.length for r in genome)
        print(f"# {Path(ref).name}: {len(genome)} records, {total:,} bp, table {table}", flush=True)
        with tempfile.TemporaryDirectory() as tmp:
            for name, flags in variants:
                ours = Path(tmp) / "genelstm.gff3"
                t0 = time.perf_counter()
                subprocess.run([sys.executable, "-m", "genelstm", "predict", ref, "-m", args.model, "-o", str(ours),
                                "--threads", str(args.threads), "--no-progress", "--table", str(table), *flags,
                                *(["--min-score", str(args.min_score)] if args.min_score is not None else []),
                                *args.extra.split()], check=True)
                wall = time.perf_counter() - t0
                g, r, p, _ = reference_models(ref, None, ours)
                res = evaluate(g, r, p, tolerance=0)
                extra = ""
                if args.strand_confusion and not flags:
                    extra = f"   strand confusion {strand_confusion(args.model, ref, table, args.threads):.4f}"
                print(line(name, res, wall, extra), flush=True)
                f1.setdefault(name, []).append((res["gene_stop"]["f1"], res["gene_start_stop"]["f1"]))
            theirs = Path(tmp) / "pyrodigal.gff3"
            pwall = pyrodigal_gff(genome, theirs, table)
            g, r, p, _ = reference_models(ref, None, theirs)
            res = evaluate(g, r, p, tolerance=0)
            print(line("pyrodigal", res, pwall), flush=True)
            f1.setdefault("pyrodigal", []).append((res["gene_stop"]["f1"], res["gene_start_stop"]["f1"]))
    print(f"# mean over {len(jobs)} genome(s): stop-exact F1 / start+stop F1")
    for name, vals in f1.items():
        print(f"{name:18s} {sum(v[0] for v in vals) / len(vals):.3f} / {sum(v[1] for v in vals) / len(vals):.3f}")


if __name__ == "__main__":
    main()
