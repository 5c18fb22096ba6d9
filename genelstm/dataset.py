"""Tracks (sequence + labels per record) and the batches cut from them for training and validation.

A record's tracks are held as compact numpy arrays (8 bytes per base), or memory-mapped from a corpus
cache (``corpus.StoredTrack``, 3 bytes per base on disk); windows are cut on demand through ``window``.
Reverse-complementing a window swaps the two label tracks, which doubles the training data for free.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .alphabet import N_CODE, reverse_complement_codes
from .annotation import AnnotatedGenome
from .labels import EVENTS, labels_by_record


@dataclass
class Tracks:
    record: str
    codes: np.ndarray  # (L,) uint8
    soft: np.ndarray  # (L,) bool
    region: np.ndarray  # (2, L) uint8
    events: np.ndarray  # (2, L) uint8 bit flags
    mask: np.ndarray  # (2, L) bool: True = unknown

    @property
    def length(self) -> int:
        return len(self.codes)

    @property
    def weight(self) -> float:
        """Sampling weight: in-memory records are drawn in proportion to their length."""
        return float(self.length)

    def window(self, start: int, end: int) -> tuple[np.ndarray, ...]:
        """(codes, soft, region, events, mask) of bases [start, end): the interface ``cut`` reads."""
        return (self.codes[start:end], self.soft[start:end], self.region[:, start:end],
                self.events[:, start:end], self.mask[:, start:end])


def tracks_of(ag: AnnotatedGenome, *, annotated: bool = True) -> list[Tracks]:
    """Tracks for every record; without an annotation every label is unknown (language modelling only)."""
    labs = labels_by_record(ag.checked, ag.genome)
    out = []
    for rec in ag.genome:
        codes, soft = ag.genome.encode(rec.id)
        lab = labs[rec.id]
        mask = lab.mask if annotated else np.ones_like(lab.mask)
        out.append(Tracks(rec.id, codes, soft, lab.region, lab.events, mask))
    return out


@dataclass
class Batch:
    codes: torch.Tensor  # (B, W) long
    soft: torch.Tensor  # (B, W) bool
    region: torch.Tensor  # (B, 2, W) long
    events: torch.Tensor  # (B, 2, E, W) float
    mask: torch.Tensor  # (B, 2, W) bool, True = unknown

    def to(self, device: torch.device, *, pin: bool = False) -> "Batch":
        """On ``device``; ``pin``: through page-locked memory, copied without blocking the host (CUDA)."""
        ts = (self.codes, self.soft, self.region, self.events, self.mask)
        if pin:
            return Batch(*(t.pin_memory().to(device, non_blocking=True) for t in ts))
        return Batch(*(t.to(device) for t in ts))

    @property
    def bases(self) -> int:
        return int((self.codes != N_CODE).sum())


def cut(tracks: list, picks: list[tuple[int, int, bool]], width: int) -> Batch:
    """Windows (track index, start, reverse-complement?) of ``width`` bases, padded with N/unknown."""
    b = len(picks)
    codes = np.full((b, width), N_CODE, np.uint8)
    soft = np.zeros((b, width), bool)
    region = np.zeros((b, 2, width), np.uint8)
    events = np.zeros((b, 2, width), np.uint8)
    mask = np.ones((b, 2, width), bool)
    for i, (ti, start, flip) in enumerate(picks):
        t = tracks[ti]
        end = min(start + width, t.length)
        n = end - start
        c, s, r, e, m = t.window(start, end)
        if flip:
            c, s = reverse_complement_codes(c), s[::-1]
            r, e, m = r[::-1, ::-1], e[::-1, ::-1], m[::-1, ::-1]
        codes[i, :n], soft[i, :n], region[i, :, :n], events[i, :, :n], mask[i, :, :n] = c, s, r, e, m
    bits = np.array([1 << k for k in range(len(EVENTS))], np.uint8)
    ev = (events[:, :, None, :] & bits[None, None, :, None]) > 0
    return Batch(torch.from_numpy(codes).long(), torch.from_numpy(soft), torch.from_numpy(region).long(),
                 torch.from_numpy(ev).float(), torch.from_numpy(mask))


def random_picks(tracks: list, n: int, width: int, rng: np.random.Generator) -> list[tuple[int, int, bool]]:
    """``n`` windows drawn with probability proportional to each track's weight, either strand equally."""
    weights = np.array([t.weight for t in tracks], np.float64)
    idx = rng.choice(len(tracks), size=n, p=weights / weights.sum())
    out = []
    for i in idx:
        span = max(tracks[i].length - width, 0)
        out.append((int(i), int(rng.integers(0, span + 1)), bool(rng.integers(0, 2))))
    return out


def tiled_picks(tracks: list, width: int, max_bases: int | None = None) -> list[tuple[int, int, bool]]:
    """Non-overlapping windows covering the records in order (forward strand), up to ``max_bases``."""
    out, total = [], 0
    for i, t in enumerate(tracks):
        for start in range(0, t.length, width):
            if max_bases is not None and total >= max_bases:
                return out
            out.append((i, start, False))
            total += min(width, t.length - start)
    return out
