"""Fixed-length windows over records, and record-level train/validation splits.

Splits are by whole record so that no base is in both sets: related loci share genes, and
a split inside a record would leak them.
"""
from __future__ import annotations

import fnmatch
import hashlib
from dataclasses import dataclass
from typing import Iterable, Iterator


@dataclass(frozen=True)
class Window:
    record: str
    start: int
    end: int

    @property
    def length(self) -> int:
        return self.end - self.start


def windows(record: str, length: int, size: int, overlap: int = 0) -> Iterator[Window]:
    """Windows of ``size`` bases stepping by ``size - overlap``; the last one ends at the record end.

    Records shorter than ``size`` give one short window, so nothing is lost.
    """
    if size <= 0:
        raise ValueError(f"window size must be positive, got {size}")
    if not 0 <= overlap < size:
        raise ValueError(f"overlap must be in [0, {size}), got {overlap}")
    if length <= size:
        yield Window(record, 0, length)
        return
    step = size - overlap
    start = 0
    while True:
        if start + size >= length:
            yield Window(record, length - size, length)
            return
        yield Window(record, start, start + size)
        start += step


def _unit_interval(record: str, seed: int) -> float:
    """A stable pseudo-random number per record: independent of record order and of Python's hash seed."""
    h = hashlib.sha256(f"{seed}:{record}".encode()).digest()
    return int.from_bytes(h[:8], "big") / 2**64


def split_records(
    records: Iterable[str],
    *,
    val_records: Iterable[str] | None = None,
    val_pattern: str | None = None,
    val_fraction: float | None = None,
    seed: int = 0,
) -> tuple[list[str], list[str]]:
    """(train, validation) record IDs by an explicit list, a glob pattern, or a seeded fraction.

    Exactly one rule is used; the fraction rule gives the same answer for a record whatever
    else is in the list, so adding genomes never reshuffles earlier splits.
    """
    records = list(records)
    rules = [r is not None for r in (val_records, val_pattern, val_fraction)]
    if sum(rules) > 1:
        raise ValueError("give only one of val_records, val_pattern, val_fraction")
    if val_records is not None:
        wanted = set(val_records)
        unknown = wanted - set(records)
        if unknown:
            raise ValueError(f"validation records not found: {', '.join(sorted(unknown))}")
        is_val = [r in wanted for r in records]
    elif val_pattern is not None:
        is_val = [fnmatch.fnmatchcase(r, val_pattern) for r in records]
    elif val_fraction is not None:
        if not 0.0 <= val_fraction < 1.0:
            raise ValueError(f"val_fraction must be in [0, 1), got {val_fraction}")
        is_val = [_unit_interval(r, seed) < val_fraction for r in records]
    else:
        is_val = [False] * len(records)
    train = [r for r, v in zip(records, is_val) if not v]
    val = [r for r, v in zip(records, is_val) if v]
    return train, val
