"""GFF3 writing: gene -> mRNA -> exon + CDS, sorted, with the CDS phase column.

Writers take open handles so callers choose a file, stdout or memory.
"""
from __future__ import annotations

from typing import Iterable, TextIO

from .genemodel import Transcript
from .sequence import Record


def cds_phases(tx: Transcript) -> list[int]:
    """GFF3 phase of each CDS segment: bases to skip from its 5' end to the next codon start."""
    out, before = [], 0
    for s, e in tx.cds:
        out.append((tx.phase - before) % 3)
        before += e - s
    return out


def write_gff3(fh: TextIO, records: Iterable[Record], transcripts: Iterable[Transcript], *,
               source: str = "genelstm", header: Iterable[str] = ()) -> None:
    """Write transcripts as GFF3, one gene per transcript, sorted by record order then start."""
    records = list(records)
    order = {r.id: i for i, r in enumerate(records)}
    fh.write("##gff-version 3\n")
    for r in records:
        fh.write(f"##sequence-region {r.id} 1 {r.length}\n")
    for line in header:
        fh.write(f"# {line}\n")
    txs = sorted(transcripts, key=lambda t: (order[t.seqid], t.start, t.end, t.strand))
    for n, tx in enumerate(txs, 1):
        strand = "+" if tx.strand == 1 else "-"
        gid = tx.id or f"gene{n}"
        rows = [(tx.seqid, "gene", tx.start, tx.end, ".", f"ID={gid}"),
                (tx.seqid, "mRNA", tx.start, tx.end, ".", f"ID={gid}.t1;Parent={gid}")]
        partial = []
        if tx.partial5:
            partial.append("5'")
        if tx.partial3:
            partial.append("3'")
        if partial:
            rows[0] = rows[0][:5] + (rows[0][5] + ";partial=" + ",".join(partial),)
        segs = sorted(zip(tx.cds, cds_phases(tx)))
        for i, ((s, e), _) in enumerate(segs, 1):
            rows.append((tx.seqid, "exon", s, e, ".", f"ID={gid}.t1.exon{i};Parent={gid}.t1"))
        for (s, e), ph in segs:
            rows.append((tx.seqid, "CDS", s, e, str(ph), f"ID={gid}.t1.cds;Parent={gid}.t1"))
        for seqid, ftype, s, e, ph, attrs in rows:
            fh.write(f"{seqid}\t{source}\t{ftype}\t{s + 1}\t{e}\t.\t{strand}\t{ph}\t{attrs}\n")
