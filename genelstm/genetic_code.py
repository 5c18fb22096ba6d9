"""Which genetic code a prokaryote input uses: the standard bacterial code (table 11) or the Mycoplasma /
Spiroplasma code (table 4, where TGA is tryptophan, not a stop).

Decoded with the wrong code, a Mycoplasma genome loses most of its genes -- every TGA ends one, so they come out
as fragments (Mycoplasma mycoides: stop-exact F1 0.35 under table 11, 0.92 under table 4) -- and nothing in the
output says why. The code shows in the open reading frames themselves: in a genome that reads TGA as
tryptophan, its genes are long stretches free of TAA and TAG but not of TGA, so reading TGA as a stop cuts the
genome's cover by long open frames to a fraction; in a table-11 genome, TGA ends genes and reading it through
barely changes that cover. Prodigal's newer releases likewise try 11, then 4. numpy only.
"""
from __future__ import annotations

import numpy as np

from .alphabet import encode, reverse_complement_codes
from .decode import _codon_ids, _is_codon

#: an open frame this long (bases, stop to stop) is counted as long
LONG_ORF = 600
#: table 4 is chosen where reading TGA through raises the cover by long open frames this many times: the 19
#: table-11 genomes of the training and validation split measure 1.01-1.15, the three table-4 ones 1.97-2.87
#: (benchmarks/genetic_code.py)
RATIO = 1.5
#: ... and only where the genome then lies mostly in long open frames, as genes of either code do (table-4
#: Mycoplasmas 0.80-0.84, table-11 genomes 0.75-1.0): in DNA with few genes (a Drosophila region: 0.20 -> 0.33,
#: ratio 1.72) reading TGA through lengthens random open frames by itself
MIN_COVER = 0.6
#: bases of the input read (records in order; a longer first record is read this far)
SAMPLE = 1_000_000
#: a choice is flagged as unsure where the ratio is at least UNSURE_RATIO without being a clear table 4 (a ratio
#: of SURE_RATIO or more and the cover MIN_COVER): whole genomes lie far from these (table 11 at most 1.15, the
#: Mycoplasmas 1.97-2.87); on 20-kb pieces of them 16 of the 17 wrong choices are flagged and 2.6% of the right
#: ones, on 50-kb pieces 2 of 2 and 1.1% (benchmarks/genetic_code.py --pieces)
UNSURE_RATIO, SURE_RATIO = 1.3, 1.8
#: inputs too small for the long-frame rule (plasmids, phages, contigs under 20 kb) are decoded under both codes
#: and read as table 4 where that raises their genes' total score (above the threshold) by more than this share:
#: a table-11 input scores alike either way (TGA ends few of its genes), a table-4 one loses its genes to TGA
#: under 11 (benchmarks/genetic_code.py --decoded)
SMALL_MARGIN = 0.03


def long_orf_cover(codes: np.ndarray, stops: frozenset[str], min_length: int = LONG_ORF) -> float:
    """Share of the bases of ``codes`` inside an open frame of at least ``min_length`` bases (from one in-frame
    stop codon of ``stops`` to the next, or to a sequence end) on either strand, in any frame."""
    n = len(codes)
    if n == 0:
        return 0.0
    covered = np.zeros(n + 1, np.int32)  # +1 at each long frame's first base, -1 past its last
    for c, reverse in ((codes, False), (reverse_complement_codes(codes), True)):
        is_stop = _is_codon(_codon_ids(c), stops)
        for f in range(3):
            bounds = np.concatenate([[f - 3], f + 3 * np.flatnonzero(is_stop[f::3]), [f + 3 * ((n - f) // 3)]])
            lo, hi = bounds[:-1] + 3, bounds[1:]  # the open stretch between two stops
            keep = hi - lo >= min_length
            lo, hi = np.maximum(lo[keep], 0), hi[keep]
            if reverse:
                lo, hi = n - hi, n - lo
            np.add.at(covered, lo, 1)
            np.add.at(covered, hi, -1)
    return float((np.cumsum(covered[:n]) > 0).mean())


def unsure(standard: float, read_through: float) -> bool:
    """Is the choice from these two covers (choose's) a close one, that a user should check with --table?"""
    ratio = read_through / max(standard, 1e-9)
    return ratio >= UNSURE_RATIO and not (ratio >= SURE_RATIO and read_through >= MIN_COVER)


def decoding_gain(score11: float, score4: float) -> float:
    """How much reading TGA through raises the total score of an input's genes (each above the decoder's
    threshold), decoded with TGA as a stop (``score11``) and read through (``score4``), as a share."""
    return (score4 - score11) / max(score11, score4, 1.0)


def by_decoding(score11: float, score4: float) -> int:
    """The table of an input too small for ``choose``, from its genes' total scores (see decoding_gain)."""
    return 4 if decoding_gain(score11, score4) > SMALL_MARGIN else 11


def choose(genome, records=None) -> tuple[int, float, float]:
    """(table, cover with TGA as a stop, cover with TGA read through) for a sequence.Genome (only ``records``,
    a set of record ids, where given), read up to SAMPLE bases in all (records in order): a sample is enough for
    a share, and keeps this cheap on any input."""
    standard, read_through = frozenset({"TAA", "TAG", "TGA"}), frozenset({"TAA", "TAG"})
    seen, cover = 0, np.zeros(2)
    for rec in (r for r in genome if records is None or r.id in records):
        if seen >= SAMPLE:
            break
        codes, _ = encode(genome.fetch(rec.id, 0, min(rec.length, SAMPLE - seen)))
        cover += len(codes) * np.array([long_orf_cover(codes, standard), long_orf_cover(codes, read_through)])
        seen += len(codes)
    if not seen:
        return 11, 0.0, 0.0
    c11, c4 = cover / seen
    return (4 if c4 >= RATIO * c11 and c4 >= MIN_COVER else 11), float(c11), float(c4)
