"""Reading genomes: FASTA (plain, gzip, bgzip) with random access, and GenBank/EMBL records.

A genome is a set of named records; callers ask for slices, never whole chromosomes, so a
100 Mb contig is read from disk window by window (pyfaidx) rather than held as one string.
FASTA is checked in one streaming pass that also writes the index; compressed or ragged
FASTA is rewritten once into a cache folder as a plain, regularly wrapped copy.
"""
from __future__ import annotations

import gzip
import hashlib
import logging
import os
import warnings
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Iterator

import numpy as np
import pyfaidx

from .alphabet import AMBIGUOUS, encode
from .atomic import atomic_path, atomic_text
from .errors import InputError

log = logging.getLogger(__name__)
_DNA_BYTES = ("ACGT" + AMBIGUOUS + "acgt" + AMBIGUOUS.lower()).encode()
_WRAP = 60


@dataclass(frozen=True)
class Record:
    """A named sequence: its length and whether it is circular (origin-spanning genes allowed)."""

    id: str
    length: int
    circular: bool = False


class Genome:
    """Named DNA records with random access to slices.

    ``fetch`` returns the bases as written (case kept, ambiguity codes kept);
    ``encode`` returns codes over ACGTN plus the soft-mask flag.
    """

    path: Path
    records: dict[str, Record]

    def fetch(self, record: str, start: int = 0, end: int | None = None) -> str:
        raise NotImplementedError

    def encode(self, record: str, start: int = 0, end: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Codes (uint8, 0-4 over ACGTN) and soft mask (bool) of record[start:end]."""
        return encode(self.fetch(record, start, end))

    def _bounds(self, record: str, start: int, end: int | None) -> tuple[int, int]:
        try:
            length = self.records[record].length
        except KeyError:
            raise InputError(self.path, "no such record", record=record) from None
        end = length if end is None else end
        if not 0 <= start <= end <= length:
            raise InputError(self.path, f"slice {start}-{end} outside record of length {length}", record=record)
        return start, end

    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self) -> Iterator[Record]:
        return iter(self.records.values())


class ReverseComplemented(Genome):
    """The same records read from the other strand: what the network sees when the other strand was
    sequenced. Used to average the network with its own mirror image (``PredictOptions.rc_average``)."""

    def __init__(self, genome: Genome) -> None:
        self.path, self.records, self._g = genome.path, genome.records, genome

    def fetch(self, record: str, start: int = 0, end: int | None = None) -> str:
        from .alphabet import reverse_complement

        n = self.records[record].length
        end = n if end is None else end
        return reverse_complement(self._g.fetch(record, n - end, n - start))

    def encode(self, record: str, start: int = 0, end: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        from .alphabet import reverse_complement_codes

        n = self.records[record].length
        end = n if end is None else end
        codes, soft = self._g.encode(record, n - end, n - start)
        return reverse_complement_codes(codes), soft[::-1].copy()


class MemoryGenome(Genome):
    """Records held in memory: GenBank/EMBL files and synthetic genomes (small by nature)."""

    def __init__(self, path: str | Path, sequences: dict[str, str], circular: set[str] | None = None) -> None:
        self.path = Path(path)
        circular = circular or set()
        self._seqs = sequences
        self.records = {rid: Record(rid, len(s), rid in circular) for rid, s in sequences.items()}

    def fetch(self, record: str, start: int = 0, end: int | None = None) -> str:
        start, end = self._bounds(record, start, end)
        return self._seqs[record][start:end]


class FastaGenome(Genome):
    """An indexed FASTA file read through pyfaidx."""

    def __init__(self, path: str | Path, *, cache_dir: str | Path | None = None) -> None:
        self.path = Path(path)
        plain, index, records = _prepare(self.path, Path(cache_dir) if cache_dir else default_cache_dir())
        self.records = {r.id: r for r in records}
        self.plain_path = plain
        self._fasta = pyfaidx.Fasta(
            str(plain), indexname=str(index), as_raw=True, rebuild=False, sequence_always_upper=False
        )

    def fetch(self, record: str, start: int = 0, end: int | None = None) -> str:
        start, end = self._bounds(record, start, end)
        if start == end:
            return ""
        return self._fasta[record][start:end]

    def close(self) -> None:
        self._fasta.close()


def default_cache_dir() -> Path:
    """Where indexes and decompressed copies go when they cannot sit beside the input."""
    root = os.environ.get("GENELSTM_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache"), "genelstm"
    )
    return Path(root)


def _is_gzip(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def open_text(path: str | Path) -> IO[str]:
    """Open a possibly gzip/bgzip-compressed text file."""
    path = Path(path)
    if not path.exists():
        raise InputError(path, "no such file")
    if path.is_dir():
        raise InputError(path, "is a directory, not a file")
    if _is_gzip(path):
        return gzip.open(path, "rt", encoding="utf-8", errors="replace")
    return open(path, "rt", encoding="utf-8", errors="replace")


def sniff_format(path: str | Path) -> str:
    """'fasta', 'genbank', 'embl', 'gff3' or 'gtf', judged from the content, not the name."""
    try:
        with open_text(path) as fh:
            for line in fh:
                if line.strip():
                    break
            else:
                raise InputError(path, "file is empty")
    except (EOFError, OSError, zlib.error) as exc:
        raise InputError(path, f"cannot read file ({_describe(exc)})") from None
    if line.startswith(">"):
        return "fasta"
    if line.startswith("LOCUS"):
        return "genbank"
    if line.startswith("ID   "):
        return "embl"
    if line.startswith("##gff-version") or str(path).lower().rstrip(".gz").endswith((".gff", ".gff3")):
        return "gff3"
    if str(path).lower().removesuffix(".gz").endswith(".gtf"):
        return "gtf"
    if line.count("\t") >= 8:
        return "gtf" if 'gene_id "' in line else "gff3"
    return "unknown"


def _describe(exc: BaseException) -> str:
    if isinstance(exc, EOFError):
        return "truncated compressed file"
    if isinstance(exc, (zlib.error, gzip.BadGzipFile)):
        return f"corrupt compressed data: {exc}"
    return str(exc)


def _cache_key(path: Path) -> str:
    st = path.stat()
    return hashlib.sha1(f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}".encode()).hexdigest()[:16]


def _writable_dir(d: Path) -> bool:
    return os.access(d, os.W_OK)


def _prepare(path: Path, cache: Path) -> tuple[Path, Path, list[Record]]:
    """Validate a FASTA file and return (plain file, its .fai index, records).

    A plain, regularly wrapped file is used in place with an index beside it (or in the
    cache when its folder is read-only); anything else is rewritten once into the cache.
    """
    if not path.exists():
        raise InputError(path, "no such file")
    if path.is_dir():
        raise InputError(path, "is a directory, not a file")
    compressed = _is_gzip(path)
    key = _cache_key(path)
    if not compressed:
        records, regular = _scan(path, open(path, "rb"), sink=None)
        if regular:
            index = Path(str(path) + ".fai")
            if not _writable_dir(path.parent) or (index.exists() and not os.access(index, os.W_OK)):
                cache.mkdir(parents=True, exist_ok=True)
                index = cache / f"{key}.fai"
            _write_fai(index, records)
            return path, index, [r for r, _ in records]
    cache.mkdir(parents=True, exist_ok=True)
    plain = cache / f"{key}.fa"
    index = cache / f"{key}.fa.fai"
    if plain.exists() and index.exists():
        return plain, index, _read_fai(index)
    with atomic_path(plain) as tmp, open(tmp, "wb") as out:
        src = gzip.open(path, "rb") if compressed else open(path, "rb")
        records, _ = _scan(path, src, sink=out)
    _write_fai(index, records)
    return plain, index, [r for r, _ in records]


def _scan(path: Path, src: IO[bytes], sink: IO[bytes] | None) -> tuple[list[tuple[Record, tuple[int, int, int]]], bool]:
    """One pass over FASTA bytes: check them, measure records, optionally write a wrapped copy.

    Returns [(record, (offset, line_bases, line_width))] for the file that will be indexed
    (the copy when ``sink`` is given) and whether the original lines were regular.
    """
    records: list[tuple[Record, tuple[int, int, int]]] = []
    seen: dict[str, int] = {}
    regular = True
    offset = 0  # byte offset in the source (plain files) or in the copy
    name: str | None = None
    rec_offset = rec_len = line_bases = line_width = 0
    short_line_seen = False
    pending = b""  # bases not yet written to the sink (less than one wrapped line)
    lineno = 0

    def finish() -> None:
        nonlocal pending, offset
        if name is None:
            return
        if rec_len == 0:
            raise InputError(path, "record has no sequence", record=name, line=header_line)
        if sink is not None:
            if pending:
                sink.write(pending + b"\n")
                offset += len(pending) + 1
                pending = b""
            records.append((Record(name, rec_len), (rec_offset, _WRAP, _WRAP + 1)))
        else:
            records.append((Record(name, rec_len), (rec_offset, line_bases or rec_len, line_width or rec_len + 1)))

    header_line = 0
    try:
        with src:
            for raw in src:
                lineno += 1
                line = raw.rstrip(b"\r\n")
                if raw.startswith(b">"):
                    finish()
                    header = line[1:].decode("utf-8", "replace").strip()
                    if not header:
                        raise InputError(path, "empty record name", line=lineno)
                    name = header.split()[0]
                    if name in seen:
                        raise InputError(
                            path, f"duplicate record ID (first seen on line {seen[name]})", record=name, line=lineno
                        )
                    seen[name] = lineno
                    header_line = lineno
                    rec_len = line_bases = line_width = 0
                    short_line_seen = False
                    if sink is not None:
                        hdr = b">" + name.encode() + b"\n"
                        sink.write(hdr)
                        offset += len(hdr)
                    else:
                        offset += len(raw)
                    rec_offset = offset
                    continue
                if name is None:
                    if not line.strip():
                        offset += len(raw)
                        continue
                    raise InputError(path, "not a FASTA file (expected a '>' header line)", line=lineno)
                seq = b"".join(line.split())
                bad = seq.translate(None, _DNA_BYTES)
                if bad:
                    col = next(i for i, b in enumerate(seq) if b not in _DNA_BYTES)
                    raise InputError(
                        path,
                        f"invalid character {chr(seq[col])!r} in sequence",
                        record=name,
                        line=lineno,
                        position=rec_len + col + 1,
                    )
                if sink is None:
                    # indexable in place: no blanks or spaces inside records, all lines
                    # but the last of each record of one length and one byte width
                    if seq != line or not seq:
                        regular = False
                    elif line_bases == 0:
                        line_bases, line_width = len(seq), len(raw)
                    elif short_line_seen or len(seq) > line_bases:
                        regular = False
                    elif len(seq) < line_bases:
                        short_line_seen = True
                    elif len(raw) != line_width:
                        regular = False
                    offset += len(raw)
                else:
                    pending += seq
                    while len(pending) >= _WRAP:
                        sink.write(pending[:_WRAP] + b"\n")
                        pending = pending[_WRAP:]
                        offset += _WRAP + 1
                rec_len += len(seq)
            finish()
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise InputError(path, _describe(exc), record=name, line=lineno or None) from None
    if not records:
        raise InputError(path, "no FASTA records found (empty file?)")
    return records, regular


def _write_fai(index: Path, records: list[tuple[Record, tuple[int, int, int]]]) -> None:
    with atomic_text(index) as fh:
        for rec, (off, lb, lw) in records:
            fh.write(f"{rec.id}\t{rec.length}\t{off}\t{lb}\t{lw}\n")


def _read_fai(index: Path) -> list[Record]:
    with open(index) as fh:
        return [Record(f[0], int(f[1])) for f in (line.split("\t") for line in fh) if f and f[0]]


def read_sequences(path: str | Path) -> Genome:
    """The records of a genome file without its annotation: what predict, score and adapt need.

    GenBank files are scanned for their LOCUS lines and ORIGIN blocks only: Biopython's parser also
    builds every feature, which is most of its time (0.7 s of a 3.4 Mb draft with 3,300 genes, against
    0.1 s here). A file this scan does not fully recognise is read by Biopython instead, so names,
    bases, topology and error messages are the same either way."""
    fmt = sniff_format(path)
    if fmt == "fasta":
        return FastaGenome(path)
    if fmt == "genbank":
        fast = _genbank_sequences(path)
        if fast is not None:
            return fast
    if fmt in ("genbank", "embl"):
        return read_genbank(path)[0]
    raise InputError(path, f"not a FASTA, GenBank or EMBL file (looks like {fmt})")


_NOT_BASES = str.maketrans("", "", "0123456789 \t\r\n")


def _genbank_sequences(path: str | Path) -> MemoryGenome | None:
    """Records of a GenBank file from LOCUS and ORIGIN alone, or None for anything unusual (a LOCUS line
    without name and length in bp, a record without ORIGIN, a repeated name, a length that differs from
    the LOCUS line's, a character that is not a base): read_genbank handles those."""
    seqs: dict[str, str] = {}
    circular: set[str] = set()
    name, declared, chunks = None, 0, None
    try:
        with open_text(path) as fh:
            for line in fh:
                if chunks is not None:  # inside an ORIGIN block
                    if not line.startswith("//"):
                        chunks.append(line.translate(_NOT_BASES))
                        continue
                    seq = "".join(chunks).upper()
                    if not seq or len(seq) != declared or name in seqs:
                        return None
                    encode(seq)  # raises on a character that is not a base
                    seqs[name] = seq
                    name, chunks = None, None
                elif line.startswith("LOCUS"):
                    f = line.split()
                    if name is not None or len(f) < 4 or not f[2].isdigit() or f[3] != "bp":
                        return None
                    name, declared = f[1], int(f[2])
                    if "circular" in f[4:]:
                        circular.add(name)
                elif line.startswith("ORIGIN"):
                    if name is None:
                        return None
                    chunks = []
                elif line.startswith("//"):
                    return None  # a record without ORIGIN
    except (OSError, EOFError, ValueError, zlib.error, gzip.BadGzipFile):
        return None
    if name is not None or not seqs:
        return None
    return MemoryGenome(path, seqs, circular)


def read_genbank(path: str | Path) -> tuple[MemoryGenome, list]:
    """Parse a GenBank or EMBL file: (genome, Biopython SeqRecords) for the annotation reader."""
    from Bio import BiopythonParserWarning, SeqIO

    fmt = sniff_format(path)
    if fmt not in ("genbank", "embl"):
        raise InputError(path, f"expected GenBank or EMBL, found {fmt}")
    seqs: dict[str, str] = {}
    circular: set[str] = set()
    recs = []
    try:
        with open_text(path) as fh, warnings.catch_warnings():
            warnings.simplefilter("ignore", BiopythonParserWarning)
            for rec in SeqIO.parse(fh, fmt):
                rid = rec.name if rec.name and rec.name != "<unknown name>" else rec.id
                if rid in seqs:
                    # the annotation travels with the sequence, so a renamed record stays unambiguous
                    # (kaptive ships two different KR007673 records); FASTA duplicates stay an error
                    new = next(f"{rid}_{i}" for i in range(2, 10**6) if f"{rid}_{i}" not in seqs)
                    log.warning("%s: duplicate record name %r renamed to %r", path, rid, new)
                    rid = new
                try:
                    seq = str(rec.seq)
                except Exception:  # Biopython's UndefinedSequenceError for records without ORIGIN
                    raise InputError(path, "record has no sequence", record=rid) from None
                if rec.seq is None or not seq:
                    raise InputError(path, "record has no sequence", record=rid)
                try:
                    encode(seq)
                except ValueError as exc:
                    raise InputError(path, str(exc), record=rid) from None
                seqs[rid] = seq
                if rec.annotations.get("topology") == "circular":
                    circular.add(rid)
                recs.append((rid, rec))
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise InputError(path, _describe(exc)) from None
    except ValueError as exc:  # Biopython's parse errors
        raise InputError(path, f"cannot parse {fmt}: {exc}") from None
    if not seqs:
        raise InputError(path, f"no {fmt} records found")
    return MemoryGenome(path, seqs, circular), recs
