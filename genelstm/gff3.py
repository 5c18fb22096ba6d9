"""GFF3 writing: gene -> mRNA -> exon + CDS, sorted, with the CDS phase column.

Writers take open handles so callers choose a file, stdout or memory.
"""
from __future__ import annotations

import urllib.parse
from typing import Iterable, TextIO

from .genemodel import Transcript, unwrapped
from .sequence import Record



def escape_seqid(seqid: str) -> str:
    """Column 1 escaping of the GFF3 specification."""
    return urllib.parse.quote(seqid, safe=".:^*$@!+_?-|")


def _attr(value: str) -> str:
    return urllib.parse.quote(value, safe=" /:.-_|!*@$^()[]{}'#")


def cds_phases(tx: Transcript) -> list[int]:
    """GFF3 phase of each CDS segment: bases to skip from its 5' end to the next codon start."""
    out, before = [], 0
    for s, e in tx.cds:
        out.append((tx.phase - before) % 3)
        before += e - s
    return out


def write_header(fh: TextIO, records: Iterable[Record], comments: Iterable[str] = ()) -> None:
    """Version, sequence regions, comments; circular records also get a ``region`` row with
    ``Is_circular=true``, which lets genes across the origin end past the record's length (the NCBI
    convention, accepted by gt gff3validator)."""
    records = list(records)
    fh.write("##gff-version 3\n")
    for r in records:
        fh.write(f"##sequence-region {escape_seqid(r.id)} 1 {r.length}\n")
    for line in comments:
        fh.write(f"# {line}\n")
    for r in records:
        if r.circular:
            fh.write(f"{escape_seqid(r.id)}\tgenelstm\tregion\t1\t{r.length}\t.\t+\t.\t"
                     f"ID={_attr(r.id)};Is_circular=true\n")


def unwrapped_span(tx: Transcript, length: int | None) -> tuple[int, int]:
    segs = unwrapped(tx, length)
    return min(s for s, _ in segs), max(e for _, e in segs)


def write_genes(fh: TextIO, transcripts: Iterable[Transcript], *, source: str = "genelstm",
                scores: Iterable[float | None] | None = None, lengths: dict[str, int] | None = None) -> None:
    """Genes in the order given (callers sort); IDs come from each transcript's ``id``. With the
    records' ``lengths``, a gene across a circular origin is written past the record's end."""
    txs = list(transcripts)
    score_list = list(scores) if scores is not None else [None] * len(txs)
    for tx, score in zip(txs, score_list):
        strand = "+" if tx.strand == 1 else "-"
        seqid = escape_seqid(tx.seqid)
        gid = _attr(tx.id)
        sc = "." if score is None else f"{score:.1f}"
        gene_attrs = f"ID={gid}"
        partial = [end for end, flag in (("5'", tx.partial5), ("3'", tx.partial3)) if flag]
        if partial:
            gene_attrs += ";partial=true;open_ends=" + _attr(",".join(partial))
        segs = _merged(sorted(zip(unwrapped(tx, (lengths or {}).get(tx.seqid)), cds_phases(tx))))
        first, last = segs[0][0][0], segs[-1][0][1]
        rows = [("gene", first, last, sc, ".", gene_attrs),
                ("mRNA", first, last, sc, ".", f"ID={gid}.t1;Parent={gid}")]
        rows += [("exon", s, e, ".", ".", f"ID={gid}.t1.exon{i};Parent={gid}.t1")
                 for i, ((s, e), _) in enumerate(segs, 1)]
        code = "" if tx.table in (1, 11) else f";transl_table={tx.table}"  # an unusual code, as NCBI writes it
        rows += [("CDS", s, e, ".", str(ph), f"ID={gid}.t1.cds;Parent={gid}.t1{code}") for (s, e), ph in segs]
        for ftype, s, e, score_col, ph, attrs in rows:
            fh.write(f"{seqid}\t{source}\t{ftype}\t{s + 1}\t{e}\t{score_col}\t{strand}\t{ph}\t{attrs}\n")


def write_gff3(fh: TextIO, records: Iterable[Record], transcripts: Iterable[Transcript], *,
               source: str = "genelstm", comments: Iterable[str] = ()) -> None:
    """A whole GFF3 file: header, then genes sorted by record order, start, end, strand."""
    records = list(records)
    order = {r.id: i for i, r in enumerate(records)}
    write_header(fh, records, comments)
    write_genes(fh, sorted(transcripts, key=lambda t: (order[t.seqid], t.start, t.end, t.strand)), source=source)


def _merged(segs: list) -> list:
    """Touching segments (the two halves of an origin-spanning CDS, once unwrapped) as one row."""
    out: list = []
    for (s, e), ph in segs:
        if out and out[-1][0][1] == s:
            (s0, _), ph0 = out[-1]
            out[-1] = ((s0, e), ph0)
        else:
            out.append(((s, e), ph))
    return out
