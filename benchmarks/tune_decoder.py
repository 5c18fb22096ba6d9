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


def corpus_priors(split: str, data_dir: str) -> list[dict]:
    """A dialect per TRAINING genome, fitted on its own annotation: the priors for inputs under 20 kb."""
    from genelstm.alphabet import reverse_complement_codes
    from genelstm.annotation import load

    out = []
    for e in read_split(split):
        if e.role != "train":
            continue
        ag = load(os.path.join(data_dir, e.file))
        strands = []
        for rec in ag.genome:
            codes, _ = ag.genome.encode(rec.id)
            n = len(codes)
            txs = [c.transcript for c in ag.checked if c.valid and c.transcript.seqid == rec.id
                   and len(c.transcript.cds) == 1 and not (c.transcript.partial5 or c.transcript.partial3)]
            strands.append((codes, [t.cds[0] for t in txs if t.strand == 1]))
            strands.append((reverse_complement_codes(codes), [(n - t.cds[0][1], n - t.cds[0][0]) for t in txs
                                                              if t.strand == -1]))
        d = selftrain.fit(strands, table=e.table)
        print(f"# prior {e.name}: {d.summary()}", file=sys.stderr)
        out.append(selftrain.to_plain(d, e.name))
    return out


def small_pieces(data, size: int = 15_000, count: int = 6):
    """Evenly spaced single-record pieces of each validation genome, as small inputs look."""
    from genelstm.sequence import MemoryGenome

    for vg, recs in data:
        rid, (codes, (ef, er)) = max(recs.items(), key=lambda kv: len(kv[1][0]))
        n = len(codes)
        for k in range(count):
            a = k * (n - size) // max(count - 1, 1)
            b = a + size
            sub = {rid: (codes[a:b], (ef.slice(a, b), er.slice(n - b, n - a)))}
            ref = [t for t in vg.reference if t.seqid == rid and a <= t.start and t.end <= b]
            ref = [type(t)(**{**t.__dict__, "cds": tuple((s - a, e - a) for s, e in t.cds)}) for t in ref]
            yield vg, MemoryGenome("piece", {rid: "N" * size}), ref, sub


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
    ap.add_argument("--priors", action="store_true", help="fit corpus priors (training genomes) and test them on "
                                                          "15 kb pieces of the validation genomes")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    model, _, ck = checkpoint.load_model(args.model)
    vals = [e for e in read_split(args.split) if e.role == "val"]
    data = []
    for e in vals:
        vg = load_val_genome(os.path.join(args.data_dir, e.file), e.table, e.name)
        t0 = time.time()
        recs = genome_evidence(model, vg.genome, PredictOptions(table=e.table), device=torch.device("cpu"))
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
    priors = []
    if args.priors:
        priors = corpus_priors(args.split, args.data_dir)
        w = selftrain.Weights(coding=best[2], start=best[3])
        opts = PredictOptions(start_weight=best[1], adapt=False)
        res = {"network only": [], "GC-matched prior": []}
        for vg, g, ref, sub in small_pieces(data):
            dec = lambda rid, c, ev: decode_record(rid, c, ev, opts)  # noqa: E731
            plain = {rid: dec(rid, c, ev) for rid, (c, ev) in sub.items()}
            prior = selftrain.nearest_by_gc(priors, selftrain.gc_of(sub))
            with_prior = selftrain.apply(sub, dec, selftrain.from_plain(prior), weights=w)
            for name, calls in (("network only", plain), ("GC-matched prior", with_prior)):
                r = evaluate(g, ref, [c.transcript for cs in calls.values() for c in cs], tolerance=0)
                res[name].append((r["gene_stop"]["f1"], r["gene_start_stop"]["f1"]))
        for name, v in res.items():
            print(f"# 15 kb pieces ({len(v)}), {name}: stop F1 {np.mean([x[0] for x in v]):.4f}, "
                  f"start+stop F1 {np.mean([x[1] for x in v]):.4f}")
    if args.write:
        payload = checkpoint.read(args.model)
        payload["decoder"] = {"start_weight": best[1], "adapt_coding": best[2], "adapt_start": best[3],
                              "chosen_on": [e.name for e in vals], "priors": priors}
        checkpoint.atomic_save(payload, args.model)
        print(f"# written to {args.model}")


if __name__ == "__main__":
    main()
