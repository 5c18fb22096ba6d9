"""Compare predicted genes with a reference annotation: base, exon, gene and boundary-event levels.

Gene-level matching uses three rules of increasing strictness: same strand and stop; same start
and stop; identical CDS structure. An end that is open in the reference (a partial gene cut by the
record end) matches a prediction that is open at the same end.
"""
from __future__ import annotations

import json
from bisect import bisect_left
from collections import defaultdict
from pathlib import Path
from typing import TextIO

import numpy as np

from .annotation import read_annotation, read_genome
from .errors import InputError
from .genemodel import Transcript, with_stop_added
from .sequence import Genome, Record, sniff_format, open_text

RULES = ("stop", "start_stop", "structure")


class StubGenome(Genome):
    """Record lengths only (from ##sequence-region lines or feature ends), for GFF-only evaluation."""

    def __init__(self, paths: list[str | Path]) -> None:
        self.path = Path(paths[0])
        lengths: dict[str, int] = {}
        for p in paths:
            with open_text(p) as fh:
                for line in fh:
                    if line.startswith("##sequence-region"):
                        f = line.split()
                        if len(f) >= 4:
                            lengths[_unq(f[1])] = max(lengths.get(_unq(f[1]), 0), int(f[3]))
                    elif line.strip() and not line.startswith("#"):
                        f = line.rstrip("\n").split("\t")
                        if len(f) == 9 and f[4].isdigit():
                            lengths[_unq(f[0])] = max(lengths.get(_unq(f[0]), 0), int(f[4]))
        self.records = {k: Record(k, v) for k, v in lengths.items()}

    def fetch(self, record: str, start: int = 0, end: int | None = None) -> str:
        start, end = self._bounds(record, start, end)
        return "N" * (end - start)


def _unq(s: str) -> str:
    import urllib.parse

    return urllib.parse.unquote(s)


def reference_models(reference: str | Path, genome_path: str | Path | None, prediction: str | Path
                     ) -> tuple[Genome, list[Transcript], list[Transcript], int]:
    """(genome, reference transcripts, predicted transcripts, reference genes left out as unpredictable)."""
    fmt = sniff_format(reference)
    if fmt in ("genbank", "embl"):
        genome, genes = read_genome(reference)
    else:
        genome = read_genome(genome_path)[0] if genome_path else StubGenome([reference, prediction])
        genes = read_annotation(reference, genome)
    ref, skipped = [], 0
    for g in genes:
        tx = g.training_transcript()
        if tx.pseudo or tx.trans_spliced:
            skipped += 1
            continue
        if not isinstance(genome, StubGenome):
            rec = genome.records[tx.seqid]
            tx = with_stop_added(tx, lambda s, e, r=tx.seqid: genome.fetch(r, s, e), rec.length)
        ref.append(tx)
    pred = [g.training_transcript() for g in read_annotation(prediction, genome)]
    return genome, ref, pred, skipped


def _prf(tp_ref: int, n_ref: int, tp_pred: int, n_pred: int) -> dict[str, float]:
    sn = tp_ref / n_ref if n_ref else 0.0
    pr = tp_pred / n_pred if n_pred else 0.0
    f1 = 2 * sn * pr / (sn + pr) if sn + pr else 0.0
    return {"sensitivity": round(sn, 6), "precision": round(pr, 6), "f1": round(f1, 6),
            "reference": n_ref, "predicted": n_pred, "matched_reference": tp_ref, "matched_predicted": tp_pred}


def _five(t: Transcript) -> int:
    return t.cds[0][0] if t.strand == 1 else t.cds[0][1]


def _three(t: Transcript) -> int:
    return t.cds[-1][1] if t.strand == 1 else t.cds[-1][0]


def _keys(t: Transcript, rule: str) -> tuple:
    """Match key of a transcript; an open 5' end is represented as 'open', not as a coordinate."""
    five = "open" if t.partial5 else _five(t)
    base = (t.seqid, t.strand, _three(t))
    if rule == "stop":
        return base
    if rule == "start_stop":
        return base + (five,)
    inner = [x for s, e in t.cds for x in (s, e)]
    if t.partial5:
        inner[0 if t.strand == 1 else 1] = -1
    return (t.seqid, t.strand, tuple(inner), t.partial3)


def _event_positions(txs: list[Transcript]) -> dict[str, dict[tuple[str, int], list[int]]]:
    out: dict[str, dict[tuple[str, int], list[int]]] = {k: defaultdict(list) for k in
                                                         ("start", "stop", "donor", "acceptor")}
    for t in txs:
        key = (t.seqid, t.strand)
        if not t.partial5:
            out["start"][key].append(_five(t))
        if not t.partial3:
            out["stop"][key].append(_three(t))
        for s, e in t.introns():
            out["donor"][key].append(s if t.strand == 1 else e)
            out["acceptor"][key].append(e if t.strand == 1 else s)
    for d in out.values():
        for v in d.values():
            v.sort()
    return out


def _near(sorted_pos: list[int], x: int, k: int) -> bool:
    i = bisect_left(sorted_pos, x - k)
    return i < len(sorted_pos) and sorted_pos[i] <= x + k


def evaluate(genome: Genome, ref: list[Transcript], pred: list[Transcript], *, tolerance: int = 0) -> dict:
    """All levels of agreement between ``pred`` and ``ref``."""
    res: dict = {}
    # base level, per strand
    tp = fp = fn = 0
    by_rec: dict[str, tuple[list[Transcript], list[Transcript]]] = defaultdict(lambda: ([], []))
    for t in ref:
        by_rec[t.seqid][0].append(t)
    for t in pred:
        by_rec[t.seqid][1].append(t)
    for rid, (rs, ps) in by_rec.items():
        n = genome.records[rid].length
        r = np.zeros((2, n), bool)
        p = np.zeros((2, n), bool)
        for arr, txs in ((r, rs), (p, ps)):
            for t in txs:
                for s, e in t.cds:
                    arr[0 if t.strand == 1 else 1, s:e] = True
        tp += int((r & p).sum())
        fp += int((~r & p).sum())
        fn += int((r & ~p).sum())
    res["base"] = _prf(tp, tp + fn, tp, tp + fp)
    ref_ex = {(t.seqid, t.strand, s, e) for t in ref for s, e in t.cds}
    pred_ex = {(t.seqid, t.strand, s, e) for t in pred for s, e in t.cds}
    res["exon"] = _prf(len(ref_ex & pred_ex), len(ref_ex), len(ref_ex & pred_ex), len(pred_ex))
    for rule in RULES:
        rk = [_keys(t, rule) for t in ref]
        pk = [_keys(t, rule) for t in pred]
        rs, ps = set(rk), set(pk)
        res[f"gene_{rule}"] = _prf(sum(k in ps for k in rk), len(rk), sum(k in rs for k in pk), len(pk))
    rev, pev = _event_positions(ref), _event_positions(pred)
    events = {}
    for name in rev:
        keys = set(rev[name]) | set(pev[name])
        n_ref = sum(len(v) for v in rev[name].values())
        n_pred = sum(len(v) for v in pev[name].values())
        if not n_ref and not n_pred:
            continue
        m_ref = sum(_near(pev[name].get(k, []), x, tolerance) for k in keys for x in rev[name].get(k, []))
        m_pred = sum(_near(rev[name].get(k, []), x, tolerance) for k in keys for x in pev[name].get(k, []))
        events[name] = _prf(m_ref, n_ref, m_pred, n_pred)
    res["events"] = events
    res["tolerance"] = tolerance
    return res


LEVELS = [("base", "coding bases"), ("exon", "CDS exons"), ("gene_stop", "genes: strand + stop"),
          ("gene_start_stop", "genes: start + stop"), ("gene_structure", "genes: exact structure")]


def rows(res: dict) -> list[tuple[str, dict]]:
    out = [(label, res[key]) for key, label in LEVELS]
    out += [(f"events: {k} (+/-{res['tolerance']} bp)", v) for k, v in res["events"].items()]
    return out


def write_table(fh: TextIO, res: dict) -> None:
    fh.write(f"{'level':36s} {'sens':>7s} {'prec':>7s} {'F1':>7s} {'ref':>8s} {'pred':>8s}\n")
    for label, m in rows(res):
        fh.write(f"{label:36s} {m['sensitivity']:7.4f} {m['precision']:7.4f} {m['f1']:7.4f} "
                 f"{m['reference']:8d} {m['predicted']:8d}\n")


def write_tsv(fh: TextIO, res: dict) -> None:
    fh.write("level\tsensitivity\tprecision\tf1\treference\tpredicted\tmatched_reference\tmatched_predicted\n")
    for label, m in rows(res):
        fh.write("\t".join([label] + [str(m[k]) for k in ("sensitivity", "precision", "f1", "reference",
                                                            "predicted", "matched_reference",
                                                            "matched_predicted")]) + "\n")


def write_json(fh: TextIO, res: dict) -> None:
    json.dump(res, fh, indent=2, sort_keys=True)
    fh.write("\n")


def check_inputs(reference: str | Path, genome_path: str | Path | None) -> None:
    if sniff_format(reference) == "fasta":
        raise InputError(reference, "the reference must be an annotation (GFF3, GTF, GenBank or EMBL), not FASTA")
