"""Prediction throughput and peak memory, with pyrodigal on the same input as the yardstick.

    python benchmarks/predict_speed.py -m MODEL.pt [GENOME] [--threads 2]

1. Throughput: `genelstm predict` on GENOME (default: the Acinetobacter K loci from ../shared/data,
   about 6 Mb in 247 records) in a child process: bases/s and peak RSS; then pyrodigal (meta mode,
   which suits many short records) on the same sequences in the same script; the wall-time ratio.
2. Memory vs contig length: random-sequence single contigs of 1 Mb and 20 Mb; peak RSS of each
   predict run. Flat memory means the second is not ~20x the first.
"""
from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def rss_of(cmd: list[str]) -> tuple[float, float]:
    """Peak RSS of one child measured in isolation (a fresh python process that runs it)."""
    code = ("import resource,subprocess,sys,time;t=time.perf_counter();"
            "r=subprocess.run(sys.argv[1:],capture_output=True);"
            "print(time.perf_counter()-t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss/1024, r.returncode)")
    out = subprocess.run([sys.executable, "-c", code, *cmd], capture_output=True, text=True).stdout.split()
    if out[2] != "0":
        sys.exit(f"failed: {' '.join(cmd)}")
    return float(out[0]), float(out[1])


def write_random(path: Path, length: int, seed: int) -> None:
    rng = random.Random(seed)
    with open(path, "w") as fh:
        fh.write(">contig1\n")
        for i in range(0, length, 60):
            fh.write("".join(rng.choices("ACGT", k=min(60, length - i))) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("genome", nargs="?")
    ap.add_argument("-m", "--model", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--skip-memory", action="store_true")
    args = ap.parse_args()
    genome = args.genome or str(ROOT.parent / "shared/data/acinetobacter_baumannii_K_loci_kaptive.gbk.gz")
    exe = [sys.executable, "-m", "genelstm"]
    from genelstm.annotation import read_genome

    g, _ = read_genome(genome)
    total = sum(r.length for r in g)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "p.gff3"
        wall, rss = rss_of(exe + ["predict", genome, "-m", args.model, "-o", str(out), "--no-progress",
                                  "--threads", str(args.threads)])
        n_genes = sum(1 for ln in out.read_text().splitlines() if "\tgene\t" in ln)
        print(f"genelstm predict: {total:,} bases in {wall:.1f} s = {total / wall:,.0f} bases/s, "
              f"peak RSS {rss:.0f} MB, {n_genes} genes (threads {args.threads})")
        import pyrodigal

        seqs = [g.fetch(r.id) for r in g]
        finder = pyrodigal.GeneFinder(meta=True)
        t0 = time.perf_counter()
        n_pyro = sum(len(finder.find_genes(s)) for s in seqs)
        pwall = time.perf_counter() - t0
        print(f"pyrodigal (meta): {total:,} bases in {pwall:.1f} s = {total / pwall:,.0f} bases/s, {n_pyro} genes")
        print(f"wall-time ratio genelstm / pyrodigal: {wall / pwall:.2f}x")
        if args.skip_memory:
            return
        for mb in (1, 20):
            fa = Path(tmp) / f"r{mb}.fa"
            write_random(fa, mb * 1_000_000, mb)
            wall, rss = rss_of(exe + ["predict", str(fa), "-m", args.model, "-o", str(out), "--no-progress",
                                      "--threads", str(args.threads)])
            print(f"single {mb:2d} Mb contig: {wall:6.1f} s, {mb * 1e6 / wall:,.0f} bases/s, peak RSS {rss:.0f} MB")


if __name__ == "__main__":
    main()
