"""Self-training on an input that mixes genomes (a metagenome's contigs, several isolates in one file).

    python benchmarks/mixed_input.py [--data-dir ../shared/data/prokaryotes] [-m MODEL] [--only 1,2,3]

One dialect fitted on all records of such an input is nobody's: this measures how much that costs and
whether grouping the records by codon usage (``selftrain.composition_groups``) recovers each genome's own
result. Genomes from the validation and training sides of the split only (test genomes are never read):

1. whole records: four genomes of four phyla mixed (Chlamydia, Prochlorococcus MIT9301, Paracoccus,
   Methanococcus), and two strains of one genus (Prochlorococcus MIT9301 and SS120); per genome, stop-exact /
   start+stop F1 decoded alone, mixed with one pooled dialect, and mixed with grouping (the default);
2. the four genomes cut into contigs of 10-60 kb, and of 2-8 kb, and shuffled together (a metagenome's
   assembly): the share of each genome's calls identical to those made on its own contigs alone, and how the
   groups match genomes;
3. a genome on the Mycoplasma code (table 4, Mycoplasma mycoides) mixed with two on table 11 (Chlamydia,
   Methanococcus), the input read as table 11 (its first records): per genome, F1 alone with its own table,
   mixed with the input's table for all, and mixed with each group's table read from its own records
   (``predict.self_trained(group_tables=True)``, the default when --table is not given).

A record's network evidence does not depend on the other records in the input (the streaming engine), so it is
computed once per genome.
"""
from __future__ import annotations

import argparse
import os
import random

import numpy as np
import torch

from common import ROOT, add_split_args  # noqa: E402  (also puts ROOT on sys.path)

from genelstm import checkpoint, selftrain  # noqa: E402
from genelstm.predict import PredictOptions, decode_record, decoder_options, genome_evidence  # noqa: E402
from genelstm.sequence import MemoryGenome  # noqa: E402
from genelstm.validation import calls_f1, load_val_genome  # noqa: E402

FOUR = {"Chlamydia": "Chlamydia_trachomatis_D-UW-3-CX_NC_000117.1.gbk.gz",
        "Prochlorococcus MIT9301": "Prochlorococcus_marinus_MIT9301_NC_009091.1.gbk.gz",
        "Paracoccus": "Paracoccus_sp_SCN_68-21.gb.gz",
        "Methanococcus": "Methanococcus_maripaludis_S2_NC_005791.gbk.gz"}
SS120 = ("Prochlorococcus SS120", "Prochlorococcus_marinus_SS120_NC_005042.1.gbk.gz")
TABLES = {"Chlamydia": (FOUR["Chlamydia"], 11), "Methanococcus": (FOUR["Methanococcus"], 11),
          "Mycoplasma mycoides": ("Mycoplasma_mycoides_subsp_mycoides_GCF_000800785.1.gbff.gz", 4)}


def self_train(records: dict, opts: PredictOptions, pooled: bool = False):
    """Calls per record and the groups, with grouping (default) or one pooled dialect."""
    saved = selftrain.SPLIT_GAIN
    if pooled:
        selftrain.SPLIT_GAIN = float("inf")
    try:
        calls, dialects, _ = selftrain.adapt(records, lambda rid, c, ev: decode_record(rid, c, ev, opts),
                                             table=opts.table, weights=opts.adapt_weights)
    finally:
        selftrain.SPLIT_GAIN = saved
    return calls, [g for g, _ in dialects]


def keys(calls: dict) -> set:
    return {(rid, c.transcript.strand, c.transcript.cds) for rid, cs in calls.items() for c in cs}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("-m", "--model", default=str(ROOT / "genelstm/models/prokaryote.pt"))
    add_split_args(ap)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--only", default="1,2,3", help="which parts to run")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    model, _, ck = checkpoint.load_model(args.model)
    opts = PredictOptions(**decoder_options(ck))
    cpu = torch.device("cpu")
    parts = set(args.only.split(","))
    if "3" in parts:
        tables(model, opts, args.data_dir)
    if not parts & {"1", "2"}:
        return
    genomes = {name: load_val_genome(os.path.join(args.data_dir, f), 11, name) for name, f in [*FOUR.items(), SS120]}
    evidence = {name: genome_evidence(model, vg.genome, opts, device=cpu) for name, vg in genomes.items()}
    owner = {rid: name for name, recs in evidence.items() for rid in recs}

    print("## 1. whole records: stop-exact / start+stop F1 per genome")
    for title, names in (("four phyla", list(FOUR)), ("one genus, two strains", ["Prochlorococcus MIT9301", SS120[0]])):
        mixed = {rid: ev for name in names for rid, ev in evidence[name].items()}
        pooled, _ = self_train(mixed, opts, pooled=True)
        grouped, groups = self_train(mixed, opts)
        print(f"# {title}: {len(groups)} group(s): "
              + "; ".join(sorted({owner[r] for r in g}).__repr__() for g in groups))
        print(f"{'genome':26s} {'alone':>13s} {'mixed, pooled':>15s} {'mixed, grouped':>15s}")
        rows = []
        for name in names:
            alone, _ = self_train(evidence[name], opts)
            own = lambda calls: {r: c for r, c in calls.items() if owner[r] == name}  # noqa: E731
            row = [calls_f1(genomes[name], own(x)) for x in (alone, pooled, grouped)]
            rows.append(row)
            print(f"{name:26s} " + " ".join(f"{a:.3f} / {b:.3f}".rjust(15) for a, b in row))
        m = np.array(rows).mean(0)
        print(f"{'mean':26s} " + " ".join(f"{a:.4f}/{b:.4f}".rjust(15) for a, b in m))

    if "2" in parts:
        for lo, hi in ((10_000, 60_000), (2_000, 8_000)):
            contigs(model, genomes, opts, lo, hi)


def tables(model, opts: PredictOptions, data_dir: str) -> None:
    """Part 3: a table-4 genome among table-11 ones, decoded through predict.self_trained as predict does."""
    from dataclasses import replace

    from genelstm.predict import resolve_table, self_trained

    print("## 3. a Mycoplasma (table 4) among table-11 genomes: stop-exact / start+stop F1 per genome")
    cpu = torch.device("cpu")
    genomes = {name: load_val_genome(os.path.join(data_dir, f), t, name) for name, (f, t) in TABLES.items()}
    seqs = {f"{name[:4]}|{r.id}": vg.genome.fetch(r.id) for name, vg in genomes.items() for r in vg.genome}
    mixed = MemoryGenome("mixed", seqs)
    auto, note, close = resolve_table(mixed, replace(opts, table=None))
    print(f"# the mixture as a whole: {note}")
    runs = {}
    for title, group_tables in (("input's table for all", False), ("each group's own table", True)):
        calls, notes, _ = self_trained(model, mixed, auto, device=cpu, read_table=group_tables, close_call=close)
        runs[title] = calls
        for line in notes[1:]:
            print(f"# {title}: {line[:160]}")
    print(f"{'genome':22s} {'alone, own table':>17s} " + " ".join(f"{t:>22s}" for t in runs))
    for name, vg in genomes.items():
        alone, _, _ = self_trained(model, vg.genome, replace(opts, table=vg.table), device=cpu)
        prefix = f"{name[:4]}|"
        row = [calls_f1(vg, alone)]
        for calls in runs.values():
            mine = {rid[len(prefix):]: [replace(c, transcript=replace(c.transcript, seqid=rid[len(prefix):]))
                                        for c in cs] for rid, cs in calls.items() if rid.startswith(prefix)}
            row.append(calls_f1(vg, mine))
        print(f"{name:22s} " + " ".join(f"{a:.3f} / {b:.3f}".rjust(22 if i else 17) for i, (a, b) in enumerate(row)),
              flush=True)


def contigs(model, genomes: dict, opts: PredictOptions, lo: int, hi: int) -> None:
    """The four genomes cut into contigs of lo-hi bases and shuffled together: grouped vs alone vs pooled."""
    print(f"## 2. the four genomes as {lo // 1000}-{hi // 1000} kb contigs, shuffled together")
    rng = random.Random(0)
    cpu = torch.device("cpu")
    pieces: dict[str, dict[str, str]] = {name: {} for name in FOUR}
    for name in FOUR:
        g = genomes[name].genome
        for rec in g:
            s, i = g.fetch(rec.id), 0
            while i < len(s):
                n = rng.randint(lo, hi)
                n = len(s) - i if len(s) - i - n < lo else n
                pieces[name][f"{rec.id}_{i}"] = s[i:i + n]
                i += n
    frag = {name: genome_evidence(model, MemoryGenome(name, seqs), opts, device=cpu) for name, seqs in pieces.items()}
    piece_owner = {rid: name for name, recs in frag.items() for rid in recs}
    order = list(piece_owner)
    rng.shuffle(order)
    mixed = {rid: frag[piece_owner[rid]][rid] for rid in order}
    grouped, groups = self_train(mixed, opts)
    pooled, _ = self_train(mixed, opts, pooled=True)
    print(f"# {len(mixed)} contigs; {len(groups)} groups: "
          + "; ".join(", ".join(f"{n} {sum(piece_owner[r] == n for r in g)}" for n in FOUR if any(piece_owner[r] == n for r in g))
                      for g in groups))
    for name in FOUR:
        alone, _ = self_train(frag[name], opts)
        a = keys(alone)
        mine = lambda calls: {r: c for r, c in calls.items() if piece_owner[r] == name}  # noqa: E731
        same = [len(a & keys(mine(x))) / max(len(a), 1) for x in (grouped, pooled)]
        print(f"{name:26s} {len(pieces[name]):4d} contigs, {len(a)} calls alone: identical when mixed "
              f"{same[0]:.1%} (grouped), {same[1]:.1%} (pooled)", flush=True)

if __name__ == "__main__":
    main()
