"""genelstm vs pyrodigal on the same annotated records, scored by genelstm's evaluator.

    python benchmarks/accuracy.py REFERENCE.gbk[.gz] [...] [-m MODEL] [--threads 2] [--min-score 0]

For each GenBank/EMBL file (sequence + reference annotation): genelstm predict, and pyrodigal in
single mode on records of at least 100 kb (trained on that record) and meta mode on shorter ones.
Prints gene-level (stop-exact, start+stop-exact) and base-level sensitivity/precision/F1 and wall time.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from genelstm.annotation import read_genome  # noqa: E402
from genelstm.evaluate import evaluate, reference_models  # noqa: E402
from genelstm.genemodel import Transcript  # noqa: E402
from genelstm.gff3 import write_gff3  # noqa: E402

SINGLE_MIN = 100_000


def pyrodigal_gff(genome, out: Path) -> float:
    import pyrodigal

    txs = []
    t0 = time.perf_counter()
    meta = pyrodigal.GeneFinder(meta=True)
    for rec in genome:
        seq = genome.fetch(rec.id).upper()
        if rec.length >= SINGLE_MIN:
            finder = pyrodigal.GeneFinder()
            finder.train(seq)
        else:
            finder = meta
        for i, g in enumerate(finder.find_genes(seq)):
            txs.append(Transcript(f"{rec.id}_p{i}", rec.id, g.strand, ((g.begin - 1, g.end),),
                                  partial5=g.partial_begin if g.strand == 1 else g.partial_end,
                                  partial3=g.partial_end if g.strand == 1 else g.partial_begin))
    wall = time.perf_counter() - t0
    with open(out, "w") as fh:
        write_gff3(fh, list(genome), txs, source="pyrodigal")
    return wall


def line(name: str, res: dict, wall: float) -> str:
    def f(k):
        m = res[k]
        return f"{m['sensitivity']:.3f} {m['precision']:.3f} {m['f1']:.3f}"

    return f"{name:10s} {f('gene_stop'):19s}   {f('gene_start_stop'):19s}   {f('base'):19s}  {wall:7.1f}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("references", nargs="+")
    ap.add_argument("-m", "--model", default="prokaryote")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--min-score", type=float, default=0.0)
    ap.add_argument("--extra", default="", help="more genelstm predict options")
    args = ap.parse_args()
    print(f"{'':10s} {'stop-exact S/P/F1':19s}   {'start+stop S/P/F1':19s}   {'coding bases S/P/F1':19s}  {'wall s':>7s}")
    for ref in args.references:
        genome, _ = read_genome(ref)
        total = sum(r.length for r in genome)
        print(f"# {Path(ref).name}: {len(genome)} records, {total:,} bp")
        with tempfile.TemporaryDirectory() as tmp:
            ours = Path(tmp) / "genelstm.gff3"
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "genelstm", "predict", ref, "-m", args.model, "-o", str(ours),
                            "--threads", str(args.threads), "--no-progress", "--min-score", str(args.min_score),
                            *args.extra.split()], check=True)
            wall = time.perf_counter() - t0
            g, r, p, _ = reference_models(ref, None, ours)
            print(line("genelstm", evaluate(g, r, p, tolerance=0), wall))
            theirs = Path(tmp) / "pyrodigal.gff3"
            pwall = pyrodigal_gff(genome, theirs)
            g, r, p, _ = reference_models(ref, None, theirs)
            print(line("pyrodigal", evaluate(g, r, p, tolerance=0), pwall))


if __name__ == "__main__":
    main()
