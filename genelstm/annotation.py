"""Annotation readers (GFF3, GTF, GenBank, EMBL) into the one gene model, and the checks against the sequence.

Readers only translate formats; ``check`` decides which transcripts can be trusted as labels
and says why the others cannot, so no hard case is dropped silently.
"""
from __future__ import annotations

import re
import urllib.parse
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path

from Bio.SeqFeature import AfterPosition, BeforePosition

from .alphabet import codon_table
from .errors import InputError
from .genemodel import Gene, Transcript, problems, with_stop_added, wrapped
from .sequence import FastaGenome, Genome, open_text, read_genbank, read_sequences, sniff_format

DEFAULT_TABLE = 11


@dataclass
class Checked:
    """A transcript with the reasons it cannot be used for labels (empty: valid)."""

    gene: Gene
    transcript: Transcript
    reasons: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.reasons


@dataclass
class AnnotatedGenome:
    """A genome with its checked gene models: what every later stage consumes."""

    genome: Genome
    genes: list[Gene]
    checked: list[Checked]
    sources: list[str]
    #: GenBank/EMBL, or FASTA covered by an annotation file: unannotated bases are truly intergenic
    annotated: bool = True

    def masked_reasons(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for c in self.checked:
            for r in c.reasons:
                counts[r] += 1
        return dict(counts)


def read_genome(path: str | Path) -> tuple[Genome, list[Gene]]:
    """A genome file and the genes it carries itself (GenBank/EMBL; none for FASTA)."""
    if sniff_format(path) in ("genbank", "embl"):
        genome, recs = read_genbank(path)
        return genome, genes_from_seqrecords(path, recs, default_table=DEFAULT_TABLE)
    return read_sequences(path), []


def load(genome_path: str | Path, annotations: list[str | Path] | None = None, *,
         all_isoforms: bool = False) -> AnnotatedGenome:
    """Read one genome (FASTA, GenBank or EMBL) with its annotations, and check every transcript."""
    return load_all([genome_path], annotations, all_isoforms=all_isoforms)[0]


def load_all(genome_paths: list[str | Path], annotations: list[str | Path] | None = None, *,
             all_isoforms: bool = False) -> list[AnnotatedGenome]:
    """Read several genomes; each annotation row goes to the genome that holds its sequence ID."""
    loaded = [(p, *read_genome(p)) for p in genome_paths]
    owner: dict[str, int] = {}
    if annotations:
        # rows are matched by sequence ID, which must then say which genome it means
        for i, (p, genome, _) in enumerate(loaded):
            for rid in genome.records:
                if rid in owner:
                    raise InputError(p, f"record ID also in {loaded[owner[rid]][0]}", record=rid)
                owner[rid] = i
    union = _Union([g for _, g, _ in loaded], owner)
    extra: list[list[Gene]] = [[] for _ in loaded]
    used: list[list[str]] = [[] for _ in loaded]
    for ann in annotations or []:
        genes = read_annotation(ann, union if len(loaded) > 1 else loaded[0][1])
        for gene in genes:
            extra[owner[gene.seqid]].append(gene)
        for i in {owner[g.seqid] for g in genes}:
            used[i].append(str(ann))
    out = []
    for (p, genome, own), more, anns in zip(loaded, extra, used):
        genes = own + more
        annotated = not isinstance(genome, FastaGenome) or bool(anns)
        out.append(AnnotatedGenome(genome, genes, check(genome, genes, all_isoforms=all_isoforms), [str(p)] + anns,
                                   annotated))
    return out


class _Union(Genome):
    """Several genomes seen as one, so an annotation file can span them."""

    def __init__(self, genomes: list[Genome], owner: dict[str, int]) -> None:
        self.path = Path(", ".join(str(g.path) for g in genomes))
        self._genomes, self._owner = genomes, owner
        self.records = {rid: g.records[rid] for g in genomes for rid in g.records}

    def fetch(self, record: str, start: int = 0, end: int | None = None) -> str:
        return self._genomes[self._owner[record]].fetch(record, start, end)


def read_annotation(path: str | Path, genome: Genome, *, table: int = DEFAULT_TABLE) -> list[Gene]:
    """Genes of an annotation file whose sequence IDs must all be in ``genome``."""
    fmt = sniff_format(path)
    if fmt == "gff3":
        return read_gff(path, genome, gtf=False, table=table)
    if fmt == "gtf":
        return read_gff(path, genome, gtf=True, table=table)
    if fmt in ("genbank", "embl"):
        other, recs = read_genbank(path)
        for rid in other.records:
            if rid not in genome.records:
                raise InputError(path, "record not in the genome FASTA", record=rid)
        return genes_from_seqrecords(path, recs, default_table=table)
    raise InputError(path, f"not a GFF3, GTF, GenBank or EMBL annotation (looks like {fmt})")


# ---------------------------------------------------------------- GenBank / EMBL

def genes_from_seqrecords(path: str | Path, recs: list, *, default_table: int) -> list[Gene]:
    """One gene per locus_tag (isoforms grouped), else one gene per CDS feature."""
    genes: dict[tuple[str, str], Gene] = {}
    taken: set[str] = set()  # gene IDs given so far (a set: a genome has thousands)
    for rid, rec in recs:
        n = 0
        for feat in rec.features:
            if feat.type != "CDS":
                continue
            n += 1
            parts = list(feat.location.parts)
            strands = {p.strand for p in parts}
            strand = -1 if parts[0].strand == -1 else 1
            for p in parts:
                if int(p.end) > len(rec.seq) or int(p.start) < 0:
                    raise InputError(path, f"CDS {feat.location} extends past the sequence end ({len(rec.seq)})",
                                     record=rid)
            q = feat.qualifiers
            codon_start = _int_qualifier(q, "codon_start", 1)
            first, last = parts[0], parts[-1]
            if strand == 1:
                p5, p3 = isinstance(first.start, BeforePosition), isinstance(last.end, AfterPosition)
            else:
                p5, p3 = isinstance(first.end, AfterPosition), isinstance(last.start, BeforePosition)
            name = (q.get("locus_tag") or q.get("gene") or q.get("protein_id") or [f"{rid}.cds{n}"])[0]
            tx = Transcript(
                id=f"{name}.t{n}" if "locus_tag" in q else name,
                seqid=rid,
                strand=strand,
                cds=tuple((int(p.start), int(p.end)) for p in parts),
                partial5=p5 or codon_start != 1,
                partial3=p3,
                phase=codon_start - 1,
                table=_int_qualifier(q, "transl_table", default_table),
                pseudo="pseudo" in q or "pseudogene" in q,
                trans_spliced=len(strands) > 1 or "trans_splicing" in q,
            )
            key = (rid, q["locus_tag"][0]) if "locus_tag" in q else (rid, f"#{n}")
            if key not in genes:
                gid = _unique(name, taken)
                taken.add(gid)
                genes[key] = Gene(gid, rid, strand)
            genes[key].transcripts.append(tx)
    return list(genes.values())


def _int_qualifier(q: dict, key: str, default: int) -> int:
    """Integer qualifiers as real files write them (kaptive has '/transl_table=11)')."""
    m = re.search(r"\d+", q.get(key, [""])[0])
    return int(m.group()) if m else default


def _unique(name: str, taken: set[str]) -> str:
    if name not in taken:
        return name
    i = 2
    while f"{name}_{i}" in taken:
        i += 1
    return f"{name}_{i}"


# ---------------------------------------------------------------- GFF3 / GTF

_GTF_ATTR = re.compile(r'\s*([^\s"]+)\s+"?([^";]*)"?\s*;?')
_TRANSCRIPT_TYPES = {"mRNA", "transcript", "primary_transcript"}
_UTR_TYPES = {"five_prime_UTR", "three_prime_UTR", "5UTR", "3UTR", "UTR"}


def _attrs_gff(text: str) -> dict[str, str]:
    out = {}
    for item in text.strip().strip(";").split(";"):
        if "=" in item:
            k, v = item.split("=", 1)
            out[k.strip()] = urllib.parse.unquote(v.strip())
    return out


def _attrs_gtf(text: str) -> dict[str, str]:
    return {m.group(1): m.group(2) for m in _GTF_ATTR.finditer(text)}


def read_gff(path: str | Path, genome: Genome, *, gtf: bool, table: int = DEFAULT_TABLE) -> list[Gene]:
    """GFF3 and GTF: CDS rows grouped by transcript, transcripts by gene; GTF stop_codon rows join the CDS.
    A CDS row's ``transl_table`` (NCBI's, and genelstm's for codes other than 1 and 11) overrides ``table``."""
    cds: dict[str, list[tuple[int, int, int]]] = defaultdict(list)  # transcript -> (start, end, phase)
    tables: dict[str, int] = {}  # transcript -> its CDS rows' transl_table
    utr: dict[str, list[tuple[int, int]]] = defaultdict(list)
    tx_info: dict[str, tuple[str, int, str]] = {}  # transcript -> (seqid, strand, gene id)
    parent_of: dict[str, str] = {}
    pseudo: set[str] = set()
    partial_attr: dict[str, tuple[bool, bool]] = {}
    #: records the file or the sequence says are circular: features may end past their length (NCBI)
    circular_ids = {r.id for r in genome if r.circular}
    with open_text(path) as fh:
        try:
            for lineno, line in enumerate(fh, 1):
                if line.startswith("##FASTA"):
                    break
                if not line.strip() or line.startswith("#"):
                    continue
                f = line.rstrip("\n\r").split("\t")
                if len(f) != 9:
                    raise InputError(path, f"expected 9 tab-separated columns, found {len(f)}", line=lineno)
                seqid, _, ftype, start_s, end_s, _, strand_s, phase_s, attr_s = f
                seqid = urllib.parse.unquote(seqid)
                try:
                    start, end = int(start_s) - 1, int(end_s)
                except ValueError:
                    raise InputError(path, f"start/end not integers: {start_s!r}, {end_s!r}", line=lineno) from None
                if start < 0 or end <= start:
                    raise InputError(path, f"invalid interval {start_s}-{end_s}", line=lineno)
                attrs = _attrs_gtf(attr_s) if gtf else _attrs_gff(attr_s)
                if ftype in ("region", "chromosome", "contig"):
                    if attrs.get("Is_circular") == "true":
                        circular_ids.add(seqid)
                    continue
                relevant = ftype in ("CDS", "stop_codon") or ftype in _UTR_TYPES
                if gtf:
                    gid, tid = attrs.get("gene_id"), attrs.get("transcript_id")
                    if not relevant:
                        continue
                    if not tid:
                        raise InputError(path, f"{ftype} row without transcript_id", line=lineno)
                    parents = [tid]
                    parent_of.setdefault(tid, gid or tid)
                else:
                    fid = attrs.get("ID")
                    if fid and "Parent" in attrs and ftype not in ("CDS", "exon") and ftype not in _UTR_TYPES:
                        parent_of[fid] = attrs["Parent"].split(",")[0]
                    if ftype in ("pseudogene", "pseudogenic_transcript") or attrs.get("pseudo") == "true":
                        if fid:
                            pseudo.add(fid)
                    prodigal_partial = attrs.get("partial") in ("00", "01", "10", "11")
                    if fid and prodigal_partial:  # Prodigal: left and right end open, forward coordinates
                        partial_attr[fid] = (attrs["partial"][0] == "1", attrs["partial"][1] == "1")
                    elif fid and (attrs.get("partial") == "true" or "start_range" in attrs or "end_range" in attrs):
                        partial_attr[fid] = ("start_range" in attrs or attrs.get("partial") == "true",
                                             "end_range" in attrs or attrs.get("partial") == "true")
                    if not relevant:
                        continue
                    if "Parent" in attrs:
                        parents = attrs["Parent"].split(",")
                    elif fid and ftype == "CDS":  # Prodigal, Prokka, Bakta: each CDS is a gene of its own
                        parents = [fid]
                    else:
                        raise InputError(path, f"{ftype} row without Parent or ID", line=lineno)
                if seqid not in genome.records:
                    unversioned = re.sub(r"\.\d+$", "", seqid)  # accession.version vs a GenBank LOCUS name
                    if unversioned not in genome.records:
                        raise InputError(path, f"sequence ID {seqid!r} is not in {genome.path}", line=lineno)
                    seqid = unversioned
                length = genome.records[seqid].length
                if end > (2 * length if seqid in circular_ids else length):
                    raise InputError(path, f"feature ends at {end}, past the end of {seqid} ({length} bp)",
                                     line=lineno, record=seqid)
                if strand_s not in "+-" or not strand_s:
                    raise InputError(path, f"{ftype} row has no strand ({strand_s!r})", line=lineno)
                strand = 1 if strand_s == "+" else -1
                for tid in parents:
                    prev = tx_info.get(tid)
                    if prev and (prev[0], prev[1]) != (seqid, strand):
                        raise InputError(path, f"transcript {tid!r} mixes records or strands", line=lineno)
                    tx_info[tid] = (seqid, strand, "")
                    if ftype in _UTR_TYPES:
                        utr[tid].append((start, end))
                    else:
                        ph = int(phase_s) if phase_s in ("0", "1", "2") and ftype == "CDS" else 0
                        cds[tid].append((start, end, ph))
                        if attrs.get("transl_table", "").isdigit():
                            tables[tid] = int(attrs["transl_table"])
        except UnicodeDecodeError:
            raise InputError(path, "not a text file") from None
    genes: dict[str, Gene] = {}
    for tid, rows in cds.items():
        seqid, strand, _ = tx_info[tid]
        gid = tid
        while gid in parent_of and parent_of[gid] != gid:
            gid = parent_of[gid]
        length = genome.records[seqid].length
        segs = wrapped(_merge(sorted((s, e) for s, e, _ in rows)), length)
        first_phase = min(rows, key=lambda r: r[0])[2] if strand == 1 else max(rows, key=lambda r: r[1])[2]
        if strand == -1:
            segs = segs[::-1]
        attr_p5, attr_p3 = partial_attr.get(tid, partial_attr.get(gid, (False, False)))
        if strand == -1:
            attr_p5, attr_p3 = attr_p3, attr_p5  # start_range / end_range are in forward coordinates
        tx = Transcript(
            id=tid, seqid=seqid, strand=strand, cds=tuple(segs),
            utr=tuple(sorted(utr.get(tid, ()))),
            partial5=attr_p5 or first_phase != 0, partial3=attr_p3, phase=first_phase, table=tables.get(tid, table),
            pseudo=tid in pseudo or gid in pseudo,
        )
        tx = _edge_partial(tx, genome, length)
        if gid not in genes:
            genes[gid] = Gene(gid, seqid, strand)
        genes[gid].transcripts.append(tx)
    return list(genes.values())


def _merge(segs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Join touching or overlapping rows (a GTF stop_codon row continues the last CDS row)."""
    out: list[tuple[int, int]] = []
    for s, e in segs:
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def _edge_partial(tx: Transcript, genome: Genome, length: int) -> Transcript:
    """GFF often marks no partiality; a CDS cut by the record end without start/stop is partial there."""
    starts, stops = codon_table(tx.table)
    seq = tx.spliced_sequence(lambda s, e: genome.fetch(tx.seqid, s, e))
    lo, hi = tx.start, tx.end
    at5 = lo < 3 if tx.strand == 1 else hi > length - 3
    at3 = hi > length - 3 if tx.strand == 1 else lo < 3
    p5 = tx.partial5 or (at5 and seq[:3] not in starts)
    p3 = tx.partial3 or (at3 and seq[-3:] not in stops)
    if p5 and not tx.partial5 and tx.phase == 0:
        # the reading frame is then anchored at the stop end
        phase = len(seq) % 3 if not p3 else 0
        return replace(tx, partial5=True, partial3=p3, phase=phase)
    return replace(tx, partial5=p5, partial3=p3)


# ---------------------------------------------------------------- checks

def check(genome: Genome, genes: list[Gene], *, all_isoforms: bool = False) -> list[Checked]:
    """Normalise (stop codon included) and check each transcript; the training isoform only unless asked."""
    out: list[Checked] = []
    for gene in genes:
        txs = gene.transcripts if all_isoforms else [gene.training_transcript()]
        for tx in txs:
            rec = genome.records[tx.seqid]

            def fetch(s: int, e: int, _r: str = tx.seqid) -> str:
                return genome.fetch(_r, s, e)

            tx2 = with_stop_added(tx, fetch, rec.length)
            out.append(Checked(gene, tx2, problems(tx2, rec.length, rec.circular, fetch)))
    _flag_spliced_overlaps(out)
    return out


def _flag_spliced_overlaps(checked: list[Checked]) -> None:
    """Same-strand genes that overlap where one has introns cannot share one label track."""
    by_track: dict[tuple[str, int], list[Checked]] = defaultdict(list)
    for c in checked:
        if c.valid:
            by_track[(c.transcript.seqid, c.transcript.strand)].append(c)
    for items in by_track.values():
        items.sort(key=lambda c: c.transcript.start)
        active: list[Checked] = []
        for c in items:
            active = [a for a in active if a.transcript.end > c.transcript.start]
            for a in active:
                if a.gene is c.gene:
                    continue
                if a.transcript.introns() or c.transcript.introns():
                    for x in (a, c):
                        if "overlaps a spliced gene on the same strand" not in x.reasons:
                            x.reasons.append("overlaps a spliced gene on the same strand")
            active.append(c)
