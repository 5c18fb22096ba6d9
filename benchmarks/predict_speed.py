"""Prediction wall time and peak memory, with pyrodigal on the same input as the yardstick.

    python benchmarks/predict_speed.py [GENOME] [-m MODEL] [--threads 2] [--sizes 1,20]

1. `genelstm -v predict` on GENOME (default: the 87-contig, 3.4 Mb Paracoccus draft from
   ../shared/data/prokaryotes) in a child process, with self-training on and off: wall time, peak RSS
   and the time per stage that predict reports (start-up = wall minus the stages); then pyrodigal in
   single mode (train on the genome + find genes, as Prodigal does) on the same sequences; the ratios.
2. Memory vs contig length: random single contigs of the given sizes (Mb), predicted with
   --no-adapt (the streaming path); flat memory means the peak RSS does not grow with the size.
"""
from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import PROKARYOTES  # noqa: E402  (also puts ROOT on sys.path)


def write_random(path: Path, length: int, seed: int) -> None:
    rng = random.Random(seed)
    with open(path, "w") as fh:
        fh.write(">contig1\n")
        for i in range(0, length, 60):
            fh.write("".join(rng.choices("ACGT", k=min(60, length - i))) + "\n")


def timed_predict(cmd: list[str]) -> tuple[float, float, str]:
    """(wall, peak RSS MB, the stage line predict logged) of one predict run."""
    code = ("import resource,subprocess,sys,time;t=time.perf_counter();"
            "r=subprocess.run(sys.argv[1:],capture_output=True,text=True);"
            "line=[x for x in r.stderr.splitlines() if 'INFO: time:' in x];"
            "print(time.perf_counter()-t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss/1024, r.returncode);"
            "print(line[-1] if line else '')")
    out = subprocess.run([sys.executable, "-c", code, *cmd], capture_output=True, text=True).stdout.splitlines()
    wall, rss, rc = out[0].split()
    if rc != "0":
        sys.exit(f"failed: {' '.join(cmd)}")
    return float(wall), float(rss), out[1].split("time: ", 1)[-1] if len(out) > 1 else ""


def stage_seconds(line: str) -> float:
    return sum(float(part.rsplit(" ", 2)[-2]) for part in line.split(", ") if part.endswith(" s"))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("genome", nargs="?")
    ap.add_argument("-m", "--model", default="prokaryote")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--sizes", default="1,20", help="random single-contig sizes in Mb ('' to skip)")
    args = ap.parse_args()
    genome = args.genome or str(PROKARYOTES / "Paracoccus_sp_SCN_68-21.gb.gz")
    exe = [sys.executable, "-m", "genelstm", "-v"]
    from genelstm.annotation import read_genome

    g, _ = read_genome(genome)
    total = sum(r.length for r in g)
    print(f"# {Path(genome).name}: {len(g)} records, {total:,} bases; {args.threads} threads")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "p.gff3"
        walls = {}
        for name, flags in (("self-training on", []), ("self-training off", ["--no-adapt"])):
            wall, rss, stages = timed_predict(exe + ["predict", genome, "-m", args.model, "-o", str(out),
                                                     "--no-progress", "--threads", str(args.threads), *flags])
            n_genes = sum(1 for ln in out.read_text().splitlines() if "\tgene\t" in ln)
            walls[name] = wall
            print(f"genelstm, {name}: {wall:.1f} s = {total / wall:,.0f} bases/s, peak RSS {rss:.0f} MB, "
                  f"{n_genes} genes; start-up {wall - stage_seconds(stages):.2f} s, {stages}")
        import pyrodigal

        seqs = [g.fetch(r.id).upper() for r in g]
        t0 = time.perf_counter()
        finder = pyrodigal.GeneFinder()
        finder.train(*seqs)
        n_pyro = sum(len(finder.find_genes(s)) for s in seqs)
        pwall = time.perf_counter() - t0
        print(f"pyrodigal (single: train + find): {pwall:.1f} s = {total / pwall:,.0f} bases/s, {n_pyro} genes")
        for name, wall in walls.items():
            print(f"wall-time ratio genelstm ({name}) / pyrodigal: {wall / pwall:.2f}x")
        for mb in [int(x) for x in args.sizes.split(",") if x]:
            fa = Path(tmp) / f"r{mb}.fa"
            write_random(fa, mb * 1_000_000, mb)
            wall, rss, stages = timed_predict(exe + ["predict", str(fa), "-m", args.model, "-o", str(out),
                                                     "--no-progress", "--no-adapt", "--threads", str(args.threads)])
            print(f"single {mb:3d} Mb random contig (--no-adapt): {wall:6.1f} s, {mb * 1e6 / wall:,.0f} bases/s, "
                  f"peak RSS {rss:.0f} MB")


if __name__ == "__main__":
    main()
