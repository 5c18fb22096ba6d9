"""Where the start+stop gap to pyrodigal can still close: the start model against its ceilings.

    python benchmarks/start_ceiling.py [--split benchmarks/splits/prokaryotes.tsv] [-m MODEL] [--parts 0/1]

Per training and validation genome (test genomes are never read), start+stop F1 after self-training as
`genelstm predict` runs it, then one more decoding round with the start choice re-fitted five ways:

* ``control``: the start model (codon type, Shine-Dalgarno class, composition) fitted on the calls again;
* ``model on annotation``: the same start model fitted on the reference genes instead of the calls -- how
  much better self-training's start tables would be with perfect labels;
* ``head on calls`` / ``head on annotation``: a per-genome re-fit of the network's start output, added to
  the start choice beside the start model: a conditional logit over each ORF's ATG/GTG/TTG starts on what
  the event head reads at a start (GeneLSTM.tag_input, 64 channels x its 5-base kernel; the fit of
  genelstm/choice_head.py, but per genome), fitted on the calls
  (what self-training could do) or on the reference starts (what the network's features hold).

Fitting on the annotation is a ceiling, never a method: it reads the answer.
"""
from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from common import ROOT, add_parts_args, add_split_args, part_of  # noqa: E402  (also puts ROOT on sys.path)

from genelstm import checkpoint, selftrain  # noqa: E402
from genelstm.alphabet import reverse_complement_codes  # noqa: E402
from genelstm.choice_head import HeadInput, conditional_logit, groups, orf_starts, windows  # noqa: E402
from genelstm.corpus import read_split  # noqa: E402
from genelstm.predict import PredictOptions, decode_record, decoder_options, genome_evidence  # noqa: E402
from genelstm.validation import calls_f1, load_val_genome  # noqa: E402

VARIANTS = ("self-training", "control", "model on annotation", "head on calls", "head on annotation")
L2 = 1e-3  # on standardised features; 1e-2 and 1e-4 measured within 0.0005 (scratch)


def run(e, path: str, model, ck: dict) -> list[tuple[float, float]]:
    opts = replace(PredictOptions(**decoder_options(ck)), table=e.table)
    w = opts.adapt_weights
    vg = load_val_genome(path, e.table, e.name)
    records = genome_evidence(model, vg.genome, opts, device=torch.device("cpu"))
    decode = lambda rid, c, ev: decode_record(rid, c, ev, opts)  # noqa: E731
    calls, _, _ = selftrain.adapt(records, decode, table=e.table, weights=w)
    strands = {rid: (codes, reverse_complement_codes(codes)) for rid, (codes, _) in records.items()}
    called = {rid: selftrain.strand_genes([c.transcript for c in calls[rid]], len(codes))
              for rid, (codes, _) in records.items()}
    annotated = {rid: selftrain.strand_genes([t for t in vg.reference if t.seqid == rid], len(codes))
                 for rid, (codes, _) in records.items()}
    cands = {}
    for rid, (codes, _) in records.items():
        mixed = HeadInput(model, vg.genome, rid).all()
        for strand, c in enumerate(strands[rid]):
            at, end = orf_starts(c, e.table, opts.min_length)
            cands[rid, strand] = (at, end, windows(mixed, at, strand))

    def refit(genes) -> selftrain.Dialect:
        return selftrain.fit([(st, g) for rid in records for st, g in zip(strands[rid], genes[rid])], table=e.table)

    def head_terms(genes) -> dict:
        xs, grp, offset = [], [], 0
        for (rid, strand), (at, end, x) in cands.items():
            grp += [(idx + offset, h) for idx, h in groups(at, end, genes[rid][strand])]
            xs.append(x)
            offset += len(at)
        w = conditional_logit(np.concatenate(xs).astype(np.float32), grp, l2=L2)
        terms = {}
        for (rid, strand), (at, _, x) in cands.items():
            terms[rid, strand] = np.zeros(len(records[rid][0]))
            terms[rid, strand][at] = x.astype(np.float32) @ w
        return terms

    def with_head(terms):
        def dec(rid, c, ev):  # the head's log-odds weigh like the start model's, in the start choice only
            ev = tuple(replace(x, choice_start=w.start * terms[rid, s] + (0 if x.choice_start is None else x.choice_start))
                       for s, x in enumerate(ev))
            return decode(rid, c, ev)
        return dec

    on_calls = refit(called)
    model_on_ref = replace(on_calls, **{k: getattr(refit(annotated), k) for k in ("start_codon", "sd", "pwm")})
    out = [calls_f1(vg, calls)]
    for dialect, dec in ((on_calls, decode), (model_on_ref, decode), (on_calls, with_head(head_terms(called))),
                         (on_calls, with_head(head_terms(annotated)))):
        out.append(calls_f1(vg, selftrain.apply(records, dec, dialect, table=e.table, weights=w, genes=called)))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("-m", "--model", default=str(ROOT / "genelstm/models/prokaryote.pt"))
    add_split_args(ap)
    add_parts_args(ap, "genome")
    args = ap.parse_args()
    part, nparts = part_of(args)
    model, _, ck = checkpoint.load_model(args.model)
    print("genome\trole\t" + "\t".join(f"{v}: stop/start+stop F1" for v in VARIANTS))
    rows: dict[str, list] = {}
    entries = [e for e in read_split(args.split) if e.role != "test"]
    for e in entries[part::nparts]:
        row = run(e, str(Path(args.data_dir) / e.file), model, ck)
        rows.setdefault(e.role, []).append(row)
        print(f"{e.name}\t{e.role}\t" + "\t".join(f"{a:.3f}/{b:.3f}" for a, b in row), flush=True)
    for role, rs in rows.items():
        print(f"# mean over {len(rs)} {role} genomes\t" + "\t".join(f"{a:.4f}/{b:.4f}" for a, b in np.mean(rs, 0)))


if __name__ == "__main__":
    main()
