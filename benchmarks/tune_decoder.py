"""Choose the decoder's weights on VALIDATION genomes only (never on test genomes).

    python benchmarks/tune_decoder.py -m MODEL.pt --split benchmarks/splits/prokaryotes.tsv \
        --data-dir ../shared/data/prokaryotes [--write]

The network runs once per genome; then every combination of the network's start-event weight, the
self-training dicodon weight and the self-training start weight is decoded and scored (stop-exact and
start+stop gene F1, averaged over the validation genomes). --write stores the best combination in the
checkpoint's ``decoder`` entry, where `genelstm predict` reads it.
"""
from __future__ import annotations

import argparse
import itertools
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from genelstm import checkpoint, selftrain  # noqa: E402
from genelstm.corpus import read_split  # noqa: E402
from genelstm.evaluate import evaluate  # noqa: E402
from genelstm.predict import PredictOptions, decode_record, genome_evidence  # noqa: E402
from genelstm.validation import load_val_genome  # noqa: E402


def score(vg, records, opts: PredictOptions) -> tuple[float, float]:
    if opts.adapt:
        calls, _, _ = selftrain.adapt(records, lambda rid, c, ev: decode_record(rid, c, ev, opts),
                                      table=opts.table, weights=opts.adapt_weights)
    else:
        calls = {rid: decode_record(rid, c, ev, opts) for rid, (c, ev) in records.items()}
    pred = [c.transcript for cs in calls.values() for c in cs]
    res = evaluate(vg.genome, vg.reference, pred, tolerance=0)
    return res["gene_stop"]["f1"], res["gene_start_stop"]["f1"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("-m", "--model", required=True)
    ap.add_argument("--split", default=str(ROOT / "benchmarks/splits/prokaryotes.tsv"))
    ap.add_argument("--data-dir", default=str(ROOT.parent / "shared/data/prokaryotes"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--net-start", default="16,32,64,128")
    ap.add_argument("--coding", default="0,1,2,4")
    ap.add_argument("--start", default="0,8,16,32")
    ap.add_argument("--write", action="store_true", help="store the best weights in the checkpoint")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    model, _, ck = checkpoint.load_model(args.model)
    vals = [e for e in read_split(args.split) if e.role == "val"]
    data = []
    for e in vals:
        vg = load_val_genome(os.path.join(args.data_dir, e.file), e.table, e.name)
        t0 = time.time()
        recs = genome_evidence(model, vg.genome, PredictOptions(table=e.table))
        print(f"# {e.name}: network {time.time() - t0:.1f} s", file=sys.stderr)
        data.append((vg, recs))
    grid = [float(x) for x in args.net_start.split(",")], [float(x) for x in args.coding.split(",")], \
        [float(x) for x in args.start.split(",")]
    print("net_start\tcoding\tstart\tstop_f1\tstart_stop_f1\tmean\t" + "\t".join(vg.name[:20] for vg, _ in data))
    best = None
    for ns in grid[0]:
        base = PredictOptions(start_weight=ns, adapt=False)
        combos = [(ns, None, None)] + [(ns, c, s) for c, s in itertools.product(grid[1], grid[2])]
        for ns_, c, s in combos:
            opts = base if c is None else PredictOptions(start_weight=ns, adapt=True,
                                                         adapt_weights=selftrain.Weights(coding=c, start=s))
            per = [score(vg, recs, PredictOptions(**{**opts.__dict__, "table": vg.table})) for vg, recs in data]
            stop = float(np.mean([p[0] for p in per]))
            ss = float(np.mean([p[1] for p in per]))
            mean = (stop + ss) / 2
            cols = "\t".join(f"{a:.3f}/{b:.3f}" for a, b in per)
            print(f"{ns:g}\t{'-' if c is None else c}\t{'-' if s is None else s}\t{stop:.4f}\t{ss:.4f}\t{mean:.4f}\t{cols}",
                  flush=True)
            if c is not None and (best is None or mean > best[0]):
                best = (mean, ns, c, s)
    print(f"# best (self-training on): net_start {best[1]:g}, coding {best[2]:g}, start {best[3]:g}, mean F1 {best[0]:.4f}")
    if args.write:
        payload = checkpoint.read(args.model)
        payload["decoder"] = {"start_weight": best[1], "adapt_coding": best[2], "adapt_start": best[3],
                              "chosen_on": [e.name for e in vals]}
        checkpoint.atomic_save(payload, args.model)
        print(f"# written to {args.model}")


if __name__ == "__main__":
    main()
