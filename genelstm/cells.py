"""Recurrent stacks the network can be built with, behind nn.LSTM's call signature.

``lstm`` and ``gru`` are PyTorch's (cuDNN on a GPU). ``peephole`` and ``cifg`` are written here,
one time step at a time, for the architecture comparison:

* peephole LSTM (Gers & Schmidhuber 2000): the input and forget gates also read the previous cell
  state, the output gate the new one -- the cell can time its own gates, e.g. count codons;
* CIFG (coupled input-forget gate, Greff et al. 2017): the input gate is ``1 - forget``, a quarter
  fewer weights per layer.

Both keep nn.LSTM's parameter names and gate order (input, forget, cell, output; CIFG drops the input
rows), so the forget-gate bias initialisation and the tests that compare them with nn.LSTM where they
coincide (peepholes at zero; input-gate weights equal to minus the forget-gate ones) read naturally.
They are slower than cuDNN: one small kernel group per time step.
"""
from __future__ import annotations

import torch
from torch import nn

CELLS = ("lstm", "gru", "peephole", "cifg")


def recurrent(cell: str, input_size: int, hidden: int, layers: int, dropout: float) -> nn.Module:
    """A batch-first stack of ``layers`` recurrent layers of ``cell`` (one of CELLS)."""
    kw = dict(num_layers=layers, batch_first=True, dropout=dropout if layers > 1 else 0.0)
    if cell == "lstm":
        return nn.LSTM(input_size, hidden, **kw)
    if cell == "gru":
        return nn.GRU(input_size, hidden, **kw)
    if cell in ("peephole", "cifg"):
        return CellStack(cell, input_size, hidden, layers, dropout if layers > 1 else 0.0)
    raise ValueError(f"unknown cell {cell!r}; choose from {', '.join(CELLS)}")


def forget_rows(stack: nn.Module, hidden: int) -> slice:
    """Rows of a bias vector that belong to the forget gate."""
    return slice(0, hidden) if getattr(stack, "kind", None) == "cifg" else slice(hidden, 2 * hidden)


class CellStack(nn.Module):
    """Stacked peephole or CIFG LSTM layers; ``forward(x, (h0, c0)) -> (out, (h, c))`` like nn.LSTM."""

    def __init__(self, kind: str, input_size: int, hidden: int, layers: int, dropout: float = 0.0) -> None:
        super().__init__()
        if kind not in ("peephole", "cifg"):
            raise ValueError(f"CellStack kind must be peephole or cifg, not {kind!r}")
        self.kind, self.hidden, self.num_layers, self.dropout = kind, hidden, layers, dropout
        self.hidden_size = hidden
        gates = 3 if kind == "cifg" else 4
        bound = hidden ** -0.5  # nn.LSTM's initialisation
        for k in range(layers):
            fan_in = input_size if k == 0 else hidden
            for name, shape in ((f"weight_ih_l{k}", (gates * hidden, fan_in)), (f"weight_hh_l{k}", (gates * hidden, hidden)),
                                (f"bias_ih_l{k}", (gates * hidden,)), (f"bias_hh_l{k}", (gates * hidden,))):
                self.register_parameter(name, nn.Parameter(torch.empty(shape).uniform_(-bound, bound)))
            if kind == "peephole":  # input, forget, output gates' weights on the cell state
                self.register_parameter(f"peep_l{k}", nn.Parameter(torch.empty(3, hidden).uniform_(-bound, bound)))

    def forward(self, x: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor] | None = None
                ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        bsz, _, _ = x.shape
        if state is None:
            zeros = x.new_zeros(self.num_layers, bsz, self.hidden)
            state = (zeros, zeros)
        hs, cs = [], []
        out = x
        for k in range(self.num_layers):
            if k > 0 and self.dropout and self.training:
                out = nn.functional.dropout(out, self.dropout, training=True)
            out, h, c = self._layer(out, k, state[0][k], state[1][k])
            hs.append(h)
            cs.append(c)
        return out, (torch.stack(hs), torch.stack(cs))

    def _layer(self, x: torch.Tensor, k: int, h: torch.Tensor, c: torch.Tensor
               ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        w_hh = getattr(self, f"weight_hh_l{k}")
        # the input projection of every time step at once; only the recurrence is sequential
        xw = nn.functional.linear(x, getattr(self, f"weight_ih_l{k}"), getattr(self, f"bias_ih_l{k}")
                                  + getattr(self, f"bias_hh_l{k}"))
        peep = getattr(self, f"peep_l{k}", None)
        outs = []
        for t in range(x.shape[1]):
            z = (xw[:, t] + h @ w_hh.t()).float()  # gates and cell state in fp32 even under bf16 autocast
            if self.kind == "cifg":
                zf, zg, zo = z.chunk(3, dim=1)
                f = torch.sigmoid(zf)
                c = f * c + (1 - f) * torch.tanh(zg)
            else:
                zi, zf, zg, zo = z.chunk(4, dim=1)
                c = torch.sigmoid(zf + peep[1] * c) * c + torch.sigmoid(zi + peep[0] * c) * torch.tanh(zg)
                zo = zo + peep[2] * c
            h = torch.sigmoid(zo) * torch.tanh(c)
            outs.append(h)
        return torch.stack(outs, dim=1).to(x.dtype), h, c
