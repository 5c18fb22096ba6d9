"""Fit the network's start-choice head (genelstm/choice_head.py) on the training genomes' annotation.

    python benchmarks/fit_choice_head.py -m genelstm/models/prokaryote.pt -o model.pt [--weight 128]

The rest of the network is frozen; only the split's training genomes are read (their reference starts).
The checkpoint written is the input's with the head added, used where no dialect is fitted (``--no-adapt``
and inputs under 20 kb: ``decoder.small.choice_weight`` = --weight; the decoder's start choice then counts
the head's logits at that weight in place of the start event's). With self-training it stays off
(``decoder.choice_weight`` = 0): held out by clade it cost start+stop F1 there
(benchmarks/choice_head_lco.py).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

from common import add_split_args  # noqa: E402  (also puts ROOT on sys.path)

from genelstm import checkpoint, choice_head  # noqa: E402
from genelstm.corpus import read_split  # noqa: E402
from genelstm.validation import load_val_genome  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("-m", "--model", required=True)
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--weight", type=float, default=128.0, help="decoder.small.choice_weight to store")
    ap.add_argument("--l2", type=float, default=1e-4)
    add_split_args(ap)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    t0 = time.perf_counter()
    model, _, ck = checkpoint.load_model(args.model)
    entries = [e for e in read_split(args.split) if e.role == "train"]
    genomes = [load_val_genome(Path(args.data_dir) / e.file, e.table, e.name) for e in entries]
    summary = choice_head.fit(model, genomes, l2=args.l2, log=lambda s: print(s, file=sys.stderr, flush=True))
    ck["config"]["model"]["choice_head"] = True
    ck["state_dict"] = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    dec = ck.setdefault("decoder", {})
    dec["choice_weight"] = 0.0
    dec["small"] = {**dec.get("small", {}), "choice_weight": args.weight}
    ck.setdefault("data", {})["choice_head"] = checkpoint.plain(
        {**summary, "fitted_on": [e.name for e in entries], "split": Path(args.split).name})
    checkpoint.atomic_save(ck, args.output)
    print(f"choice head fitted on {len(genomes)} genomes ({sum(summary['genes'])} genes with a choice of start) "
          f"in {time.perf_counter() - t0:.0f} s; decoder.small.choice_weight {args.weight:g} -> {args.output}")


if __name__ == "__main__":
    main()
