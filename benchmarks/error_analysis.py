"""Where genelstm's gene calls go wrong, against a reference, by kind of error.

    python benchmarks/error_analysis.py REFERENCE.gbk PREDICTION.gff3

Reference genes: found (stop and start right), wrong start (stop right), missed (no prediction with
that stop), split by length. Predictions with no reference stop: shadow (overlapping a reference gene
on the other strand), overlapping one on the same strand (other frame), or in intergenic DNA; and
whether they touch a record end (edge effects).
"""
from __future__ import annotations

import sys
from collections import Counter

import common  # noqa: E402,F401  (puts the repository on sys.path, for genelstm)

from genelstm.evaluate import _five, _three, reference_models  # noqa: E402


def main() -> None:
    ref_path, pred_path = sys.argv[1:3]
    genome, ref, pred, _ = reference_models(ref_path, None, pred_path)
    pred_by_stop = {(t.seqid, t.strand, _three(t)): t for t in pred}
    ref_stops = {(t.seqid, t.strand, _three(t)) for t in ref}
    c: Counter[str] = Counter()
    for t in ref:
        size = "short (<300 bp)" if t.cds_length < 300 else "long"
        p = pred_by_stop.get((t.seqid, t.strand, _three(t)))
        if p is None:
            c[f"reference missed, {size}"] += 1
        elif p.partial5 == t.partial5 and (t.partial5 or _five(p) == _five(t)):
            c[f"reference found exactly, {size}"] += 1
        else:
            longer = (p.cds_length > t.cds_length)
            c[f"reference with wrong start ({'too long' if longer else 'too short'}), {size}"] += 1
    spans: dict[str, list] = {}
    for t in ref:
        spans.setdefault(t.seqid, []).append(t)
    for p in pred:
        if (p.seqid, p.strand, _three(p)) in ref_stops:
            continue
        over = [t for t in spans.get(p.seqid, []) if t.start < p.end and p.start < t.end]
        kind = ("shadow (other strand of a reference gene)" if any(t.strand != p.strand for t in over) else
                "same strand, other frame" if over else "in intergenic DNA")
        edge = p.start == 0 or p.end == genome.records[p.seqid].length
        size = "short (<300 bp)" if p.cds_length < 300 else "long"
        c[f"false gene: {kind}, {size}{', at a record end' if edge else ''}"] += 1
    for k, v in sorted(c.items()):
        print(f"{v:6d}  {k}")


if __name__ == "__main__":
    main()
