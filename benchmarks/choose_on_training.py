"""Choose a self-training setting that the validation genomes cannot choose, on the training genomes.

    python benchmarks/choose_on_training.py -m genelstm/models/prokaryote.pt --setting adapt_choice_ref [--write]

Three settings act only in genomes unlike the validation genomes (low-GC, few atypical genes, weak or no
Shine-Dalgarno), so
``tune_decoder.py`` sees no difference between their values. They are chosen here on the TRAINING genomes of
the split (mean of stop-exact and start+stop F1), with the validation genomes as a check that their mean
does not fall; test genomes are never read. Caveat: the network was trained on these genomes, so its own
evidence is better on them than on a genome it never saw, which favours trusting it over the dialect.
Training genomes whose reference genes Prodigal itself created (RAST re-annotations; Brucella, Haemophilus,
Neisseria: ``annotation_provenance.py``) are shown apart and do not choose: there a setting is rewarded for
agreeing with Prodigal, not for being right.

* ``adapt_choice_ref`` (``selftrain.Weights.choice_ref``): in genomes where stops are rare (GC-rich ones)
  the stop-free stretch upstream of a gene is long, scores like a gene under the genes-vs-genome dicodon
  table, and its sum pulls starts upstream. Above ``choice_ref`` start codons in that stretch per fitted
  start (``Dialect.upstream_starts``; validation genomes: 1.2-1.5) the dicodon term counts
  (choice_ref / upstream_starts) ** 2 of its weight when a stop's start is chosen.
* ``adapt_coding_floor`` (``selftrain.Weights.coding_floor``): the least the dicodon term may add to the
  score of a gene at least ``selftrain.FIT_MIN_LENGTH`` long, so that genes of atypical composition are not
  scored out by the genome-wide table alone (the validation genomes have few of them).
* ``adapt_sd_strong`` (``selftrain.Weights.sd_strong``): (from, to, multiplier) -- the Shine-Dalgarno term's
  multiplier in the start choice rises from 2 to ``multiplier`` as the information the SD class carries about
  the fitted starts (``Dialect.sd_information``) rises from ``from`` to ``to`` nats per start. The validation
  genomes measure 0.05-0.51 (training genomes -0.1-1.86), below every ``from`` tried, so they only check
  that nothing changes there.

--write stores the best value in the checkpoint's decoder settings.
"""
from __future__ import annotations

import argparse
import os
from dataclasses import replace

import numpy as np
import torch

from annotation_provenance import prodigal_made  # noqa: E402
from common import add_split_args  # noqa: E402  (also puts ROOT on sys.path)

from genelstm import checkpoint  # noqa: E402
from genelstm.corpus import read_split  # noqa: E402
from genelstm.predict import PredictOptions, decoder_options, genome_evidence  # noqa: E402
from genelstm.validation import decoded_f1, load_val_genome  # noqa: E402

#: training genomes shown apart, not choosing (their reference genes are Prodigal's calls)
PRODIGAL_MADE = "train, reference made by Prodigal"
#: candidate values per setting (the first: the setting off) and the Weights field each sets
SETTINGS = {
    "adapt_choice_ref": ("choice_ref", (0.0, 1.6, 2.0, 2.2, 2.6, 3.0)),
    "adapt_coding_floor": ("coding_floor", (None, 0.0, -1.0, -2.0, -4.0, -8.0)),
    "adapt_sd_strong": ("sd_strong", (None, [0.6, 1.0, 3.0], [0.6, 1.0, 4.0], [0.5, 1.0, 4.0], [0.8, 1.2, 4.0],
                                      [0.6, 1.0, 5.0])),
    # chosen on the validation genomes (tune_decoder.py --only adapt_length); listed here for the training check
    "adapt_length": ("length", (0.0, 5.0, 10.0, 15.0, 20.0, 25.0)),
}


def _fmt(v) -> str:
    return "off" if v is None else ",".join(f"{x:g}" for x in v) if isinstance(v, list) else f"{v:g}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("-m", "--model", required=True)
    ap.add_argument("--setting", choices=sorted(SETTINGS), required=True)
    add_split_args(ap)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    field, values = SETTINGS[args.setting]
    model, _, ck = checkpoint.load_model(args.model)
    base = PredictOptions(**decoder_options(ck))
    print("genome\trole\t" + "\t".join(f"{args.setting} {_fmt(v)}: stop/start+stop F1" for v in values))
    table: dict[str, list] = {"train": [], "val": [], PRODIGAL_MADE: []}
    for e in read_split(args.split):
        if e.role == "test":
            continue
        path = os.path.join(args.data_dir, e.file)
        role = PRODIGAL_MADE if e.role == "train" and prodigal_made(path) else e.role
        vg = load_val_genome(path, e.table, e.name)
        opts = replace(base, table=e.table)
        records = genome_evidence(model, vg.genome, opts, device=torch.device("cpu"))
        row = []
        for v in values:
            w = replace(opts.adapt_weights, **{field: tuple(v) if isinstance(v, list) else v})
            row.append(decoded_f1(vg, records, replace(opts, adapt_weights=w)))
        table[role].append(row)
        print(f"{e.name}\t{role}\t" + "\t".join(f"{a:.3f}/{b:.3f}" for a, b in row), flush=True)
    means = {role: np.array(rows).mean(0) for role, rows in table.items() if rows}
    for role, m in means.items():
        print(f"# mean over {len(table[role])} {role} genomes\t" + "\t".join(f"{a:.4f}/{b:.4f}" for a, b in m))
    # the training genomes choose (mean of the two F1s); the validation mean may not fall below the setting off
    ok = [i for i in range(len(values)) if means["val"][i].mean() >= means["val"][0].mean() - 1e-9]
    best = max(ok, key=lambda i: means["train"][i].mean())
    print(f"# chosen: {args.setting} = {_fmt(values[best])}")
    if args.write:
        payload = checkpoint.read(args.model)
        payload["decoder"] = {**payload.get("decoder", {}), args.setting: values[best]}
        checkpoint.atomic_save(payload, args.model)
        print(f"# written to {args.model}")


if __name__ == "__main__":
    main()
