"""The internal gene model: gene -> transcript -> ordered CDS segments.

Coordinates are 0-based, half-open, on the forward strand of the record. Segments are kept
in transcription order (descending for the minus strand), so a CDS that spans the origin of a
circular record is simply two segments, e.g. [(3980, 5386), (0, 136)]. The CDS always includes
the stop codon when it is annotated as complete; readers add it where a file leaves it out.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

from .alphabet import codon_table, reverse_complement

Strand = Literal[1, -1]


@dataclass(frozen=True)
class Transcript:
    """One coding isoform.

    ``partial5``/``partial3``: the CDS runs past the annotated start/stop (no start or no stop codon).
    ``phase``: bases before the first complete codon (non-zero only for 5'-partial CDS).
    """

    id: str
    seqid: str
    strand: Strand
    cds: tuple[tuple[int, int], ...]
    utr: tuple[tuple[int, int], ...] = ()
    partial5: bool = False
    partial3: bool = False
    phase: int = 0
    table: int = 11
    pseudo: bool = False
    trans_spliced: bool = False

    @property
    def cds_length(self) -> int:
        return sum(e - s for s, e in self.cds)

    @property
    def start(self) -> int:
        return min(s for s, _ in self.cds)

    @property
    def end(self) -> int:
        return max(e for _, e in self.cds)

    def introns(self) -> list[tuple[int, int]]:
        """Gaps between consecutive segments; a join across the origin of a circular record is not an intron."""
        out = []
        for (s1, e1), (s2, e2) in zip(self.cds, self.cds[1:]):
            if self.strand == 1:
                if s2 > e1:
                    out.append((e1, s2))
            elif s1 > e2:
                out.append((e2, s1))
        return out

    def spliced_sequence(self, fetch) -> str:
        """CDS sequence in transcription order; ``fetch(start, end)`` reads the record."""
        parts = [fetch(s, e) for s, e in self.cds]
        if self.strand == 1:
            return "".join(parts).upper()
        return "".join(reverse_complement(p) for p in parts).upper()


@dataclass
class Gene:
    id: str
    seqid: str
    strand: Strand
    transcripts: list[Transcript] = field(default_factory=list)

    def training_transcript(self) -> Transcript:
        """The isoform used for labels: the longest CDS (first listed on ties), as Helixer and AUGUSTUS training do."""
        return max(self.transcripts, key=lambda t: t.cds_length)


def problems(tx: Transcript, record_length: int, circular: bool, fetch) -> list[str]:
    """Why a transcript cannot be trusted as a training label; empty when it agrees with the sequence.

    The reasons are the ones users see in reports, so they are short and fixed.
    """
    if tx.pseudo:
        return ["pseudogene"]
    if tx.trans_spliced:
        return ["trans-spliced"]
    if not tx.cds:
        return ["no CDS"]
    for s, e in tx.cds:
        if s < 0 or e > record_length or s >= e:
            return ["segment outside record"]
    if not _ordered(tx, record_length, circular):
        return ["segments overlap or out of order"]
    if _open_end_inside(tx, record_length):
        return ["open end inside the record"]
    seq = tx.spliced_sequence(fetch)
    if set(seq) - set("ACGT"):
        return ["ambiguous bases in CDS"]
    starts, stops = codon_table(tx.table)
    body = seq[tx.phase :] if tx.partial5 else seq
    out = []
    if not tx.partial3 and len(body) % 3:
        out.append("length not a multiple of 3")
    if not tx.partial5 and seq[:3] not in starts:
        out.append("bad start codon")
    if not tx.partial3 and len(body) % 3 == 0 and body[-3:] not in stops:
        out.append("no stop codon")
    n_inner = len(body) // 3 - (0 if tx.partial3 else 1)
    if any(body[3 * i : 3 * i + 3] in stops for i in range(n_inner)):
        out.append("internal stop codon")
    return out


def _open_end_inside(tx: Transcript, record_length: int) -> bool:
    """A partial CDS must be cut by the record end; an open end before it contradicts the sequence."""
    first, last = tx.cds[0], tx.cds[-1]
    if tx.strand == 1:
        return (tx.partial5 and first[0] != 0) or (tx.partial3 and last[1] != record_length)
    return (tx.partial5 and first[1] != record_length) or (tx.partial3 and last[0] != 0)


def _ordered(tx: Transcript, record_length: int, circular: bool) -> bool:
    """Segments follow each other along the strand, allowing one wrap across a circular origin."""
    wraps = 0
    for (s1, e1), (s2, e2) in zip(tx.cds, tx.cds[1:]):
        forward = s2 > e1 if tx.strand == 1 else e2 < s1
        if forward:
            continue
        if circular and _across_origin(tx.strand, (s1, e1), (s2, e2), record_length) and wraps == 0:
            wraps += 1
            continue
        return False
    return True


def _across_origin(strand: int, prev: tuple[int, int], cur: tuple[int, int], length: int | None) -> bool:
    """Whether two consecutive segments (transcription order) are joined across a circular origin."""
    if not length:
        return False
    return (prev[1] == length and cur[0] == 0) if strand == 1 else (prev[0] == 0 and cur[1] == length)


def unwrapped(tx: Transcript, length: int | None) -> list[tuple[int, int]]:
    """CDS segments in transcription order with the part past a circular origin moved on by the record
    length: [(3980, 5386), (0, 136)] (plus strand) becomes [(3980, 5386), (5386, 5522)], and
    [(0, 136), (3980, 5386)] (minus strand, read from 136 down) becomes [(5386, 5522), (3980, 5386)]."""
    segs = list(tx.cds)
    for i in range(1, len(segs)):
        if _across_origin(tx.strand, segs[i - 1], segs[i], length):
            if tx.strand == 1:
                return segs[:i] + [(a + length, b + length) for a, b in segs[i:]]
            return [(a + length, b + length) for a, b in segs[:i]] + segs[i:]
    return segs


def wrapped(segs: list[tuple[int, int]], length: int) -> list[tuple[int, int]]:
    """The inverse of ``unwrapped`` for segments in ascending order that may run past the record's end:
    the part past the origin becomes a segment from 0, after the others (reverse for minus strand)."""
    out: list[tuple[int, int]] = []
    for s, e in segs:
        if e <= length:
            out.append((s, e))
        elif s >= length:
            out.append((s - length, e - length))
        else:
            out += [(s, length), (0, e - length)]
    return out


def with_stop_added(tx: Transcript, fetch, record_length: int) -> Transcript:
    """The transcript with the 3 bases after its last segment appended, when those bases are a stop.

    Files disagree on whether the CDS includes the stop codon (GenBank and SGD do, GTF and the
    AUGUSTUS tutorial do not); a complete CDS that does not end in a stop but is followed by
    one is extended, so every gene model means the same thing inside genelstm.
    """
    if tx.partial3 or not tx.cds:
        return tx
    _, stops = codon_table(tx.table)
    seq = tx.spliced_sequence(fetch)
    body = seq[tx.phase:] if tx.partial5 else seq
    if len(body) % 3 == 0 and body[-3:] in stops:
        return tx
    s, e = tx.cds[-1]
    if tx.strand == 1:
        if e + 3 > record_length:
            return tx
        nxt = fetch(e, e + 3).upper()
        new_last = (s, e + 3)
    else:
        if s - 3 < 0:
            return tx
        nxt = reverse_complement(fetch(s - 3, s)).upper()
        new_last = (s - 3, e)
    if nxt in stops and len(body) % 3 == 0:
        return replace(tx, cds=tx.cds[:-1] + (new_last,))
    return tx
