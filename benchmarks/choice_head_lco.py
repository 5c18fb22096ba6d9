"""Does the start-choice head help on clades it was not fitted on? Leave-clade-out over the training genomes.

    python benchmarks/choice_head_lco.py [-m MODEL] [--weight 128] [--per-codon 5,10] [--parts 0/1]

For each clade of the split's training genomes: fit the head (genelstm/choice_head.py) on the other
training clades' annotated starts, then decode that clade's genomes with self-training and with the
network alone (`--no-adapt` settings), the head's weight 0 and --weight; --per-codon adds a column per value:
the network alone with the head and that per-codon term in the start choice (PredictOptions.choice_per_codon;
the other columns have the model's own). Validation and test genomes are never read. This chose where the
bundled model uses its head: only without a dialect.
"""
from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from common import ROOT, add_parts_args, add_split_args, part_of  # noqa: E402  (also puts ROOT on sys.path)

from genelstm import checkpoint, choice_head  # noqa: E402
from genelstm.choice_head import without_head  # noqa: E402
from genelstm.corpus import read_split  # noqa: E402
from genelstm.predict import PredictOptions, decoder_options, genome_evidence  # noqa: E402
from genelstm.validation import decoded_f1, load_val_genome  # noqa: E402

COLUMNS = ("self-training", "self-training + head", "network alone", "network alone + head")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("-m", "--model", default=str(ROOT / "genelstm/models/prokaryote.pt"))
    ap.add_argument("--weight", type=float, default=128.0)
    ap.add_argument("--per-codon", default="", help="comma-separated choice_per_codon values: a column each of "
                                                    "the network alone with the head and that value")
    add_split_args(ap)
    add_parts_args(ap, "clade")
    args = ap.parse_args()
    part, nparts = part_of(args)
    model, _, ck = checkpoint.load_model(args.model)
    without_head(model)  # each clade gets its own head below
    base = PredictOptions(**decoder_options(ck))
    train = [e for e in read_split(args.split) if e.role == "train"]
    genomes = {e.name: load_val_genome(Path(args.data_dir) / e.file, e.table, e.name) for e in train}
    per_codon = [float(v) for v in args.per_codon.split(",") if v]
    columns = COLUMNS + tuple(f"network alone + head, per codon {v:g}" for v in per_codon)
    print("genome\tclade\t" + "\t".join(f"{c}: stop/start+stop F1" for c in columns), flush=True)
    cached = {name: choice_head.examples(model, vg) for name, vg in genomes.items()}  # the network is frozen
    rows = []
    for clade in sorted({e.clade for e in train})[part::nparts]:
        choice_head.fit(model, [genomes[e.name] for e in train if e.clade != clade], cached=cached)
        for e in (e for e in train if e.clade == clade):
            vg = genomes[e.name]
            opts = replace(base, table=e.table)
            records = genome_evidence(model, vg.genome, opts, device=torch.device("cpu"))
            alone = replace(opts.without_dialect(10**12), adapt=False)  # --no-adapt on a large input
            row = [decoded_f1(vg, records, replace(o, choice_weight=w))
                   for o in (opts, alone) for w in (0.0, args.weight)]
            row += [decoded_f1(vg, records, replace(alone, choice_weight=args.weight, choice_per_codon=v))
                    for v in per_codon]
            rows.append(row)
            print(f"{e.name}\t{clade}\t" + "\t".join(f"{a:.3f}/{b:.3f}" for a, b in row), flush=True)
        without_head(model)
    m = np.mean(rows, axis=0)
    print(f"# mean over {len(rows)} genomes\t\t" + "\t".join(f"{a:.4f}/{b:.4f}" for a, b in m))


if __name__ == "__main__":
    main()
