"""Architecture comparison: each variant trained from scratch on the same corpus, same seed, same number
of training bases, then scored by gene-level F1 through the decoder on the VALIDATION genomes.

    python benchmarks/architecture.py train --variants baseline,gru --steps 400 --batch-size 256 \
        --device cuda --out arch.jsonl        # one JSON line per variant
    python benchmarks/architecture.py speed --variants all --device cuda --out speed.jsonl
    python benchmarks/architecture.py table arch.jsonl --speed speed.jsonl

``speed`` times training steps of each variant alone (after warm-up), so the table can set speed beside
accuracy; ``train`` runs may share a GPU with each other (see the README for how the table was made).
The test genomes are never touched here.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

import numpy as np
import torch

from common import ROOT, add_split_args  # noqa: E402  (also puts ROOT on sys.path)

from genelstm.config import load_config  # noqa: E402
from genelstm.corpus import read_split, stored_tracks  # noqa: E402
from genelstm.sequence import default_cache_dir  # noqa: E402
from genelstm.dataset import cut, random_picks  # noqa: E402
from genelstm.device import pick_device, set_threads  # noqa: E402
from genelstm.model import GeneLSTM  # noqa: E402
from genelstm.objectives import losses  # noqa: E402
from genelstm.train import TrainInputs, fit, prepare_corpus  # noqa: E402

#: name -> model options that differ from the default (ModelConfig)
VARIANTS: dict[str, dict] = {
    "baseline": {},
    "pool3": {"pool": 3},
    "offset-heads": {"offset_heads": True},
    "hidden256": {"hidden": 256},
    "cnn64x3": {"conv_channels": 64, "conv_kernels": (15, 9, 9)},
    "gru": {"cell": "gru"},
    "peephole": {"cell": "peephole"},
    "cifg": {"cell": "cifg"},
    "attention16": {"attention": 16},
}


def _names(arg: str) -> list[str]:
    names = list(VARIANTS) if arg == "all" else arg.split(",")
    bad = [n for n in names if n not in VARIANTS]
    if bad:
        sys.exit(f"unknown variant(s): {', '.join(bad)}; known: {', '.join(VARIANTS)}")
    return names


def _config(name: str, args, **extra):
    opts = dict(VARIANTS[name], batch_size=args.batch_size, lr=args.lr, seed=args.seed, device=args.device,
                threads=args.threads, **extra)
    return load_config(None, opts)


def train(args) -> None:
    cfg0 = _config("baseline", args)
    inputs = TrainInputs([], corpus=args.split, data_dir=args.data_dir, cache_dir=args.cache_dir)
    train_tracks, val_tracks, gene_val, data = prepare_corpus(cfg0, inputs)
    device = pick_device(args.device)
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    for name in _names(args.variants):
        cfg = _config(name, args, epochs=args.evals, steps_per_epoch=-(-args.steps // args.evals),
                      max_steps=args.steps, warmup_steps=max(1, args.steps // 10), max_minutes=args.max_minutes,
                      patience=args.evals)
        torch.manual_seed(cfg.seed)
        model = GeneLSTM(cfg.model).to(device)
        t0 = time.time()
        out = work / f"{name}.seed{args.seed}.pt"
        best = fit(model, cfg, train_tracks, val_tracks, data, out, progress=False, device=device, gene_val=gene_val)
        curve = [json.loads(ln) for ln in open(out.with_suffix(".metrics.jsonl")) if ln.strip()]
        row = {"variant": name, "seed": args.seed,
               "options": {k: list(v) if isinstance(v, tuple) else v for k, v in VARIANTS[name].items()},
               "parameters": sum(p.numel() for p in model.parameters()), "steps": best.get("step"),
               "batch_size": args.batch_size, "window": cfg.window,
               "bases": (best.get("step") or 0) * args.batch_size * cfg.window,
               "wall_s": round(time.time() - t0, 1), "device": str(device)}
        row.update({k: best.get(k) for k in ("val_gene_stop_f1", "val_gene_start_stop_f1", "val_strand_confusion",
                                             "val_coding_f1", "val_bits_per_base")})
        row["curve"] = [{k: r.get(k) for k in ("step", "val_gene_stop_f1", "val_gene_start_stop_f1",
                                                "val_strand_confusion")} for r in curve]
        with open(args.out, "a") as fh:
            fh.write(json.dumps(row) + "\n")
        print(json.dumps(row), flush=True)


def speed(args) -> None:
    """Training bases/s of each variant alone: ``--steps`` timed steps after 3 warm-up steps."""
    entries = [e for e in read_split(args.split) if e.role == "train"]
    tracks, _ = stored_tracks(entries, args.data_dir, args.cache_dir or str(default_cache_dir() / "corpus"))
    device = pick_device(args.device)
    cuda = device.type == "cuda"
    for name in _names(args.variants):
        for bs in args.batch_sizes:
            cfg = _config(name, args)
            cfg.batch_size = bs
            torch.manual_seed(0)
            model = GeneLSTM(cfg.model).to(device)
            opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
            rng = np.random.default_rng(0)
            bases, elapsed = 0, 0.0
            for step in range(args.steps + 3):
                batch = cut(tracks, random_picks(tracks, bs, cfg.window, rng), cfg.window)
                if cuda:
                    torch.cuda.synchronize(device)
                t0 = time.perf_counter()
                batch = batch.to(device, pin=cuda)
                with torch.autocast(device.type, dtype=torch.bfloat16, enabled=cuda):
                    out = model(batch.codes, batch.soft)
                loss = losses({k: v.float() for k, v in out.items()}, batch, cfg)["total"]
                opt.zero_grad()
                loss.backward()
                opt.step()
                if cuda:
                    torch.cuda.synchronize(device)
                if step >= 3:
                    elapsed += time.perf_counter() - t0
                    bases += bs * cfg.window
            row = {"variant": name, "batch_size": bs, "bases_per_s": round(bases / elapsed), "device": str(device),
                   "peak_gpu_mb": round(torch.cuda.max_memory_allocated(device) / 2**20) if cuda else None}
            with open(args.out, "a") as fh:
                fh.write(json.dumps(row) + "\n")
            print(json.dumps(row), flush=True)


def table(args) -> None:
    rows = [json.loads(ln) for f in args.results for ln in open(f) if ln.strip()]
    fast, speed_bs = {}, None  # alone, at the batch size the variants trained with if it was timed
    if args.speed and rows:
        timed = [json.loads(ln) for ln in open(args.speed) if ln.strip()]
        sizes = [r["batch_size"] for r in timed]
        speed_bs = rows[0]["batch_size"] if rows[0]["batch_size"] in sizes else max(set(sizes), key=sizes.count)
        fast = {r["variant"]: r["bases_per_s"] for r in timed if r["batch_size"] == speed_bs}
    print("| variant | seed | parameters | steps (best) | val stop F1 | val start+stop F1 | strand confusion | "
          f"bits/base | train bases/s (alone, batch {speed_bs}) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in sorted(rows, key=lambda r: -(r["val_gene_stop_f1"] or 0)):
        sp = f"{fast[r['variant']] / 1e6:.2f} M" if r["variant"] in fast else "-"
        print(f"| {r['variant']} | {r.get('seed', 0)} | {r['parameters']:,} | {r['steps']} | {r['val_gene_stop_f1']:.3f} "
              f"| {r['val_gene_start_stop_f1']:.3f} | {100 * r['val_strand_confusion']:.1f}% | {r['val_bits_per_base']:.3f} | {sp} |")
    if rows:
        r = rows[0]
        print(f"\nEach from scratch with the seed shown, batches of {r['batch_size']} x {r['window']} bases, on {r['device']}.")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    for cmd in ("train", "speed"):
        p = sub.add_parser(cmd)
        p.add_argument("--variants", default="all")
        add_split_args(p)
        p.add_argument("--cache-dir")
        p.add_argument("--steps", type=int, default=400 if cmd == "train" else 5)
        p.add_argument("--batch-size", type=int, default=256)
        p.add_argument("--batch-sizes", type=int, nargs="+", default=[256])
        p.add_argument("--lr", type=float, default=3e-3)
        p.add_argument("--seed", type=int, default=0)
        p.add_argument("--device", default="cpu")
        p.add_argument("--threads", type=int, default=2)
        p.add_argument("--work", default=str(ROOT / "benchmarks/results/architecture"))
        p.add_argument("--out", required=True)
        p.add_argument("--max-minutes", type=float, help="train: cap per variant (the step count may then differ)")
        p.add_argument("--evals", type=int, default=1, help="train: validations per run, evenly spaced; the best counts")
    p = sub.add_parser("table")
    p.add_argument("results", nargs="+")
    p.add_argument("--speed")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    set_threads(getattr(args, "threads", None))
    {"train": train, "speed": speed, "table": table}[args.cmd](args)


if __name__ == "__main__":
    main()
