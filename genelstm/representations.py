"""The frozen model's hidden states and gate activations, recomputed layer by layer from its weights.

nn.LSTM returns only the top layer and no gates, so each layer is replayed here with the same
weights and PyTorch's gate order (input, forget, cell, output; GRU: reset, update, new). A test
checks that the replay reproduces nn.LSTM's output.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from .alphabet import N_CODE
from .dataset import Tracks
from .model import GeneLSTM, one_hot

GATES = {"lstm": ("input", "forget", "cell", "output"), "gru": ("reset", "update", "new")}


def _replay(rnn: torch.nn.Module, layer: int, x: torch.Tensor, cell: str) -> tuple[torch.Tensor, torch.Tensor]:
    """(h (B,T,H), gates (B,T,G,H)) of one layer run forward over x (B,T,in)."""
    w_ih = getattr(rnn, f"weight_ih_l{layer}")
    w_hh = getattr(rnn, f"weight_hh_l{layer}")
    b_ih = getattr(rnn, f"bias_ih_l{layer}")
    b_hh = getattr(rnn, f"bias_hh_l{layer}")
    b, t, _ = x.shape
    hdim = w_hh.shape[1]
    pre = x @ w_ih.T + b_ih  # (B, T, G*H)
    h = x.new_zeros(b, hdim)
    c = x.new_zeros(b, hdim)
    hs, gs = [], []
    for step in range(t):
        if cell == "lstm":
            z = pre[:, step] + h @ w_hh.T + b_hh
            i, f, g, o = z.chunk(4, dim=1)
            i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
            c = f * c + i * g
            h = o * torch.tanh(c)
            gs.append(torch.stack([i, f, g, o], dim=1))
        else:
            xr, xz, xn = pre[:, step].chunk(3, dim=1)
            hr, hz, hn = (h @ w_hh.T + b_hh).chunk(3, dim=1)
            r, zg = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)
            n = torch.tanh(xn + r * hn)
            h = (1 - zg) * n + zg * h
            gs.append(torch.stack([r, zg, n], dim=1))
        hs.append(h)
    return torch.stack(hs, dim=1), torch.stack(gs, dim=1)


@dataclass
class Collected:
    """Representations of a stretch of one record: base-level CNN features, chunk-level states and gates."""

    record: str
    start: int
    end: int
    cnn: np.ndarray  # (L, C)
    first_conv: np.ndarray  # (L, filters): first-layer filter responses, for motifs
    states: dict[str, np.ndarray] = field(default_factory=dict)  # "lstm1.fwd" -> (T, H)
    gates: dict[str, np.ndarray] = field(default_factory=dict)  # "lstm1.fwd" -> (T, G) mean over units


@torch.no_grad()
def collect(model: GeneLSTM, tracks: list[Tracks], *, max_bases: int, window: int = 2700) -> list[Collected]:
    """Representations over the first ``max_bases`` of ``tracks``, in whole windows (no overlap)."""
    model.eval()
    cfg = model.cfg
    window -= window % cfg.pool
    out: list[Collected] = []
    total = 0
    for t in tracks:
        for a in range(0, t.length, window):
            if total >= max_bases:
                return out
            b = min(a + window, t.length)
            n = b - a
            padded = -(-n // cfg.pool) * cfg.pool
            codes = np.full(padded, N_CODE, np.uint8)
            soft = np.zeros(padded, bool)
            codes[:n], soft[:n] = t.codes[a:b], t.soft[a:b]
            c = torch.from_numpy(codes).long()[None]
            s = torch.from_numpy(soft)[None]
            x = one_hot(c, s)
            first = model.cnn[0](x)
            feats = model.cnn(x)
            chunks = model.down(feats).transpose(1, 2)
            col = Collected(t.record, a, b, feats[0, :, :n].T.numpy(), first[0, :, :n].T.numpy())
            for direction, stack in (("fwd", model.fwd), ("bwd", model.bwd)):
                inp = chunks if direction == "fwd" else chunks.flip(1)
                for layer in range(cfg.layers):
                    h, g = _replay(stack, layer, inp, cfg.cell)
                    inp = h
                    if direction == "bwd":
                        h, g = h.flip(1), g.flip(1)
                    key = f"{'lstm' if cfg.cell == 'lstm' else 'gru'}{layer + 1}.{direction}"
                    col.states[key] = h[0].numpy()
                    col.gates[key] = g[0].mean(dim=2).numpy()
            out.append(col)
            total += n
    return out
