"""Training throughput (bases/s) and peak RSS on this machine.

    python benchmarks/train_throughput.py [GENOME ...] [--steps 30] [--threads 2]

Default input: the Klebsiella K loci from ../shared/data (or test_data/ when absent).
Prints one line per setting: cell, objective, bases/s, peak RSS in MB.
"""
from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

import numpy as np
import torch

from common import ROOT  # noqa: E402  (also puts ROOT on sys.path)

from genelstm.annotation import load_all  # noqa: E402
from genelstm.config import load_config  # noqa: E402
from genelstm.dataset import cut, random_picks, tracks_of  # noqa: E402
from genelstm.model import GeneLSTM  # noqa: E402
from genelstm.objectives import losses  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("genomes", nargs="*")
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    genomes = args.genomes or [str(p) for p in [ROOT.parent / "shared/data/klebsiella_K_loci_primary_kaptive.gbk.gz"]
                               if p.exists()] or [str(ROOT / "test_data/phiX174_NC_001422.gbk.gz")]
    torch.set_num_threads(args.threads)
    tracks = [t for ag in load_all(genomes) for t in tracks_of(ag)]
    print(f"data: {', '.join(Path(g).name for g in genomes)}; {sum(t.length for t in tracks):,} bases; "
          f"threads {args.threads}")
    for cell in ("lstm", "gru"):
        for objective in ("both", "tag", "lm"):
            cfg = load_config(None, {"cell": cell, "objective": objective})
            torch.manual_seed(0)
            model = GeneLSTM(cfg.model)
            opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
            rng = np.random.default_rng(0)
            bases, elapsed = 0, 0.0
            for step in range(args.steps + 3):
                batch = cut(tracks, random_picks(tracks, cfg.batch_size, cfg.window, rng), cfg.window)
                t0 = time.perf_counter()
                out = model(batch.codes, batch.soft, lm=objective != "tag", tag=objective != "lm")
                loss = losses(out, batch, cfg)["total"]
                opt.zero_grad()
                loss.backward()
                opt.step()
                if step >= 3:  # warm-up steps are not counted
                    elapsed += time.perf_counter() - t0
                    bases += batch.bases
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"cell={cell:4s} objective={objective:4s} batch={cfg.batch_size}x{cfg.window} "
                  f"train {bases / elapsed:10,.0f} bases/s   peak RSS {rss:7.0f} MB")


if __name__ == "__main__":
    main()
