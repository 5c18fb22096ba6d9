"""Does `genelstm adapt` help on a genus the model never saw?

    python benchmarks/adapt_experiment.py TARGET.gbk[.gz] [-m prokaryote] [--max-minutes 8]

1. Adapts the model to TARGET (its annotation unused: labels come from genelstm's own self-trained
   calls), holding out 20% of its 50 kb pieces.
2. Bits/base on those held-out pieces before and after, beside the best order-k Markov chain and
   the best two-sided k-mer model fitted to the target's other pieces (the same unlabelled sequence).
3. Gene-level accuracy before and after with benchmarks/accuracy.py (pyrodigal beside them).
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT  # noqa: E402  (also puts ROOT on sys.path)

from genelstm.adapt import adapt, pieces  # noqa: E402
from genelstm.alphabet import reverse_complement_codes  # noqa: E402
from genelstm.annotation import load_all  # noqa: E402
from genelstm.dataset import tracks_of  # noqa: E402
from genelstm.markov import MarkovChain, TwoSided, best_order  # noqa: E402
from genelstm.models import resolve  # noqa: E402
from genelstm.windows import split_records  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("target")
    ap.add_argument("-m", "--model", default="prokaryote")
    ap.add_argument("--max-minutes", type=float, default=8.0)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    tracks = pieces([t for ag in load_all([args.target]) for t in tracks_of(ag, annotated=False)])
    train_ids, val_ids = split_records([t.record for t in tracks], val_fraction=0.2, seed=0)
    tr = [t.codes for t in tracks if t.record in set(train_ids)]
    va = [t.codes for t in tracks if t.record in set(val_ids)]
    tr2 = tr + [reverse_complement_codes(c) for c in tr]
    k, mk, _ = best_order(MarkovChain, tr2, va, range(0, 8))
    k2, ts, _ = best_order(TwoSided, tr2, va, range(0, 5))
    print(f"target {Path(args.target).name}: {sum(map(len, tr)):,} bases to adapt on, {sum(map(len, va)):,} held out")
    print(f"held-out baselines fitted to the target: Markov k={k} {mk:.4f}, two-sided k={k2} {ts:.4f} bits/base")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "adapted.pt"
        t0 = time.time()
        best = adapt(resolve(args.model), [args.target], out, max_minutes=args.max_minutes, threads=args.threads,
                     progress=False)
        print(f"adaptation: {(time.time() - t0) / 60:.1f} min; held-out bits/base {best['val_bits_before']:.4f} "
              f"before -> {best['val_bits_per_base']:.4f} after")
        for name, model in (("before", args.model), ("after", str(out))):
            print(f"## gene level, {name} adaptation")
            subprocess.run([sys.executable, str(ROOT / "benchmarks/accuracy.py"), args.target, "-m", model,
                            "--threads", str(args.threads)], check=True)


if __name__ == "__main__":
    main()
