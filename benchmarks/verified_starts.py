"""Experimentally verified starts: the share of genes predicted with exactly the verified start and stop.

    python benchmarks/verified_starts.py [-m MODEL] [--threads 2]

Uses ../shared/data/prokaryotes/verified_starts/ (701 M. tuberculosis H37Rv genes) and the genome beside
it. M. tuberculosis is a test genome of benchmarks/splits/prokaryotes.tsv: the bundled model never trained
on it and nothing was chosen on it. pyrodigal (single mode, trained on the genome) is run beside it.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import PROKARYOTES  # noqa: E402  (also puts ROOT on sys.path)

from genelstm.annotation import read_annotation, read_genome  # noqa: E402

DATA = PROKARYOTES
GENOME = DATA / "Mycobacterium_tuberculosis_H37Rv_GCA_000195955.2.gbff.gz"
VERIFIED = DATA / "verified_starts/Mycobacterium_tuberculosis_H37Rv.verified_starts.gff3"


def keys(path: Path, genome) -> set[tuple[str, int, int, int]]:
    return {(t.seqid, t.strand, t.start, t.end) for g in read_annotation(path, genome) for t in g.transcripts}


def verified_keys(path: Path) -> set[tuple[str, int, int, int]]:
    """The verified file has one CDS row per gene with a gene_id and no ID: read its rows directly."""
    out = set()
    for line in open(path):
        f = line.rstrip("\n").split("\t")
        if len(f) == 9 and f[2] == "CDS":
            out.add((f[0], 1 if f[6] == "+" else -1, int(f[3]) - 1, int(f[4])))
    return out


def report(name: str, predicted: set, verified: set, wall: float) -> None:
    hit = len(predicted & verified)
    stops = {(s, st, (e if st == 1 else b)) for s, st, b, e in predicted}
    stop_hit = sum(1 for s, st, b, e in verified if (s, st, (e if st == 1 else b)) in stops)
    print(f"{name:10s} exact start+stop {hit}/{len(verified)} = {hit / len(verified):.1%}; "
          f"stop found {stop_hit}/{len(verified)}; wall {wall:.1f} s", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("-m", "--model", default="prokaryote")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--extra", default="")
    args = ap.parse_args()
    genome, _ = read_genome(GENOME)
    verified = verified_keys(VERIFIED)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "genelstm.gff3"
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "genelstm", "predict", str(GENOME), "-m", args.model, "-o", str(out),
                        "--threads", str(args.threads), "--no-progress", *args.extra.split()], check=True)
        report("genelstm", keys(out, genome), verified, time.perf_counter() - t0)
    import pyrodigal

    t0 = time.perf_counter()
    seqs = {r.id: genome.fetch(r.id).upper() for r in genome}
    finder = pyrodigal.GeneFinder()
    finder.train(*seqs.values())
    pred = set()
    for rid, seq in seqs.items():
        for g in finder.find_genes(seq):
            pred.add((rid, g.strand, g.begin - 1, g.end))
    report("pyrodigal", pred, verified, time.perf_counter() - t0)


if __name__ == "__main__":
    main()
