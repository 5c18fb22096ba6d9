"""Gene-level validation: decode whole validation genomes with the real decoder and score the genes.

Base-level coding F1 once chose a model that called antisense shadows on another genus, so
models are chosen here by what users see: stop-exact and start+stop-exact gene F1, plus the
strand confusion -- the share of reference genes whose opposite strand the network scores as
more coding than their own strand.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import torch

from .annotation import load
from .evaluate import evaluate
from .genemodel import Transcript
from .labels import CDS1, CDS3
from .sequence import Genome


@dataclass
class ValGenome:
    name: str
    genome: Genome
    reference: list[Transcript] = field(default_factory=list)
    table: int = 11


def load_val_genome(path: str | Path, table: int = 11, name: str | None = None) -> ValGenome:
    """A validation genome with the valid reference genes of its own annotation (GenBank/EMBL)."""
    ag = load(path)
    ref = [c.transcript for c in ag.checked if c.valid]
    return ValGenome(name or os.path.basename(str(path)), ag.genome, ref, table)


def calls_f1(vg: ValGenome, calls: dict) -> tuple[float, float]:
    """(stop-exact, start+stop-exact) gene F1 of calls per record (lists of decode.Call) against ``vg``."""
    res = evaluate(vg.genome, vg.reference, [c.transcript for cs in calls.values() for c in cs], tolerance=0)
    return res["gene_stop"]["f1"], res["gene_start_stop"]["f1"]


def decoded_f1(vg: ValGenome, records: dict, opts) -> tuple[float, float]:
    """Gene F1 of ``vg`` decoded from its evidence (predict.genome_evidence) with ``opts``: with self-training
    when ``opts.adapt``, else the network alone with these settings."""
    from . import selftrain
    from .predict import decode_record

    decode = lambda rid, c, ev: decode_record(rid, c, ev, opts)  # noqa: E731
    if opts.adapt:
        calls, _, _ = selftrain.adapt(records, decode, table=opts.table, weights=opts.adapt_weights)
    else:
        calls = {rid: decode(rid, c, ev) for rid, (c, ev) in records.items()}
    return calls_f1(vg, calls)


def strand_confusion(reference: list[Transcript], coding: dict[str, np.ndarray]) -> float:
    """Share of single-segment reference genes whose opposite strand has the higher mean P(coding).

    ``coding[record]`` is (2, length): P(CDS) on the forward and reverse strand.
    """
    worse = total = 0
    for tx in reference:
        if len(tx.cds) != 1 or tx.seqid not in coding:
            continue
        s, e = tx.cds[0]
        own = 0 if tx.strand == 1 else 1
        p = coding[tx.seqid][:, s:e].mean(axis=1)
        worse += int(p[1 - own] > p[own])
        total += 1
    return worse / total if total else 0.0


@torch.no_grad()
def gene_metrics(model, genomes: list[ValGenome], *, device: torch.device = torch.device("cpu"),
                 decoder: dict | None = None) -> dict:
    """Per-genome and mean gene F1 (stop-exact, start+stop-exact) and strand confusion, of the network alone.

    ``decoder`` (a checkpoint's ``decoder`` entry): decode with those settings, as ``--no-adapt`` would, and
    also report self-training's F1 (``adapt_*``; reported, not chosen on). Without it, the default settings.
    Both decode the evidence predict decodes (predict.genome_evidence); one network pass serves both
    unless the settings ask for different evidence (reverse-complement averaging of small inputs, another
    probability floor).
    """
    from .predict import PredictOptions, decoder_options, genome_evidence

    ck = {"config": {"model": {"choice_head": model.cfg.choice_head}}, "decoder": decoder}
    base = PredictOptions(**decoder_options(ck)) if decoder else PredictOptions()
    per: dict[str, dict] = {}
    for vg in genomes:
        opts = replace(base, table=vg.table)
        alone = replace(opts.without_dialect(sum(r.length for r in vg.genome)), adapt=False)
        coding: dict[str, np.ndarray] = {}

        def keep(record, probs, core_a, core_b, _c=coding, _g=vg):
            arr = _c.setdefault(record, np.zeros((2, _g.genome.records[record].length), np.float32))
            arr[:, core_a:core_b] = probs.region[:, CDS1 : CDS3 + 1, core_a - probs.start : core_b - probs.start].sum(1)

        evidence = genome_evidence(model, vg.genome, alone, device=device, on_probs=keep)
        stop, start_stop = decoded_f1(vg, evidence, alone)
        per[vg.name] = {"stop_f1": round(stop, 4), "start_stop_f1": round(start_stop, 4),
                        "strand_confusion": round(strand_confusion(vg.reference, coding), 4)}
        if decoder:
            if (opts.rc_average, opts.bf16, opts.prob_floor) != (alone.rc_average, alone.bf16, alone.prob_floor):
                evidence = genome_evidence(model, vg.genome, opts, device=device)
            stop, start_stop = decoded_f1(vg, evidence, opts)
            per[vg.name].update(adapt_stop_f1=round(stop, 4), adapt_start_stop_f1=round(start_stop, 4))
    if not per:
        return {}
    keys = ("stop_f1", "start_stop_f1", "strand_confusion") + (("adapt_stop_f1", "adapt_start_stop_f1") if decoder else ())
    mean = {k: round(float(np.mean([v[k] for v in per.values()])), 4) for k in keys}
    out = {"val_gene": per, "val_gene_stop_f1": mean["stop_f1"], "val_gene_start_stop_f1": mean["start_stop_f1"],
           "val_strand_confusion": mean["strand_confusion"]}
    if decoder:
        out.update(val_gene_adapt_stop_f1=mean["adapt_stop_f1"], val_gene_adapt_start_stop_f1=mean["adapt_start_stop_f1"])
    return out
