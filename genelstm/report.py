"""What was read from an annotation and what was masked: the table ``genelstm inspect`` prints."""
from __future__ import annotations

from typing import TextIO

from .annotation import AnnotatedGenome


def annotation_summary(ag: AnnotatedGenome) -> dict:
    """Counts per annotated genome: records, bases, genes, checked transcripts, valid, masked by reason."""
    masked = sum(1 for c in ag.checked if not c.valid)
    reasons = ag.masked_reasons()
    return {
        "source": " + ".join(ag.sources),
        "records": len(ag.genome.records),
        "bases": sum(r.length for r in ag.genome),
        "genes": len(ag.genes),
        "transcripts": len(ag.checked),
        "valid": len(ag.checked) - masked,
        "masked": masked,
        "reasons": dict(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))),
        "partial": sum(1 for c in ag.checked if c.valid and (c.transcript.partial5 or c.transcript.partial3)),
        "spliced": sum(1 for c in ag.checked if c.valid and len(c.transcript.introns()) > 0),
    }


def write_summary_tsv(fh: TextIO, rows: list[dict]) -> None:
    cols = ["source", "records", "bases", "genes", "transcripts", "valid", "partial", "spliced", "masked"]
    fh.write("\t".join(cols + ["masked_reasons"]) + "\n")
    for r in rows:
        why = "; ".join(f"{k}: {v}" for k, v in r["reasons"].items()) or "-"
        fh.write("\t".join(str(r[c]) for c in cols) + f"\t{why}\n")
