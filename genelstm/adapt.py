"""Adaptation of a model to new genomes of one species, for users who want one adapted checkpoint.

The same self-training as `genelstm predict` (see ``selftrain``) labels the target genomes: its calls
become gene labels, and the network is fine-tuned on them (tagging) together with the next-base
objective on the same sequence, early-stopped on held-out pieces. Next-base training alone moved the
shared layers away from the tagging heads and made genes worse, so it is no longer offered alone.
The adapted checkpoint keeps the decoder settings of the model it came from.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path

from . import checkpoint
from .choice_head import without_head
from .dataset import Tracks
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
    """Adapt ``model_path`` to ``genomes``; writes to ``output`` the checkpoint that tags the held-out pieces
    best (coding F1 against their self-trained labels, train._score; bits/base only breaks ties)."""
    set_threads(threads)
    dev = pick_device(device)
    model, cfg, ck = checkpoint.load_model(model_path)
    model.to(dev)
    # the self-labels come from the model as it is, start-choice head included; the adapted network then
    # drops the head, whose input the fine-tune moves
    tracks = pieces(self_labelled(model, ck, genomes, dev))
    without_head(model)
    cfg.max_minutes, cfg.lr, cfg.seed = max_minutes, lr, seed
    cfg.val_records = cfg.val_pattern = None
    cfg.val_fraction = val_fraction
    cfg.epochs, cfg.steps_per_epoch, cfg.max_steps, cfg.warmup_steps = 1000, 50, None, 20
    cfg.threads, cfg.device = threads, device
    cfg.objective = "both"
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
    data["adapt_labels"] = "genelstm self-training calls"
    best = fit(model, cfg, train, val, data, output, progress=progress, device=dev)
    if ck.get("decoder"):  # the decoder settings travel with the adapted network
        out = checkpoint.read(output)
        out["decoder"] = ck["decoder"]
        checkpoint.atomic_save(out, output)
    best["val_bits_before"] = before
    return best


def self_labelled(model, ck: dict, genomes: list[str], device) -> list[Tracks]:
    """Tracks of the target genomes labelled with genelstm's own self-trained calls (partial calls and
    everything near them stay unlabelled: their ends are unknown)."""
    from .alphabet import N_CODE
    from .labels import label_record
    from .predict import PredictOptions, decoder_options, log_table, resolve_table, self_trained
    from .sequence import read_sequences

    out = []
    for path in genomes:
        genome = read_sequences(path)
        opts, table_note, close = resolve_table(genome, PredictOptions(**decoder_options(ck), table=None))
        if table_note:
            log_table(f"{os.path.basename(path)}: {table_note}", opts.table, close)
        calls, _, _ = self_trained(model, genome, opts, device=device, read_table=True,  # it logs what it learned
                                   close_call=close)
        n_complete = n_partial = 0
        for rec in genome:
            txs = [c.transcript for c in calls[rec.id]]
            complete = [t for t in txs if not (t.partial5 or t.partial3)]
            partial = [t for t in txs if t.partial5 or t.partial3]
            n_complete, n_partial = n_complete + len(complete), n_partial + len(partial)
            codes, soft = genome.encode(rec.id)
            lab = label_record(rec.length, complete, partial, codes == N_CODE)
            out.append(Tracks(rec.id, codes, soft, lab.region, lab.events, lab.mask))
        log.info("%s: %d self-trained genes label the fine-tune (%d partial ones, cut by a record end, and the "
                 "bases near them stay unlabelled)", os.path.basename(path), n_complete, n_partial)
    return out
