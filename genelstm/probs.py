"""The hand-off between inference and decoding: per-base probabilities of a stretch of a record.

numpy only, so the decoders and the evaluator never import torch or the network.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Probs:
    """Probabilities for bases [start, end) of a record, both strands (track 0 = forward)."""

    start: int
    end: int
    region: np.ndarray  # (2, len(REGIONS), n) float32, sums to 1 over regions
    events: np.ndarray  # (2, len(EVENTS), n) float32, independent sigmoids
    #: (2, n) float32 start-choice logits (model.GeneLSTM.choice_head), or None for a model without that head
    choice: np.ndarray | None = None

    def slice(self, start: int, end: int) -> "Probs":
        """The probabilities of bases [start, end), which must lie inside this stretch."""
        if not self.start <= start <= end <= self.end:
            raise ValueError(f"bases {start}-{end} are not inside {self.start}-{self.end}")
        a, b = start - self.start, end - self.start
        return Probs(start, end, self.region[..., a:b], self.events[..., a:b],
                     None if self.choice is None else self.choice[..., a:b])
