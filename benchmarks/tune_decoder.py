"""Choose the decoder's weights on VALIDATION genomes only (never on test genomes).

    python benchmarks/tune_decoder.py -m MODEL.pt --split benchmarks/splits/prokaryotes.tsv \
        --data-dir ../shared/data/prokaryotes [--write]

The network runs once per genome; then every combination of the network's start-event weight, the
self-training dicodon weight and the self-training start weight is decoded and scored (stop-exact and
start+stop gene F1, averaged over the validation genomes). --write stores the best combination in the
checkpoint's ``decoder`` entry, where `genelstm predict` reads it. --only searches some settings from
--start-from's; --small-setting searches one setting of the network-only paths (``decoder.small``) alone.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import replace

import numpy as np
import torch

from common import add_split_args  # noqa: E402  (also puts ROOT on sys.path)

from genelstm import checkpoint, selftrain  # noqa: E402
from genelstm.corpus import read_split  # noqa: E402
from genelstm.predict import PredictOptions, decode_record, decoder_options, genome_evidence  # noqa: E402
from genelstm.validation import ValGenome, calls_f1, decoded_f1, load_val_genome  # noqa: E402


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
            fwd, rev = selftrain.strand_genes([c.transcript for c in ag.checked
                                               if c.valid and c.transcript.seqid == rec.id], len(codes))
            strands += [(codes, fwd), (reverse_complement_codes(codes), rev)]
        d = selftrain.fit(strands, table=e.table)
        print(f"# prior {e.name}: {d.summary()}", file=sys.stderr)
        out.append(selftrain.to_plain(d, e.name))
    return out


def small_pieces(data, sizes=(8_000, 15_000), count: int = 6):
    """Evenly spaced single-record pieces of each validation genome, as small inputs look: (the piece as a
    ValGenome with the reference genes inside it, its evidence per record)."""
    from genelstm.sequence import MemoryGenome

    for vg, recs in data:
        rid, (codes, (ef, er)) = max(recs.items(), key=lambda kv: len(kv[1][0]))
        n = len(codes)
        for size in sizes:
            for k in range(count):
                a = k * (n - size) // max(count - 1, 1)
                b = a + size
                sub = {rid: (codes[a:b], (ef.slice(a, b), er.slice(n - b, n - a)))}
                ref = [t for t in vg.reference if t.seqid == rid and a <= t.start and t.end <= b]
                ref = [type(t)(**{**t.__dict__, "cds": tuple((s - a, e - a) for s, e in t.cds)}) for t in ref]
                yield ValGenome(vg.name, MemoryGenome("piece", {rid: "N" * size}), ref, vg.table), sub


GRID = {  # candidate values per decoder setting; coordinate ascent from the first value of each
    "rc_average": [False, True],
    "start_weight": [32.0, 8.0, 16.0, 64.0, 128.0, 256.0],
    "coding_weight": [1.0, 0.25, 0.5, 2.0],
    "adapt_coding": [128.0, 32.0, 64.0, 256.0, 512.0],
    "adapt_start": [192.0, 48.0, 96.0, 384.0],
    "codon_prior_weight": [100.0, 0.0, 30.0, 300.0],
    "adapt_skip": [30, 0, 60],
    # multipliers of the start model's codon / Shine-Dalgarno / composition terms when a stop's start is chosen
    "adapt_start_parts": [(1.0, 1.0, 1.0), (1.0, 2.0, 1.0), (2.0, 3.0, 1.0), (2.0, 4.0, 1.5), (3.0, 4.0, 1.5),
                          (2.0, 6.0, 1.5), (2.0, 4.0, 2.0)],
    "min_score": [800.0, 0.0, 200.0, 1600.0, 3200.0],
    "overlap_3p": [60, 120, 200],  # opposite strands, 3' ends facing (Prodigal allows 200)
    "overlap_5p": [60, 0, 30],  # opposite strands, 5' ends facing
    # gene-length prior: (weight, length) -- a gene shorter than length loses up to weight from its score
    "adapt_rounds": [4, 1, 2, 3],  # self-training rounds at most (fewer: faster)
    "length_prior": [(0.0, 240.0), (800.0, 300.0), (1600.0, 240.0), (1600.0, 300.0), (3200.0, 240.0),
                     (800.0, 180.0)],
    # shorter ORFs offered per stop beside the chosen one, for the selection to fit between neighbours
    "start_alternatives": [0, 3, 10],
    # the start codons offered: all of the translation table's, or Prodigal's three
    "start_codons": [(), ("ATG", "GTG", "TTG")],
    # weight of the start's distance to the gene called upstream on its strand (selftrain.tandem_term); 4 and
    # 8 tied with 2 on validation (0.9131 vs 0.9123) and lowered start+stop F1 on the training genomes
    # (benchmarks/results/tune_decoder.adapt_tandem.txt), so the search stops at 2
    "adapt_tandem": [0.0, 0.5, 1.0, 2.0],
    # the start-choice head's logits in place of the start event's when a stop's start is chosen (0: off;
    # only for a model with that head, benchmarks/fit_choice_head.py)
    "choice_weight": [0.0, 64.0, 128.0, 256.0],
    # weight of the genes-vs-upstream-stretch codon table in the start choice (selftrain.upstream_term)
    "adapt_upstream": [0.0, 0.15, 0.25, 0.5, 1.0],
    # per codon of the gene a start would begin, added when a stop's start is chosen (selftrain.Weights.length)
    "adapt_length": [0.0, 5.0, 10.0, 15.0, 20.0, 25.0],
}


#: settings of the network-only paths (--no-adapt, inputs under 20 kb: the checkpoint's ``decoder.small``),
#: each searched alone by --small-setting with the model's other settings fixed
SMALL_GRID = {
    # per codon of the gene a start would begin, when a stop's start is chosen (PredictOptions.choice_per_codon)
    "choice_per_codon": [0.0, 5.0, 10.0, 15.0, 20.0, 25.0, 30.0, 40.0],
}


def _fmt(v) -> str:
    if v is None:
        return "off"
    if isinstance(v, (tuple, list)):
        return ",".join(x if isinstance(x, str) else f"{x:g}" for x in v) or "all"
    return f"{v:g}"


def options(setting: dict, table: int, usage: dict, adapt: bool = True) -> PredictOptions:
    """The options a candidate setting decodes with: read as `genelstm predict` reads a checkpoint's decoder
    entry (predict.decoder_options), so a setting means here what it will mean once written."""
    # a model with the start-choice head, so decoder_options keeps the candidate's choice_weight (without the
    # head the evidence has no choice logits and the weight does nothing either way)
    ck = {"config": {"model": {"choice_head": True}}, "decoder": {**setting, "start_codon_usage": usage}}
    return replace(PredictOptions(**decoder_options(ck)), table=table, adapt=adapt)


def start_codon_usage(priors: list[dict], split: str) -> dict:
    """Pooled start-codon shares of the training genomes, per translation table."""
    tables = {e.name: e.table for e in read_split(split)}
    pooled: dict[str, dict[str, float]] = {}
    for p in priors:
        t = str(tables[p["name"]])
        for codon, share in p["start_usage"].items():
            pooled.setdefault(t, {})[codon] = pooled.setdefault(t, {}).get(codon, 0.0) + share * p["genes"]
    return {t: {c: round(v / sum(u.values()), 5) for c, v in u.items()} for t, u in pooled.items()}


def small_setting_scan(key: str, values: list[float], ck: dict, data, data_rc, write: str | None) -> None:
    """Choose one ``decoder.small`` setting: each value decodes the validation genomes whole with the
    network alone (as --no-adapt does) and their small pieces (as an input under 20 kb is: the small
    settings, reverse-complement averaging as they say); the objective is the mean of both paths'
    (stop-exact + start+stop F1) / 2, over ``values`` (those the training genomes' check left in).
    ``write``: the checkpoint to store the chosen value in."""
    base = PredictOptions(**decoder_options(ck))
    large, tiny = base.without_dialect(10**9), base.without_dialect(0)  # --no-adapt on a genome; a small input
    print(f"{key}\tgenomes: stop/start+stop\tpieces: stop/start+stop\tobjective")
    scores = {}
    for v in values:
        whole = [decoded_f1(vg, recs, replace(large, table=vg.table, adapt=False, **{key: v})) for vg, recs in data]
        pieces = []
        for piece, sub in small_pieces(data_rc if tiny.rc_average else data):
            opts = replace(tiny, table=piece.table, adapt=False, **{key: v})
            pieces.append(calls_f1(piece, {rid: decode_record(rid, c, ev, opts) for rid, (c, ev) in sub.items()}))
        w, p = np.mean(whole, axis=0), np.mean(pieces, axis=0)
        scores[v] = (w.sum() / 2 + p.sum() / 2) / 2
        per = " ".join(f"{a:.3f}/{b:.3f}" for a, b in whole)
        print(f"{_fmt(v)}\t{w[0]:.4f}/{w[1]:.4f} ({per})\t{p[0]:.4f}/{p[1]:.4f} ({len(pieces)})\t{scores[v]:.4f}",
              flush=True)
    best = max(scores, key=scores.get)
    print(f"# chosen: small.{key} = {_fmt(best)} (objective {scores[best]:.4f})")
    if write:
        payload = checkpoint.read(write)
        dec = payload.get("decoder", {})
        payload["decoder"] = {**dec, "small": {**dec.get("small", {}), key: best}}
        checkpoint.atomic_save(payload, write)
        print(f"# written to {write}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("-m", "--model", required=True)
    add_split_args(ap)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--passes", type=int, default=2)
    ap.add_argument("--small-only", action="store_true", help="keep the checkpoint's other settings; "
                                                              "choose only the small-input ones")
    ap.add_argument("--write", action="store_true", help="store the chosen settings in the checkpoint")
    ap.add_argument("--start-from", help="a checkpoint whose tuned settings start the search")
    ap.add_argument("--only", help="comma-separated settings to search; the others, and the small-input "
                                   "settings, stay as --start-from's")
    ap.add_argument("--small-setting", choices=sorted(SMALL_GRID),
                    help="search only this network-only setting (decoder.small), the model's others fixed")
    ap.add_argument("--values", help="with --small-setting: comma-separated values to search instead of its grid's "
                                     "(e.g. those that did not lower the training genomes, choice_head_lco.py)")
    args = ap.parse_args()
    if args.values and not args.small_setting:
        sys.exit("--values needs --small-setting")
    only = args.only.split(",") if args.only else list(GRID)
    if set(only) - set(GRID):
        sys.exit(f"unknown setting(s) {set(only) - set(GRID)}; known: {', '.join(GRID)}")
    torch.set_num_threads(args.threads)
    model, _, ck = checkpoint.load_model(args.model)
    priors = [] if args.small_setting else corpus_priors(args.split, args.data_dir)
    usage = start_codon_usage(priors, args.split)
    print(f"# corpus start-codon usage: {usage}")
    vals = [e for e in read_split(args.split) if e.role == "val"]
    data, data_rc = [], []
    for e in vals:
        vg = load_val_genome(os.path.join(args.data_dir, e.file), e.table, e.name)
        t0 = time.time()
        data.append((vg, genome_evidence(model, vg.genome, PredictOptions(table=e.table), device=torch.device("cpu"))))
        if "rc_average" in only or not args.only or args.small_setting:
            data_rc.append((vg, genome_evidence(model, vg.genome, PredictOptions(table=e.table, rc_average=True),
                                                device=torch.device("cpu"))))
        print(f"# {e.name}: network (plain and reverse-complement averaged) {time.time() - t0:.1f} s", file=sys.stderr)
    if args.small_setting:
        values = [float(v) for v in args.values.split(",")] if args.values else SMALL_GRID[args.small_setting]
        return small_setting_scan(args.small_setting, values, ck, data, data_rc, args.model if args.write else None)
    names = "\t".join(vg.name[:24] for vg, _ in data)
    print(f"setting\tstop_f1\tstart_stop_f1\tobjective\t{names}")

    def measure(setting: dict, adapt: bool = True) -> float:
        per = [decoded_f1(vg, recs, options(setting, vg.table, usage, adapt))
               for vg, recs in (data_rc if setting["rc_average"] else data)]
        stop, ss = float(np.mean([p[0] for p in per])), float(np.mean([p[1] for p in per]))
        cols = "\t".join(f"{a:.3f}/{b:.3f}" for a, b in per)
        shown = "network only" if not adapt else " ".join(f"{k}={_fmt(v)}" for k, v in setting.items())
        print(f"{shown}\t{stop:.4f}\t{ss:.4f}\t{(stop + ss) / 2:.4f}\t{cols}", flush=True)
        return (stop + ss) / 2

    best = {k: v[0] for k, v in GRID.items()}
    if args.start_from:  # continue from settings chosen before (e.g. for the previous training stage)
        prev = checkpoint.read(args.start_from).get("decoder", {})
        best.update({k: tuple(prev[k]) if isinstance(prev[k], list) else prev[k] for k in GRID if k in prev})
        # chosen on the training genomes by benchmarks/choose_on_training.py
        best["adapt_choice_ref"] = prev.get("adapt_choice_ref", 0.0)
        best["adapt_coding_floor"] = prev.get("adapt_coding_floor")
        best["adapt_sd_strong"] = prev.get("adapt_sd_strong")
    measure({**best, "codon_prior_weight": 0.0, "min_score": 0.0}, adapt=False)
    best_score = measure(best)
    for _ in range(0 if args.small_only else args.passes):
        for key, values in GRID.items():
            if key not in only:
                continue
            for v in values:
                if v == best[key]:
                    continue
                trial = {**best, key: v}
                sc = measure(trial)
                if sc > best_score:
                    best, best_score = trial, sc
    print(f"# chosen: {best} (objective {best_score:.4f} = mean of stop-exact and start+stop F1 on "
          f"{', '.join(e.name for e in vals)})")
    if args.only:
        if args.write:
            payload = checkpoint.read(args.model)
            dec = payload.get("decoder", {})
            for key, old in (("start_weight", dec.get("start_weight", best["start_weight"])),
                             ("length_prior", dec.get("length_prior", list(GRID["length_prior"][0])))):
                if key in only and dec.get("small") and key not in dec["small"]:
                    # this search decoded with self-training only: the network-only paths (--no-adapt,
                    # inputs under 20 kb) keep the value their own settings were chosen with
                    dec["small"] = {**dec["small"], key: old}
            payload["decoder"] = {**dec, **{k: list(best[k]) if isinstance(best[k], tuple) else best[k] for k in only}}
            checkpoint.atomic_save(payload, args.model)
            print(f"# written to {args.model}")
        return
    # inputs under 20 kb: the network alone with its own decoder settings, or the k closest-GC corpus
    # dialects at a scale -- chosen on pieces of the validation genomes cut to small-input sizes
    combos = [("network only", 0, 0.0, {"coding_weight": cw, "codon_prior_weight": cp, "min_score": ms})
              for cw in (0.25, 1.0) for cp in (0.0, 30.0, 100.0, 300.0) for ms in (0.0, 100.0, 400.0)]
    combos += [(f"prior k={k} scale={sc:g}", k, sc, {"min_score": ms}) for k in (1, 5) for sc in (0.25, 0.5)
               for ms in (0.0, 200.0)]
    small: dict[int, list] = {i: [] for i in range(len(combos))}
    for piece, sub in small_pieces(data_rc if best["rc_average"] else data):
        for i, (name, k, sc, over) in enumerate(combos):
            opts = options({**best, **over}, piece.table, usage, adapt=False)
            dec = lambda rid, c, ev: decode_record(rid, c, ev, opts)  # noqa: E731
            if k == 0:
                calls = {rid: dec(rid, c, ev) for rid, (c, ev) in sub.items()}
            else:
                prior = selftrain.nearest_by_gc(priors, selftrain.gc_of(sub), k)
                w = selftrain.Weights(coding=best["adapt_coding"] * sc, start=best["adapt_start"] * sc,
                                      skip=int(best["adapt_skip"]))
                calls = selftrain.apply(sub, dec, selftrain.from_plain(prior), weights=w)
            small[i].append(calls_f1(piece, calls))
    means = {i: float(np.mean([sum(x) / 2 for x in v])) for i, v in small.items()}
    for i, v in small.items():
        print(f"# small pieces ({len(v)}), {combos[i][0]} {combos[i][3]}: stop F1 {np.mean([x[0] for x in v]):.4f}, "
              f"start+stop F1 {np.mean([x[1] for x in v]):.4f}")
    name, k, sc, over = combos[max(means, key=means.get)]
    use_priors, prior_k, small_scale = k > 0, max(k, 1), sc
    print(f"# small inputs: {name} {over}")
    if args.write:
        payload = checkpoint.read(args.model)
        payload["decoder"] = {**best, "start_codon_usage": usage, "chosen_on": [e.name for e in vals],
                              "priors": priors if use_priors else [], "prior_k": prior_k,
                              "small_scale": small_scale, "small": over}
        checkpoint.atomic_save(payload, args.model)
        print(f"# written to {args.model}")


if __name__ == "__main__":
    main()
