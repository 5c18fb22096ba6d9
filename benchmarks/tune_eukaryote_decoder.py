"""Choose the eukaryote decoder's inner-start penalty on a model's VALIDATION records only.

    python benchmarks/tune_eukaryote_decoder.py -m fungi \
        --genome ../shared/data/eukaryotes/Komagataella_phaffii_GS115_Picpa1.gbk.gz [--write]

The network runs once over the validation records the checkpoint names (``data.val_records``); then each
penalty is decoded and scored against the records' own annotation: gene-level stop-exact, start+stop and
exact-structure F1 and CDS-exon F1. The objective is the mean of stop-exact and CDS-exon F1, the two
figures the eukaryote issue judges by. --write stores the best penalty in the checkpoint's ``decoder``
entry, where `genelstm predict --mode eukaryote` reads it.
"""
from __future__ import annotations

import argparse
from dataclasses import replace

import torch

import common  # noqa: E402,F401  (puts the repository on sys.path, for genelstm)

from genelstm import checkpoint  # noqa: E402
from genelstm.engine import RecordStream  # noqa: E402
from genelstm.evaluate import evaluate  # noqa: E402
from genelstm.models import resolve  # noqa: E402
from genelstm.predict import PredictOptions, predict_record  # noqa: E402
from genelstm.validation import load_val_genome  # noqa: E402

GRID = [0.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1000.0]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("-m", "--model", required=True, help="bundled model name or checkpoint")
    ap.add_argument("--genome", required=True, help="the annotated file the model's validation records come from")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    path = resolve(args.model)
    model, _, ck = checkpoint.load_model(path)
    records = list(ck["data"]["val_records"])
    vg = load_val_genome(args.genome, 1)
    probs = {rid: RecordStream(model, vg.genome, rid).probs(0, vg.genome.records[rid].length) for rid in records}
    ref = [t for t in vg.reference if t.seqid in records]
    base = PredictOptions(mode="eukaryote", table=1, block_overlap=200_000)
    print(f"# {path.name}: validation records {', '.join(records)} ({len(ref)} reference genes)")
    print("penalty\tstop_f1\tstart_stop_f1\tstructure_f1\texon_f1\tobjective")
    best = (-1.0, 0.0)
    for pen in GRID:
        opts = replace(base, inner_start_penalty=pen)
        calls = [c.transcript for rid in records
                 for c in predict_record(model, vg.genome, rid, opts, device=torch.device("cpu"), whole=probs[rid])]
        res = evaluate(vg.genome, ref, calls, tolerance=0)
        stop, exon = res["gene_stop"]["f1"], res["exon"]["f1"]
        objective = (stop + exon) / 2
        print(f"{pen:g}\t{stop:.4f}\t{res['gene_start_stop']['f1']:.4f}\t{res['gene_structure']['f1']:.4f}\t"
              f"{exon:.4f}\t{objective:.4f}", flush=True)
        best = max(best, (objective, pen))
    print(f"# chosen: inner_start_penalty {best[1]:g} (objective {best[0]:.4f})")
    if args.write:
        payload = checkpoint.read(path)
        payload["decoder"] = {**(payload.get("decoder") or {}), "inner_start_penalty": best[1],
                              "chosen_on": records}
        checkpoint.atomic_save(payload, path)
        print(f"# written to {path}")


if __name__ == "__main__":
    main()
