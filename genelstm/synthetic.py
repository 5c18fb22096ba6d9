"""Synthetic genomes with planted genes at known places, for exact tests.

Intergenic DNA is uniform random; genes are ATG + stop-free codons + a stop, optionally split
by GT...AG introns, on either strand, never overlapping. Everything is derived from the seed.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from .alphabet import codon_table, reverse_complement
from .genemodel import Transcript
from .gff3 import write_gff3
from .sequence import Record


@dataclass
class SyntheticGenome:
    sequences: dict[str, str]
    transcripts: list[Transcript]

    @property
    def records(self) -> list[Record]:
        return [Record(k, len(v)) for k, v in self.sequences.items()]

    def write(self, fasta: str | Path, gff3: str | Path | None = None, *, width: int = 60) -> None:
        with open(fasta, "w") as fh:
            for rid, seq in self.sequences.items():
                fh.write(f">{rid}\n")
                for i in range(0, len(seq), width):
                    fh.write(seq[i : i + width] + "\n")
        if gff3 is not None:
            with open(gff3, "w") as fh:
                write_gff3(fh, self.records, self.transcripts, source="synthetic")


def make(seed: int = 0, *, records: int = 2, length: int = 6000, genes_per_record: int = 4,
         introns: bool = False, both_strands: bool = True, table: int = 11) -> SyntheticGenome:
    """A genome of ``records`` records of ``length`` bases with planted, non-overlapping genes."""
    rng = random.Random(seed)
    _, stops = codon_table(table)
    sense = [a + b + c for a in "ACGT" for b in "ACGT" for c in "ACGT" if a + b + c not in stops]
    stop_list = sorted(stops)
    seqs: dict[str, str] = {}
    txs: list[Transcript] = []
    for r in range(records):
        rid = f"synth{r + 1}"
        seq = [rng.choice("ACGT") for _ in range(length)]
        slot = length // genes_per_record
        for g in range(genes_per_record):
            lo = g * slot + rng.randint(20, 60)
            n_codons = rng.randint(60, (slot - 150) // 3 // (2 if introns else 1))
            coding = "ATG" + "".join(rng.choice(sense) for _ in range(n_codons - 2)) + rng.choice(stop_list)
            cuts: list[int] = []
            if introns:
                k = rng.randint(1, 2)
                cuts = sorted(rng.sample(range(10, len(coding) - 10), k))
            exons = [coding[a:b] for a, b in zip([0] + cuts, cuts + [len(coding)])]
            gene = []
            for i, ex in enumerate(exons):
                gene.append(ex)
                if i < len(exons) - 1:
                    gene.append("GT" + "".join(rng.choice("ACGT") for _ in range(rng.randint(40, 80))) + "AG")
            gene_seq = "".join(gene)
            if lo + len(gene_seq) > (g + 1) * slot - 10:
                continue
            strand = -1 if both_strands and rng.random() < 0.5 else 1
            seq[lo : lo + len(gene_seq)] = gene_seq if strand == 1 else reverse_complement(gene_seq)
            segs, pos = [], lo
            for i, part in enumerate(gene):
                if i % 2 == 0:
                    segs.append((pos, pos + len(part)))
                pos += len(part)
            if strand == -1:
                end = lo + len(gene_seq)
                segs = [(lo + end - e, lo + end - s) for s, e in segs][::-1]
                segs = sorted(segs, reverse=True)
            txs.append(Transcript(id=f"{rid}_g{g + 1}", seqid=rid, strand=strand, cds=tuple(segs), table=table))
        seqs[rid] = "".join(seq)
    return SyntheticGenome(seqs, txs)
