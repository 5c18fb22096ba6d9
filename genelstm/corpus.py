"""Training corpora of many genomes, stored once on disk and sampled fairly.

A split file (TSV: ``file``, ``clade``, ``role`` = train | val | test, optional ``table``) names the
genomes and which side of a leave-clade-out design each is on. Each genome is encoded once into a
cache folder as memory-mapped bytes -- one byte of sequence per base (code | soft-mask << 3) and one
label byte per base and strand (region | unknown << 3 | event bits << 4), 3 bytes per base in all --
so training reads windows from the page cache and its RAM does not grow with the corpus.

Record IDs are namespaced by genome (``Streptococcus_pyogenes:NC_002737``): two drafts that both
call a contig ``contig_1`` never collide. Sampling weights give every clade half of its share by
clade and half by genome count, and inside a genome follow record length, so a 5 Mb genome does not
drown a 0.5 Mb one.
"""
from __future__ import annotations

import csv
import json
import logging
import multiprocessing
import os
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .annotation import load
from .atomic import atomic_path
from .errors import InputError
from .labels import labels_by_record

log = logging.getLogger(__name__)

ROLES = ("train", "val", "test")
CACHE_VERSION = 1


@dataclass(frozen=True)
class Entry:
    """One genome of a split file."""

    file: str
    clade: str
    role: str
    table: int = 11

    @property
    def name(self) -> str:
        """A short, stable genome name: the file name without its extensions."""
        base = os.path.basename(self.file)
        for ext in (".gz", ".gbk", ".gbff", ".gb", ".embl", ".fa", ".fasta", ".fna"):
            if base.endswith(ext):
                base = base[: -len(ext)]
        return base


def read_split(path: str | Path) -> list[Entry]:
    """Entries of a split file; a genus must sit on one side only (checked by the first word of the name)."""
    path = Path(path)
    try:
        with open(path, newline="") as fh:
            rows = [r for r in csv.DictReader((ln for ln in fh if not ln.startswith("#")), delimiter="\t")]
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    out = []
    for i, r in enumerate(rows, start=2):
        if not r.get("file") or not r.get("clade") or r.get("role") not in ROLES:
            raise InputError(path, f"line {i}: need file, clade and role ({'|'.join(ROLES)})")
        out.append(Entry(r["file"], r["clade"], r["role"], int(r.get("table") or 11)))
    sides: dict[str, set[str]] = {}
    for e in out:
        sides.setdefault(e.name.split("_")[0], set()).add(e.role)
    mixed = sorted(g for g, s in sides.items() if len(s) > 1)
    if mixed:
        raise InputError(path, f"genus on more than one side of the split: {', '.join(mixed)}")
    return out


class StoredTrack:
    """One record of a cached genome: the same ``window`` interface as an in-memory ``dataset.Tracks``."""

    def __init__(self, record: str, seq: np.ndarray, lab: np.ndarray, weight: float) -> None:
        self.record, self._seq, self._lab, self.weight = record, seq, lab, weight

    @property
    def length(self) -> int:
        return len(self._seq)

    def window(self, start: int, end: int) -> tuple[np.ndarray, ...]:
        """(codes, soft, region (2,n), events (2,n), mask (2,n)) of bases [start, end)."""
        s = np.asarray(self._seq[start:end])
        lab = np.asarray(self._lab[:, start:end])
        return s & 7, (s >> 3).astype(bool), lab & 7, lab >> 4, ((lab >> 3) & 1).astype(bool)


def pack(codes: np.ndarray, soft: np.ndarray, region: np.ndarray, events: np.ndarray, mask: np.ndarray
         ) -> tuple[np.ndarray, np.ndarray]:
    """The two byte arrays stored per record (see the module docstring)."""
    seq = (codes.astype(np.uint8) | (soft.astype(np.uint8) << 3)).astype(np.uint8)
    lab = (region.astype(np.uint8) | (mask.astype(np.uint8) << 3) | (events.astype(np.uint8) << 4)).astype(np.uint8)
    return seq, lab


def _cached(entry: Entry, data_dir: str | Path, cache_dir: str | Path) -> tuple[Path, dict, bool]:
    """(folder, stamp of the source file, whether the folder holds an up-to-date copy)."""
    src = Path(data_dir) / entry.file
    if not src.exists():
        raise InputError(src, "no such file (named in the split file)")
    folder = Path(cache_dir) / entry.name
    index = folder / "index.json"
    stamp = {"version": CACHE_VERSION, "source": str(src.resolve()), "size": src.stat().st_size,
             "mtime": int(src.stat().st_mtime)}
    if index.exists():
        try:
            return folder, stamp, json.loads(index.read_text()).get("stamp") == stamp
        except json.JSONDecodeError:
            pass
    return folder, stamp, False


def cache_genome(entry: Entry, data_dir: str | Path, cache_dir: str | Path) -> Path:
    """Encode one genome into ``cache_dir/<name>/`` unless an up-to-date copy is there; returns the folder."""
    folder, stamp, fresh = _cached(entry, data_dir, cache_dir)
    if fresh:
        return folder
    src = Path(data_dir) / entry.file
    index = folder / "index.json"
    folder.mkdir(parents=True, exist_ok=True)
    ag = load(src)
    labs = labels_by_record(ag.checked, ag.genome)
    recs = []
    for rec in ag.genome:
        codes, soft = ag.genome.encode(rec.id)
        lab = labs[rec.id]
        seq, lab_b = pack(codes, soft, lab.region, lab.events, lab.mask)
        for suffix, arr in ((".seq", seq), (".lab", lab_b)):
            with atomic_path(folder / f"{_safe(rec.id)}{suffix}") as tmp:
                arr.tofile(tmp)
        recs.append({"id": rec.id, "file": _safe(rec.id), "length": rec.length})
    valid = sum(1 for c in ag.checked if c.valid)
    info = {"stamp": stamp, "records": recs, "genes_valid": valid, "genes_masked": len(ag.checked) - valid,
            "bases": sum(r["length"] for r in recs)}
    with atomic_path(index) as tmp:
        Path(tmp).write_text(json.dumps(info, indent=1))
    log.info("cached %s: %d records, %d bases, %d valid genes", entry.name, len(recs), info["bases"], valid)
    return folder


def _safe(record: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in record)


def genome_weights(entries: list[Entry]) -> dict[str, float]:
    """Sampling weight per genome (sums to 1): half shared equally by clades, half equally by genomes."""
    per_clade = Counter(e.clade for e in entries)
    n_clades, n = len(per_clade), len(entries)
    return {e.name: 0.5 / (n_clades * per_clade[e.clade]) + 0.5 / n for e in entries}


def cache_all(entries: list[Entry], data_dir: str | Path, cache_dir: str | Path, *, workers: int | None = None) -> None:
    """Encode every genome not cached yet, several at a time: parsing GenBank is the slow part, and a
    corpus of hundreds of genomes should not wait for one core."""
    todo = [e for e in entries if not _cached(e, data_dir, cache_dir)[2]]
    workers = min(len(todo), workers or os.cpu_count() or 1)
    if workers <= 1:
        for e in todo:
            cache_genome(e, data_dir, cache_dir)
        return
    log.info("caching %d genomes with %d processes", len(todo), workers)
    # fork where there is one: the workers only parse files (no torch), and a spawned worker would need
    # an importable __main__, which `python -` or a notebook does not have
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    with ProcessPoolExecutor(workers, mp_context=ctx) as pool:
        for _ in pool.map(cache_genome, todo, [data_dir] * len(todo), [cache_dir] * len(todo)):
            pass


def stored_tracks(entries: list[Entry], data_dir: str | Path, cache_dir: str | Path) -> tuple[list[StoredTrack], list[dict]]:
    """Memory-mapped tracks of every entry (caching on first use) and a per-genome summary."""
    weights = genome_weights(entries)
    cache_all(entries, data_dir, cache_dir)
    tracks: list[StoredTrack] = []
    summary = []
    for e in entries:
        folder = cache_genome(e, data_dir, cache_dir)
        info = json.loads((folder / "index.json").read_text())
        total = max(info["bases"], 1)
        for r in info["records"]:
            n = r["length"]
            seq = np.memmap(folder / f"{r['file']}.seq", np.uint8, "r", shape=(n,))
            lab = np.memmap(folder / f"{r['file']}.lab", np.uint8, "r", shape=(2, n))
            tracks.append(StoredTrack(f"{e.name}:{r['id']}", seq, lab, weights[e.name] * n / total))
        summary.append({"genome": e.name, "clade": e.clade, "role": e.role, "records": len(info["records"]),
                        "bases": info["bases"], "genes_valid": info["genes_valid"],
                        "genes_masked": info["genes_masked"], "weight": round(weights[e.name], 5)})
    return tracks, summary
