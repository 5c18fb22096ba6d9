"""Strand symmetry on the VALIDATION genomes: how many calls change when the input is reverse-complemented,
and what averaging the network with its reverse-complement mirror (``rc_average``) buys.

    python benchmarks/strand_symmetry.py [-m MODEL] [--threads 2]

For each validation genome: calls with self-training and without a dialect (the settings the model uses
for --no-adapt and inputs under 20 kb), on the genome and on its reverse complement mapped back; the share
of calls (and of stops) that differ; and gene F1 without a dialect with and without ``rc_average``.
"""
from __future__ import annotations

import argparse
import os
from dataclasses import replace

import numpy as np
import torch

from common import add_split_args  # noqa: E402  (also puts ROOT on sys.path)

from genelstm import checkpoint  # noqa: E402
from genelstm.corpus import read_split  # noqa: E402
from genelstm.evaluate import evaluate  # noqa: E402
from genelstm.models import resolve  # noqa: E402
from genelstm.predict import PredictOptions, decode_record, decoder_options, genome_evidence, self_trained  # noqa: E402
from genelstm.sequence import ReverseComplemented  # noqa: E402
from genelstm.validation import load_val_genome  # noqa: E402


def calls_of(model, genome, opts, adapt: bool):
    if adapt:
        return self_trained(model, genome, opts, device=torch.device("cpu"))[0]
    recs = genome_evidence(model, genome, opts, device=torch.device("cpu"))
    return {rid: decode_record(rid, c, ev, opts) for rid, (c, ev) in recs.items()}


def keys(calls: dict, genome, mirrored: bool) -> set:
    out = set()
    for rid, cs in calls.items():
        n = genome.records[rid].length
        for c in cs:
            t = c.transcript
            s, e, strand = t.start, t.end, t.strand
            if mirrored:
                s, e, strand = n - e, n - s, -strand
            out.add((rid, s, e, strand))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("-m", "--model", default="prokaryote")
    add_split_args(ap)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    model, _, ck = checkpoint.load_model(resolve(args.model))
    base = PredictOptions(**decoder_options(ck))
    plain = replace(base, **base.small)
    f1 = {False: [], True: []}
    for e in [e for e in read_split(args.split) if e.role == "val"]:
        vg = load_val_genome(os.path.join(args.data_dir, e.file), e.table, e.name)
        rc = ReverseComplemented(vg.genome)
        for name, opts, adapt in (("self-training", base, True), ("no dialect", plain, False)):
            a = keys(calls_of(model, vg.genome, opts, adapt), vg.genome, False)
            b = keys(calls_of(model, rc, opts, adapt), vg.genome, True)
            stop = lambda k: (k[0], k[2] if k[3] == 1 else k[1], k[3])  # noqa: E731
            sa, sb = {stop(k) for k in a}, {stop(k) for k in b}
            print(f"{e.name[:32]:32s} {name:13s} (rc_average {opts.rc_average!s:5s}): {len(a ^ b) / 2 / len(a):6.1%} of "
                  f"calls and {len(sa ^ sb) / 2 / len(sa):5.1%} of stops change when reverse-complemented", flush=True)
        for avg in (False, True):
            opts = replace(plain, rc_average=avg)
            pred = [c.transcript for cs in calls_of(model, vg.genome, opts, False).values() for c in cs]
            r = evaluate(vg.genome, vg.reference, pred, tolerance=0)
            f1[avg].append((r["gene_stop"]["f1"], r["gene_start_stop"]["f1"]))
    for avg in (False, True):
        s, ss = np.mean(f1[avg], axis=0)
        print(f"no dialect, rc_average {avg!s:5s}: mean stop-exact F1 {s:.4f}, start+stop F1 {ss:.4f}")


if __name__ == "__main__":
    main()
