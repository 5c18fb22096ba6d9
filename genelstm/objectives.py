"""What training optimises and measures: masked multi-task losses and base-level validation metrics.

Gene-level validation (through the decoder) lives in ``validation``; the loop in ``train``.
"""
from __future__ import annotations

import math

import numpy as np
import torch
from torch.nn import functional as F

from .alphabet import N_CODE, codon_table
from .config import TrainConfig
from .dataset import Batch, cut, tiled_picks
from .decode import _ids
from .labels import CDS1, CDS3, EVENTS, REGIONS
from .model import GeneLSTM

LN2 = math.log(2)
#: the start codons a prokaryote gene's start is chosen among in training (the rarer ones of table 11 would
#: mostly add noise to the choice) and the stops that close an open frame, as codon ids (decode._ids)
_START_IDS = tuple(int(i) for i in _ids(frozenset({"ATG", "GTG", "TTG"})))
_STOP_IDS = tuple(int(i) for i in _ids(codon_table(11)[1]))


def losses(out: dict[str, torch.Tensor], batch: Batch, cfg: TrainConfig) -> dict[str, torch.Tensor]:
    """Masked region cross-entropy, event BCE (positives up-weighted: they are rare) and next-base CE."""
    res: dict[str, torch.Tensor] = {}
    if "region" in out:
        known = ~batch.mask
        logits = out["region"].permute(0, 1, 3, 2)[known]  # (n, R)
        res["region"] = F.cross_entropy(logits, batch.region[known]) if logits.numel() else logits.sum()
        ev_logits = out["events"].permute(0, 1, 3, 2)[known]
        ev_target = batch.events.permute(0, 1, 3, 2)[known]
        pw = torch.full((len(EVENTS),), cfg.event_pos_weight, device=ev_logits.device)
        res["events"] = (F.binary_cross_entropy_with_logits(ev_logits, ev_target, pos_weight=pw)
                         if ev_logits.numel() else ev_logits.sum())
    if "next_base" in out:
        ok = batch.codes != N_CODE
        logits = out["next_base"].permute(0, 2, 1)[ok]
        res["lm"] = F.cross_entropy(logits, batch.codes[ok]) if logits.numel() else logits.sum()
    if "region" in out and cfg.start_choice_weight:
        res["start"] = start_choice(out["events"][:, :, EVENTS.index("start")], batch)
    total = (res.get("region", 0) + res.get("events", 0) + cfg.lm_weight * res.get("lm", 0)
             + cfg.start_choice_weight * res.get("start", 0))
    res["total"] = total
    return res


def start_choice(start_logits: torch.Tensor, batch: Batch) -> torch.Tensor:
    """Mean cross-entropy of each annotated start against the other start codons of its open frame.

    The per-base event loss asks "is this base a start?" everywhere, which the network answers well
    by composition alone; the decoder asks something harder: which of the ATG/GTG/TTG codons that
    share a stop is the start. This loss asks exactly that, per gene: a softmax of the start logits
    over the start codons (plus the annotated one, whatever its codon) in the same frame between two
    stop codons, read off the window's sequence on each strand. TGA counts as a stop even on table 4,
    which only shortens the choice there. ``start_logits``: (B, 2, W), tracks as in ``labels``.
    """
    fwd = batch.codes
    rc = torch.where(fwd < N_CODE, 3 - fwd, fwd).flip(-1)  # as alphabet.reverse_complement_codes
    start = EVENTS.index("start")
    per_gene = torch.cat([
        _open_frame_choice(start_logits[:, 0], fwd, batch.events[:, 0, start] > 0.5, ~batch.mask[:, 0]),
        _open_frame_choice(start_logits[:, 1].flip(-1), rc, (batch.events[:, 1, start] > 0.5).flip(-1),
                           (~batch.mask[:, 1]).flip(-1)),
    ])
    return per_gene.mean() if per_gene.numel() else start_logits.sum() * 0


def _open_frame_choice(logits: torch.Tensor, codes: torch.Tensor, target: torch.Tensor,
                       known: torch.Tensor) -> torch.Tensor:
    """Per annotated start on one strand read 5'->3': logsumexp over its open frame minus its own logit."""
    b, w = codes.shape
    c = F.pad(codes, (0, 2), value=N_CODE)
    ok = (c[:, :w] < N_CODE) & (c[:, 1 : w + 1] < N_CODE) & (c[:, 2 : w + 2] < N_CODE)
    codon = torch.where(ok, 16 * c[:, :w] + 4 * c[:, 1 : w + 1] + c[:, 2 : w + 2], -1)  # as decode._codon_ids
    is_stop = torch.isin(codon, torch.tensor(_STOP_IDS, device=codes.device))
    cand = (torch.isin(codon, torch.tensor(_START_IDS, device=codes.device)) | target) & known
    target = target & known
    w3 = w + (-w) % 3
    rows = w3 // 3
    stops = F.pad(is_stop.long(), (0, w3 - w)).view(b, rows, 3)
    seg = stops.cumsum(1).view(b, w3)[:, :w]  # open frames counted per frame; a stop opens the next
    frame = torch.arange(w, device=codes.device) % 3
    group = (torch.arange(b, device=codes.device)[:, None] * 3 + frame) * (rows + 1) + seg
    n_groups = b * 3 * (rows + 1)
    lg, gi = logits.float()[cand], group[cand]
    top = torch.full((n_groups,), -torch.inf, device=codes.device).scatter_reduce(
        0, gi, lg.detach(), "amax", include_self=True)
    total = torch.zeros(n_groups, device=codes.device).index_add(0, gi, torch.exp(lg - top[gi]))
    tg = group[target]
    lse = top[tg] + torch.log(total[tg])
    return lse - logits.float()[target]


def _f1(tp: float, fp: float, fn: float) -> float:
    return 0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn)


@torch.no_grad()
def validate(model: GeneLSTM, tracks: list, cfg: TrainConfig, device: torch.device) -> dict:
    """Per-class region F1, coding F1, boundary-event F1 (exact base, p > 0.5) and bits/base."""
    if not tracks:
        return {}
    model.eval()
    want_tag, want_lm = cfg.objective != "lm", cfg.objective != "tag"
    picks = tiled_picks(tracks, cfg.window, cfg.val_max_bases)
    conf = np.zeros((len(REGIONS), len(REGIONS)), np.int64)
    ev = np.zeros((len(EVENTS), 3), np.int64)  # tp, fp, fn
    sums = {"region": 0.0, "events": 0.0, "lm": 0.0, "start": 0.0}
    n_batches, bits, n_bases = 0, 0.0, 0
    for i in range(0, len(picks), cfg.batch_size):
        batch = cut(tracks, picks[i : i + cfg.batch_size], cfg.window).to(device)
        out = model(batch.codes, batch.soft, lm=want_lm, tag=want_tag)
        ls = losses(out, batch, cfg)
        n_batches += 1
        for k in sums:
            if k in ls:
                sums[k] += float(ls[k])
        if want_tag:
            known = ~batch.mask
            pred = out["region"].argmax(2)[known].cpu().numpy()
            true = batch.region[known].cpu().numpy()
            np.add.at(conf, (true, pred), 1)
            p_ev = (out["events"] > 0).permute(0, 1, 3, 2)[known].cpu().numpy()
            t_ev = batch.events.permute(0, 1, 3, 2)[known].cpu().numpy() > 0.5
            ev[:, 0] += (p_ev & t_ev).sum(0)
            ev[:, 1] += (p_ev & ~t_ev).sum(0)
            ev[:, 2] += (~p_ev & t_ev).sum(0)
        if want_lm:
            ok = batch.codes != N_CODE
            logp = F.log_softmax(out["next_base"], dim=1)
            nll = -logp.gather(1, batch.codes.clamp(max=3).unsqueeze(1)).squeeze(1)[ok]
            bits += float(nll.sum()) / LN2
            n_bases += int(ok.sum())
    res: dict = {}
    if want_tag:
        tp = np.diag(conf)
        res["val_region_f1"] = {name: round(_f1(tp[i], conf[:, i].sum() - tp[i], conf[i].sum() - tp[i]), 6)
                                for i, name in enumerate(REGIONS) if conf[i].sum() or conf[:, i].sum()}
        coding = slice(CDS1, CDS3 + 1)
        c_tp = conf[coding, coding].sum()
        res["val_coding_f1"] = round(_f1(c_tp, conf[:, coding].sum() - c_tp, conf[coding, :].sum() - c_tp), 6)
        res["val_event_f1"] = {name: round(_f1(*ev[i]), 6) for i, name in enumerate(EVENTS) if ev[i].sum()}
        res["val_region_loss"] = round(sums["region"] / n_batches, 6)
        res["val_event_loss"] = round(sums["events"] / n_batches, 6)
        if cfg.start_choice_weight:
            res["val_start_loss"] = round(sums["start"] / n_batches, 6)
    if want_lm:
        res["val_bits_per_base"] = round(bits / max(n_bases, 1), 6)
    return res
