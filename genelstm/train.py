"""Training: multi-task (gene tagging + next-base modelling), reproducible and resumable.

Reproducibility comes from seeding everything per epoch from (seed, epoch): a run resumed at an
epoch boundary draws exactly the windows and dropout masks the uninterrupted run would have.
"""
from __future__ import annotations

import json
import logging
import math
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from . import checkpoint
from .annotation import AnnotatedGenome, load_all
from .config import ModelConfig, TrainConfig
from . import distributed
from .device import pick_device, set_threads
from .dataset import Tracks, cut, random_picks, tracks_of
from .errors import GenelstmError, InputError
from .model import GeneLSTM
from .objectives import losses, validate
from .validation import gene_metrics, load_val_genome
from .windows import split_records

log = logging.getLogger(__name__)
LN2 = math.log(2)


@dataclass
class TrainInputs:
    genomes: list[str]
    annotations: list[str] = field(default_factory=list)
    val_genomes: list[str] = field(default_factory=list)
    val_annotations: list[str] = field(default_factory=list)
    #: a corpus split file (see ``corpus``): its train genomes train, its val genomes validate
    corpus: str | None = None
    data_dir: str | None = None
    cache_dir: str | None = None


def prepare_data(cfg: TrainConfig, inputs: TrainInputs) -> tuple[list[Tracks], list[Tracks], dict]:
    """Training and validation tracks, split by whole records or by whole genomes, and a summary."""
    train_ag = load_all(inputs.genomes, inputs.annotations)
    tracks: list[Tracks] = []
    summary: dict = {"genomes": [], "val_genomes": []}
    for ag in train_ag:
        annotated = ag.annotated
        if cfg.objective != "lm" and not annotated:
            raise InputError(ag.sources[0], "no annotation for this genome: give -a, or use --objective lm")
        tracks += tracks_of(ag, annotated=annotated)
        summary["genomes"].append(_genome_summary(ag, annotated))
    val_tracks: list[Tracks] = []
    if inputs.val_genomes:
        if any(r is not None for r in (cfg.val_records, cfg.val_pattern, cfg.val_fraction)):
            raise InputError("command line", "give validation genomes or a record split, not both")
        for ag in load_all(inputs.val_genomes, inputs.val_annotations):
            annotated = ag.annotated
            val_tracks += tracks_of(ag, annotated=annotated)
            summary["val_genomes"].append(_genome_summary(ag, annotated))
        train_tracks = tracks
    else:
        try:
            train_ids, val_ids = split_records([t.record for t in tracks], val_records=cfg.val_records,
                                               val_pattern=cfg.val_pattern, val_fraction=cfg.val_fraction,
                                               seed=cfg.seed)
        except ValueError as exc:
            raise InputError("command line", str(exc)) from None
        val_set = set(val_ids)
        train_tracks = [t for t in tracks if t.record not in val_set]
        val_tracks = [t for t in tracks if t.record in val_set]
    if not train_tracks:
        raise InputError("command line", "the split leaves no training records")
    spliced = sum(g["genes_spliced"] for g in summary["genomes"])
    valid = sum(g["genes_valid"] for g in summary["genomes"])
    summary["mode"] = "eukaryote" if valid and spliced / valid > 0.05 else "prokaryote"
    summary["train_records"] = len(train_tracks)
    summary["train_bases"] = int(sum(t.length for t in train_tracks))
    summary["val_records"] = [t.record for t in val_tracks]
    summary["val_bases"] = int(sum(t.length for t in val_tracks))
    return train_tracks, val_tracks, summary


def prepare_corpus(cfg: TrainConfig, inputs: TrainInputs) -> tuple[list, list, list, dict]:
    """Memory-mapped train/val tracks of a corpus split file, the val genomes for gene-level
    validation, and a summary naming every genome and its side of the split."""
    from .corpus import read_split, stored_tracks
    from .sequence import default_cache_dir

    if inputs.genomes or inputs.val_genomes:
        raise InputError("command line", "give genome files or --corpus, not both")
    entries = read_split(inputs.corpus)
    data_dir = inputs.data_dir or os.path.dirname(os.path.abspath(inputs.corpus))
    cache = inputs.cache_dir or str(default_cache_dir() / "corpus")
    train_e = [e for e in entries if e.role == "train"]
    val_e = [e for e in entries if e.role == "val"]
    if not train_e:
        raise InputError(inputs.corpus, "no genome has role 'train'")
    train_tracks, train_sum = stored_tracks(train_e, data_dir, cache)
    val_tracks, val_sum = stored_tracks(val_e, data_dir, cache)
    gene_val = [load_val_genome(os.path.join(data_dir, e.file), e.table, e.name) for e in val_e]
    data = {"corpus": os.path.basename(inputs.corpus), "genomes": train_sum, "val_genomes": val_sum,
            "test_genomes": [{"genome": e.name, "clade": e.clade} for e in entries if e.role == "test"],
            "mode": "prokaryote", "train_records": len(train_tracks),
            "train_bases": int(sum(t.length for t in train_tracks)),
            "val_records": [t.record for t in val_tracks], "val_bases": int(sum(t.length for t in val_tracks))}
    return train_tracks, val_tracks, gene_val, data


def _genome_summary(ag: AnnotatedGenome, annotated: bool) -> dict:
    valid = sum(1 for c in ag.checked if c.valid)
    return {"sources": [os.path.basename(s) for s in ag.sources], "records": len(ag.genome.records),
            "bases": sum(r.length for r in ag.genome), "annotated": annotated,
            "genes_valid": valid, "genes_spliced": sum(1 for c in ag.checked if c.valid and c.transcript.introns()),
            "genes_masked": len(ag.checked) - valid, "masked_reasons": ag.masked_reasons()}


def _score(metrics: dict, cfg: TrainConfig) -> float:
    """Higher is better: mean gene F1 (stop-exact and start+stop) when measured, else coding F1 when
    tagging, otherwise minus bits/base."""
    if "val_gene_stop_f1" in metrics:
        return (metrics["val_gene_stop_f1"] + metrics["val_gene_start_stop_f1"]) / 2
    if cfg.objective == "lm":
        return -metrics.get("val_bits_per_base", float("inf"))
    return metrics.get("val_coding_f1", 0.0) - 0.001 * metrics.get("val_bits_per_base", 0.0)


def _schedule(cfg: TrainConfig, total_steps: int, clock=None):
    """Linear warm-up, then cosine decay to 5% of the peak. ``clock()`` (the share of a wall-clock
    budget used, or None) moves the decay along when time, not steps, will end the run -- so a
    ``--max-minutes`` run still ends annealed, whatever the machine's speed."""
    warm = max(1, min(cfg.warmup_steps, total_steps // 10 or 1))

    def f(step: int) -> float:
        if step < warm:
            return (step + 1) / warm
        frac = (step - warm) / max(1, total_steps - warm)
        if clock is not None:
            frac = max(frac, clock())
        return 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(frac, 1.0)))

    return f


def run(cfg: TrainConfig, inputs: TrainInputs, output: str | Path, *, metrics_path: str | Path | None = None,
        init: str | Path | None = None, widen: int | None = None, resume: bool = False,
        progress: bool = True) -> dict:
    """Train and write the best checkpoint to ``output``; returns its validation metrics. ``widen``: with
    ``init``, the hidden size to grow its recurrent stacks to (see grow_from)."""
    output = Path(output)
    if not output.parent.exists():
        raise InputError(output, "output folder does not exist")
    set_threads(cfg.threads)
    device = pick_device(cfg.device)
    if distributed.from_environment(device):  # started by torchrun: one process per GPU (or CPU worker)
        device = distributed.local_device(device)
    if init:
        cfg.model = _grown(checkpoint.model_config_of(init), cfg.model, hidden=widen)
    gene_val: list = []
    if inputs.corpus:
        train_tracks, val_tracks, gene_val, data = prepare_corpus(cfg, inputs)
    else:
        train_tracks, val_tracks, data = prepare_data(cfg, inputs)
    if not val_tracks:
        log.warning("no validation records: early stopping is off and the last epoch is kept")
    torch.manual_seed(cfg.seed)
    model = GeneLSTM(cfg.model).to(device)
    decoder = None
    if init:
        init_model, _, init_ck = checkpoint.load_model(init)
        grow_from(model, init_model)
        data["init"] = os.path.basename(str(init))
        decoder = init_ck.get("decoder")
    return fit(model, cfg, train_tracks, val_tracks, data, output, metrics_path=metrics_path, resume=resume,
               progress=progress, device=device, gene_val=gene_val, decoder=decoder)


def _grown(base: ModelConfig, asked: ModelConfig, *, hidden: int | None = None) -> ModelConfig:
    """The architecture of a fine-tuning run: the initial checkpoint's, plus the additions that can start
    as the identity when this run asks for them -- offset heads, a local attention layer, a wider
    recurrent stack (``hidden``) -- and without a start-choice head: fine-tuning moves the features it was
    fitted on (choice_head.fit again)."""
    base.offset_heads = base.offset_heads or asked.offset_heads
    base.attention = base.attention or asked.attention
    base.choice_head = False
    if hidden is not None and hidden != base.hidden:
        if hidden < base.hidden or base.cell not in WIDENABLE or base.attention:
            raise GenelstmError(f"--hidden {hidden} with --init: a fine-tune can only widen an "
                                f"{'/'.join(WIDENABLE)} stack without attention to more units (this checkpoint: "
                                f"hidden {base.hidden}, cell {base.cell}, attention {base.attention})")
        base.hidden = hidden
    return base


#: cells whose stacks grow_from can widen: PyTorch's, whose weights are gate blocks of ``hidden`` rows
WIDENABLE = {"lstm": 4, "gru": 3}


def grow_from(model: GeneLSTM, init: GeneLSTM) -> None:
    """Load ``init``'s weights into ``model``, which may have offset heads, attention or a wider recurrent
    stack that ``init`` lacks. The additions start as the identity -- offsets zero, the attention's output
    projection zero, and the new hidden units unread: every weight from a new unit to an old unit or to a
    head is zero, while the new units' own weights keep their random start so they can learn -- so the
    grown model computes exactly what ``init`` did and training starts from its quality."""
    weights = {k: v for k, v in init.state_dict().items() if not k.startswith("choice_head.")}
    h, h2 = init.cfg.hidden, model.cfg.hidden
    if h2 != h:
        weights = _widened(weights, model.state_dict(), h, h2, WIDENABLE[model.cfg.cell])
    missing, unexpected = model.load_state_dict(weights, strict=False)
    new = [k for k in missing if k == "offset" or k.startswith("attn.")]
    if unexpected or len(new) != len(missing):
        raise ValueError(f"cannot grow this checkpoint: missing {sorted(set(missing) - set(new))}, "
                         f"unexpected {sorted(unexpected)}")
    with torch.no_grad():
        if "offset" in new:
            model.offset.zero_()
        if any(k.startswith("attn.") for k in new):
            model.attn.proj.weight.zero_()
            model.attn.proj.bias.zero_()


def _widened(old: dict, fresh: dict, h: int, h2: int, gates: int) -> dict:
    """``old`` weights (hidden ``h``) placed into ``fresh`` ones (hidden ``h2``): each gate block's first
    ``h`` rows are the old units; columns that read a new unit's output are zero in old units' rows and in
    the heads that read the stacks ([forward | backward] states, so two column blocks)."""
    out = {}
    for k, w in old.items():
        new = fresh[k].clone()
        if k.startswith(("fwd.", "bwd.")):
            reads_input = k.split(".")[1].startswith(("bias", "weight_ih_l0"))  # of unchanged width
            for g in range(gates):
                rows = new[g * h2 : g * h2 + h]
                if reads_input:
                    rows.copy_(w[g * h : (g + 1) * h])
                else:  # reads the (widened) hidden state: of this layer, or of the layer below
                    rows[:, :h] = w[g * h : (g + 1) * h]
                    rows[:, h:] = 0
        elif k in ("tag_chunk.weight", "lm_chunk.weight"):
            new.zero_()
            new[:, :h], new[:, h2 : h2 + h] = w[:, :h], w[:, h:]
        else:
            new = w
        out[k] = new
    return out


def fit(model: GeneLSTM, cfg: TrainConfig, train_tracks: list, val_tracks: list, data: dict,
        output: str | Path, *, metrics_path: str | Path | None = None, resume: bool = False, progress: bool = True,
        device: torch.device = torch.device("cpu"), gene_val: list | None = None,
        decoder: dict | None = None) -> dict:
    """The training loop: epochs of seeded random windows, validation, best checkpoint, resume state.

    With ``gene_val`` (validation.ValGenome list) the epoch is chosen by gene-level F1 through the decoder.
    ``decoder``: a fine-tune's initial checkpoint's decoder settings, which the network is validated with
    (they are what it will be used with) and which its checkpoints carry.
    """
    output = Path(output)
    metrics_path = Path(metrics_path) if metrics_path else output.with_suffix(".metrics.jsonl")
    state_path = Path(str(output) + ".resume")
    t_start = time.time()
    deadline = t_start + 60 * cfg.max_minutes if cfg.max_minutes else None
    spe = cfg.steps_per_epoch or max(1, math.ceil(data["train_bases"] / (cfg.batch_size * cfg.window)))
    total_steps = spe * cfg.epochs
    if cfg.max_steps:
        total_steps = min(total_steps, cfg.max_steps)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    clock = (lambda: (time.time() - t_start) / (60 * cfg.max_minutes)) if cfg.max_minutes else None
    sched = torch.optim.lr_scheduler.LambdaLR(opt, _schedule(cfg, total_steps, clock))
    start_epoch, step, best, best_epoch, bad = 0, 0, -float("inf"), -1, 0
    best_metrics: dict = {}
    if resume and state_path.exists():
        st = torch.load(state_path, map_location="cpu", weights_only=True)
        if st.get("config") != cfg.to_dict():
            raise InputError(state_path, "--resume with different options than the interrupted run")
        model.load_state_dict(st["model"])
        opt.load_state_dict(st["optimizer"])
        sched.load_state_dict(st["scheduler"])
        start_epoch, step, best, best_epoch, bad = st["epoch"], st["step"], st["best"], st["best_epoch"], st["bad"]
        best_metrics = json.loads(st["best_metrics"])
        _truncate_metrics(metrics_path, start_epoch)
        log.info("resuming after epoch %d (step %d)", start_epoch, step)
    elif metrics_path.exists():
        metrics_path.unlink()
    want_tag, want_lm = cfg.objective != "lm", cfg.objective != "tag"
    rank, world = distributed.rank(), distributed.world_size()
    net = distributed.wrap(model, device)  # DistributedDataParallel under torchrun, the model itself otherwise
    cuda = device.type == "cuda"
    t0 = time.time()
    seen = 0
    for epoch in range(start_epoch, cfg.epochs):
        if step >= total_steps or (val_tracks and bad >= cfg.patience) or (deadline and time.time() > deadline):
            break
        torch.manual_seed(cfg.seed * 1_000_003 + epoch + 7919 * rank)
        rng = np.random.default_rng([cfg.seed, epoch] + ([rank] if world > 1 else []))  # each rank its own windows
        net.train()
        sums: dict[str, torch.Tensor] = {}  # kept on the device: no host sync per step
        n = 0
        t_epoch, seen_epoch = time.time(), seen
        bar = tqdm(total=min(spe, total_steps - step), desc=f"epoch {epoch + 1}/{cfg.epochs}", unit="step",
                   file=sys.stderr, disable=not progress or rank != 0, leave=False)
        while n < spe and step < total_steps and not (deadline and time.time() > deadline):
            batch = cut(train_tracks, random_picks(train_tracks, cfg.batch_size, cfg.window, rng), cfg.window)
            seen += batch.bases * world
            batch = batch.to(device, pin=cuda)
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=cuda):
                out = net(batch.codes, batch.soft, lm=want_lm, tag=want_tag)
            ls = losses({k: v.float() for k, v in out.items()}, batch, cfg)
            opt.zero_grad(set_to_none=True)
            ls["total"].backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
            opt.step()
            sched.step()
            step += 1
            n += 1
            for k, v in ls.items():
                sums[k] = sums.get(k, 0.0) + v.detach()
            if n % 25 == 0 or not cuda:
                bar.set_postfix(loss=f"{float(ls['total'].detach()):.3f}", bases_s=f"{seen / (time.time() - t0):,.0f}")
            bar.update()
        bar.close()
        if n == 0:
            break
        if cuda:
            torch.cuda.synchronize(device)
        log.info("epoch %d: trained at %.0f bases/s", epoch + 1, (seen - seen_epoch) / max(time.time() - t_epoch, 1e-9))
        row = {"epoch": epoch + 1, "step": step, "lr": round(sched.get_last_lr()[0], 8)}
        means = distributed.mean({k: v / n for k, v in sums.items()})
        row.update({f"train_{k}_loss" if k != "total" else "train_loss": round(v, 6) for k, v in means.items()})
        if rank == 0:  # validation and every file are rank 0's; the decision is shared with the other ranks
            row.update(validate(model, val_tracks, cfg, device))
            if gene_val:
                row.update(gene_metrics(model, gene_val, device=device, decoder=decoder))
        row = distributed.from_rank0(checkpoint.plain(row))
        score = _score(row, cfg)
        improved = not val_tracks or score > best
        if improved:
            best, best_epoch, bad, best_metrics = score, epoch + 1, 0, row
        else:
            bad += 1
        if rank == 0:
            with open(metrics_path, "a") as fh:
                fh.write(json.dumps(row, sort_keys=True) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
            if improved:
                payload = checkpoint.model_payload(model, cfg, data=data, metrics=row, epoch=epoch + 1)
                if decoder:
                    payload["decoder"] = decoder
                checkpoint.atomic_save(payload, output)
            log.info("epoch %d: %s", epoch + 1, _brief(row))
            checkpoint.atomic_save({
                "config": cfg.to_dict(), "model": model.state_dict(), "optimizer": opt.state_dict(),
                "scheduler": sched.state_dict(), "epoch": epoch + 1, "step": step, "best": best,
                "best_epoch": best_epoch, "bad": bad, "best_metrics": json.dumps(checkpoint.plain(best_metrics)),
            }, state_path)
        distributed.barrier()
    elapsed = time.time() - t0
    if rank == 0 and state_path.exists():
        state_path.unlink()
    log.info("trained %d steps in %.0f s (%.0f bases/s); best epoch %d", step, elapsed,
             seen / max(elapsed, 1e-9), best_epoch)
    return best_metrics


def _brief(row: dict) -> str:
    keys = ("train_loss", "val_coding_f1", "val_bits_per_base", "val_gene_stop_f1", "val_gene_start_stop_f1",
            "val_strand_confusion")
    return ", ".join(f"{k}={row[k]}" for k in keys if k in row)


def _truncate_metrics(path: Path, epochs: int) -> None:
    """Keep the rows of completed epochs only: the resumed run writes the rest again."""
    if not path.exists():
        return
    rows = [ln for ln in path.read_text().splitlines() if ln.strip()]
    path.write_text("".join(ln + "\n" for ln in rows[:epochs]))
