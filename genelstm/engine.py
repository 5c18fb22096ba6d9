"""Exact streaming inference: a record of any length, block by block, with the values the network would
give if it saw the record whole -- tagging probabilities (predict) or next-base surprisal (score).

Two sequential passes -- the forward LSTM stack left to right, the backward stack right to left -- keep
only each stack's (h, c) state where a block's computation starts; each block's states are then
recomputed from its two saved states, so blocks are independent and go through the network in batches.
A record whose LSTM outputs fit in ``keep_bytes`` (a bacterial chromosome does: 57 bytes a base in bf16)
keeps the two passes' outputs instead, and its blocks skip the recomputation: the same values for a
quarter less work.
The CNN sees each block with its receptive field on both sides, clipped at the record's ends exactly
where the whole-record pass has its zero padding; the heads see a halo of chunks on both sides. Memory
is a few blocks' worth of features plus two small states per block, whatever the record length (and
the kept outputs, at most ``keep_bytes``).
"""
from __future__ import annotations

import math

import numpy as np
import torch

from .alphabet import N_CODE
from .device import side_by_side
from .model import GeneLSTM, one_hot
from .probs import Probs
from .sequence import Genome

#: default memory for keeping a record's LSTM outputs (RecordStream's keep_bytes): records up to about
#: 9 Mb in bf16 (4.5 Mb in fp32) keep them; longer ones recompute, so memory stays flat in record length
KEEP_BYTES = 512 << 20


class RecordStream:
    """Per-base region and event probabilities (and start-choice logits, when the model has that head) of
    one record, exact, computed on request block by block.

    Two sequential passes over the record -- the forward stack left to right, the backward stack right
    to left, run side by side -- keep only each stack's state where a block's computation starts. The
    blocks are then independent of each other, so several are computed as one batch.
    Requests (``probs(a, b)``) may come in any order.
    """

    def __init__(self, model: GeneLSTM, genome: Genome, record: str, *, block: int = 16_200, batch_size: int = 8,
                 device: torch.device = torch.device("cpu"), bf16: bool = False, lm: bool = False,
                 keep_bytes: int = KEEP_BYTES) -> None:
        p = model.cfg.pool
        self.model, self.genome, self.record, self.device, self.bf16 = model.eval(), genome, record, device, bf16
        self.n = genome.records[record].length
        self.pool, self.batch_size, self.lm = p, max(1, batch_size), lm
        self.chunks_total = -(-self.n // p)  # the whole-record pass pads the record to a multiple of pool
        self.block_chunks = max(1, block // p)
        #: chunks on each side a block's heads depend on: the event head's 5-base kernel and local attention
        #: (tagging); the states shifted past the CNN's reach and the local convolutions (next base)
        self.halo = (model.chunk_shift + 1 + math.ceil(model.cfg.lm_context / p)) if lm else \
            math.ceil(2 / p) + model.cfg.attention
        self.bounds = list(range(0, self.chunks_total, self.block_chunks)) + [self.chunks_total]
        #: the chunks block k is computed on: its own plus the halo, clipped to the record
        self.spans = [(max(0, a - self.halo), min(self.chunks_total, b + self.halo))
                      for a, b in zip(self.bounds, self.bounds[1:])]
        self._cache: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        #: whether the two passes keep the stacks' outputs over the whole record (they fit in keep_bytes), in
        #: _kept: (chunks, hidden) each, in the record's order; otherwise each block recomputes its own
        self._keep = self.chunks_total * 2 * model.cfg.hidden * (2 if bf16 else 4) <= keep_bytes
        self._kept: list[torch.Tensor] | None = None
        self._fwd_states, self._bwd_states = self._boundary_states()

    # ------------------------------------------------------------------ the network, piece by piece
    def _autocast(self):
        return torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.bf16)

    def _features(self, a: int, b: int, *, inputs: bool = False):
        """CNN features (1, C, bases) of chunks [a, b) and the chunk inputs (1, b - a, mix), exactly as in
        the whole-record pass: the CNN sees ``radius`` more bases on each side, clipped at the record.
        ``inputs``: also the one-hot input (1, 5, bases) and the base codes of those bases."""
        p, r = self.pool, self.model.radius
        lo, hi = max(0, a * p - r), min(self.chunks_total * p, b * p + r)
        codes = np.full(hi - lo, N_CODE, np.uint8)
        soft = np.zeros(hi - lo, bool)
        end = min(hi, self.n)
        if end > lo:
            codes[: end - lo], soft[: end - lo] = self.genome.encode(self.record, lo, end)
        x = one_hot(torch.from_numpy(codes)[None].long().to(self.device), torch.from_numpy(soft)[None].to(self.device))
        feats = self.model.cnn(x)[..., a * p - lo : b * p - lo]
        if inputs:
            return feats, self.model.down(feats).transpose(1, 2), x[..., a * p - lo : b * p - lo], \
                codes[a * p - lo : b * p - lo]
        return feats, self.model.down(feats).transpose(1, 2)

    def _pass(self, rnn, stops: list[int], backward: bool) -> tuple[dict[int, tuple | None], torch.Tensor | None]:
        """Run one directional stack over the record in long stretches, keeping its state at each of
        ``stops`` (chunk indices; for the backward stack the state after chunks [stop, end)), and, when
        the record's outputs are kept, its outputs (chunks, hidden) in the record's order."""
        states: dict[int, tuple | None] = {}
        kept: torch.Tensor | None = None  # filled in place: a list joined at the end would need twice the memory
        state, cur = None, (self.chunks_total if backward else 0)
        if self._keep:  # the pass must then cover the whole record
            stops = [*stops, 0 if backward else self.chunks_total]
        with torch.no_grad(), self._autocast():
            for stop in (sorted(set(stops), reverse=backward)):
                while cur != stop:
                    nxt = max(stop, cur - self.block_chunks) if backward else min(stop, cur + self.block_chunks)
                    _, chunks = self._features(*((nxt, cur) if backward else (cur, nxt)))
                    out, state = rnn(chunks.flip(1) if backward else chunks, state)
                    if self._keep:
                        if kept is None:
                            kept = out.new_empty(self.chunks_total, out.shape[2])
                        lo, hi = (nxt, cur) if backward else (cur, nxt)
                        kept[lo:hi] = out[0].flip(0) if backward else out[0]
                    cur = nxt
                states[stop] = state
        return states, kept

    def _boundary_states(self) -> tuple[dict, dict]:
        """The two passes, side by side on a CPU (device.side_by_side)."""
        fwd = lambda: self._pass(self.model.fwd, [lo for lo, _ in self.spans], False)  # noqa: E731
        bwd = lambda: self._pass(self.model.bwd, [hi for _, hi in self.spans], True)  # noqa: E731
        (f_states, f_out), (b_states, b_out) = (fwd(), bwd()) if self.device.type != "cpu" else side_by_side(fwd, bwd)
        if self._keep:
            self._kept = [f_out, b_out]
        return f_states, b_states

    def _states(self, ks: list[int], chunks: torch.Tensor) -> torch.Tensor:
        """LSTM outputs (batch, span, 2 x hidden) of blocks ``ks``, forward | backward: sliced from the kept
        outputs, or recomputed from each block's saved boundary states (the two stacks side by side)."""
        m = self.model
        if self._kept is not None:
            return torch.stack([torch.cat([kept[slice(*self.spans[k])] for kept in self._kept], dim=1) for k in ks])
        f0 = _stack([self._fwd_states[self.spans[k][0]] for k in ks])
        b0 = _stack([self._bwd_states[self.spans[k][1]] for k in ks])
        fwd = lambda: m.fwd(chunks, f0)[0]  # noqa: E731
        bwd = lambda: m.bwd(chunks.flip(1), b0)[0].flip(1)  # noqa: E731
        f, b = (fwd(), bwd()) if self.device.type != "cpu" else side_by_side(fwd, bwd)
        return torch.cat([f, b], dim=2)

    def _compute(self, ks: list[int]) -> None:
        """Blocks ``ks`` (of equal span length) as one batch, into the cache."""
        p = self.pool
        with torch.no_grad(), self._autocast():
            pieces = [self._features(*self.spans[k], inputs=self.lm) for k in ks]
            feats = torch.cat([piece[0] for piece in pieces])
            chunks = torch.cat([piece[1] for piece in pieces])
            outputs = self._heads(self._states(ks, chunks), feats, pieces)
        for j, k in enumerate(ks):
            a, lo = self.bounds[k], self.spans[k][0]
            s = (a - lo) * p
            e = s + min(self.bounds[k + 1] * p, self.n) - a * p
            self._cache[k] = tuple(o[j, ..., s:e] for o in outputs)

    def _heads(self, out: torch.Tensor, feats: torch.Tensor, pieces: list) -> tuple[np.ndarray, ...]:
        """Per-base outputs of a batch of blocks from its LSTM states and CNN features (``pieces``: what
        _features gave for each block): (region, event) probabilities, or next-base surprisal in bits."""
        m = self.model
        if not self.lm:
            region, events, choice = m.tag_heads(out, feats)
            probs = torch.softmax(region.float(), dim=2).cpu().numpy(), torch.sigmoid(events.float()).cpu().numpy()
            return probs if choice is None else (*probs, choice.float().cpu().numpy())
        x = torch.cat([piece[2] for piece in pieces])  # surprisal given both sides (NaN at N)
        codes = np.stack([piece[3] for piece in pieces])
        logp = torch.log_softmax(m._next_base(x[:, :4], out).float(), dim=1)
        idx = torch.from_numpy(np.minimum(codes, 3)).long().to(logp.device).unsqueeze(1)
        bits = (-logp.gather(1, idx).squeeze(1) / math.log(2)).cpu().numpy()
        bits[codes == N_CODE] = np.nan
        return (bits,)

    # ------------------------------------------------------------------ requests
    def probs(self, start: int, end: int) -> Probs:
        """Probabilities of bases [start, end); blocks wholly before ``start`` are forgotten."""
        if self.lm:
            raise ValueError("this stream computes next-base surprisal (lm=True), not probabilities")
        return Probs(start, end, *self._outputs(start, end))

    def bits(self, start: int, end: int) -> np.ndarray:
        """Surprisal -log2 P(base | both sides) of bases [start, end) (NaN at N); needs ``lm=True``."""
        if not self.lm:
            raise ValueError("this stream computes probabilities; make it with lm=True for surprisal")
        return self._outputs(start, end)[0]

    def _outputs(self, start: int, end: int) -> tuple[np.ndarray, ...]:
        p = self.pool
        k0 = max(0, int(np.searchsorted(self.bounds, start // p, side="right")) - 1)
        k1 = max(k0 + 1, int(np.searchsorted(self.bounds, -(-end // p), side="left")))
        for k in [k for k in self._cache if k < k0 or k >= k1 + self.batch_size]:
            del self._cache[k]
        for k in range(k0, k1):
            if k not in self._cache:  # this block and the next few of the same length, as one batch
                width = self.spans[k][1] - self.spans[k][0]
                ks = [j for j in range(k, min(k + self.batch_size, len(self.spans)))
                      if self.spans[j][1] - self.spans[j][0] == width and j not in self._cache]
                self._compute(ks)
        base0 = self.bounds[k0] * p
        return tuple(np.ascontiguousarray(np.concatenate([self._cache[k][i] for k in range(k0, k1)], axis=-1)
                                          [..., start - base0 : end - base0])
                     for i in range(len(self._cache[k0])))


def _stack(states: list) -> tuple | None:
    """Per-sequence (h, c) states (or h alone for a GRU; None = zeros) joined along the batch axis."""
    if all(s is None for s in states):
        return None
    ref = next(s for s in states if s is not None)
    filled = [s if s is not None else (tuple(torch.zeros_like(t) for t in ref) if isinstance(ref, tuple)
                                       else torch.zeros_like(ref)) for s in states]
    if isinstance(ref, tuple):
        return tuple(torch.cat([s[i] for s in filled], dim=1) for i in range(len(ref)))
    return torch.cat(filled, dim=1)
