"""Unlabelled adaptation to a new genome: continue next-base training on the target's own sequence.

A new genus has its own composition, which a model trained elsewhere has never seen; Prodigal
copes by training on every genome it reads. genelstm does the same without labels: the shared CNN
and LSTM keep learning the target's sequence through the next-base objective, early-stopped on
held-out pieces of the target; the tagging heads are kept as they were.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path

from . import checkpoint
from .annotation import load_all
from .dataset import Tracks, tracks_of
from .device import pick_device, set_threads
from .objectives import validate
from .train import fit
from .windows import split_records

log = logging.getLogger(__name__)
PIECE = 50_000


def pieces(tracks: list[Tracks], size: int = PIECE) -> list[Tracks]:
    """Records cut into pieces (views, no copies), so even a one-contig genome can be split."""
    out = []
    for t in tracks:
        for a in range(0, t.length, size):
            b = min(a + size, t.length)
            out.append(Tracks(f"{t.record}:{a}-{b}", t.codes[a:b], t.soft[a:b], t.region[:, a:b], t.events[:, a:b],
                              t.mask[:, a:b]))
    return out


def adapt(model_path: str | Path, genomes: list[str], output: str | Path, *, max_minutes: float = 10.0,
          val_fraction: float = 0.2, seed: int = 0, lr: float = 5e-4, threads: int | None = None,
          device: str = "cpu", progress: bool = True) -> dict:
    """Adapt ``model_path`` to ``genomes``; writes the best checkpoint (held-out bits/base) to ``output``."""
    set_threads(threads)
    dev = pick_device(device)
    model, cfg, ck = checkpoint.load_model(model_path)
    model.to(dev)
    cfg.objective, cfg.max_minutes, cfg.lr, cfg.seed = "lm", max_minutes, lr, seed
    cfg.val_records = cfg.val_pattern = None
    cfg.val_fraction = val_fraction
    cfg.epochs, cfg.steps_per_epoch, cfg.max_steps, cfg.warmup_steps = 1000, 50, None, 20
    cfg.threads, cfg.device = threads, device
    tracks = pieces([t for ag in load_all(genomes) for t in tracks_of(ag, annotated=False)])
    train_ids, val_ids = split_records([t.record for t in tracks], val_fraction=val_fraction, seed=seed)
    if not val_ids:
        val_ids, train_ids = train_ids[-1:], train_ids[:-1]
    val_set = set(val_ids)
    train = [t for t in tracks if t.record not in val_set]
    val = [t for t in tracks if t.record in val_set]
    if not train:
        raise ValueError("the target genome is too small to hold out a part for validation")
    before = validate(model, val, cfg, dev).get("val_bits_per_base")
    log.info("held-out bits/base before adaptation: %s", before)
    data = dict(ck.get("data", {}))
    data["adapted_from"] = os.path.basename(str(model_path))
    data["adapted_on"] = [os.path.basename(g) for g in genomes]
    data["adapt_val_pieces"] = len(val)
    data["adapt_val_bits_before"] = before
    best = fit(model, cfg, train, val, data, output, progress=progress, device=dev)
    best["val_bits_before"] = before
    return best
