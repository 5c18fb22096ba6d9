"""The network: CNN motif front-end -> downsampling -> stacked bidirectional LSTM -> heads.

Heads, all at base resolution:

* region: per strand, logits over labels.REGIONS;
* events: per strand, one logit per labels.EVENTS;
* next base: logits over ACGT for base t computed without base t (see ``_next_base``).

The LSTM runs on chunks of ``pool`` bases, which is what makes it fast on a CPU; base-exact
boundaries come back through a skip connection from the base-resolution CNN features.
"""
from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from .cells import forget_rows, recurrent
from .config import ModelConfig
from .device import side_by_side
from .labels import EVENTS, REGIONS

N_IN = 5  # one-hot ACGT (N = all zero) + soft-mask flag


def one_hot(codes: torch.Tensor, soft: torch.Tensor) -> torch.Tensor:
    """(B, L) codes 0-4 and soft mask -> (B, 5, L) float input."""
    x = F.one_hot(codes.long().clamp(max=4), 5)[..., :4].float()
    return torch.cat([x, soft.float().unsqueeze(-1)], dim=-1).transpose(1, 2)


class GeneLSTM(nn.Module):
    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        c, h, m = cfg.conv_channels, cfg.hidden, cfg.mix
        convs: list[nn.Module] = []
        cin = N_IN
        for k in cfg.conv_kernels:
            convs += [nn.Conv1d(cin, c, k, padding=k // 2), nn.GELU()]
            cin = c
        self.cnn = nn.Sequential(*convs)
        #: how far (in bases) a CNN feature sees to either side; the next-base head must stay clear of it
        self.radius = sum(k // 2 for k in cfg.conv_kernels)
        self.down = nn.Conv1d(c, m, cfg.pool, stride=cfg.pool)
        # Two directional stacks rather than nn.LSTM(bidirectional=True): in a stacked bidirectional
        # nn.LSTM the second layer's forward cell reads the first layer's backward output, so no state
        # would be free of the future, and the next-base head would leak.
        self.fwd = recurrent(cfg.cell, m, h, cfg.layers, cfg.dropout)
        self.bwd = recurrent(cfg.cell, m, h, cfg.layers, cfg.dropout)
        #: optional: each chunk's tagging input also attends to its neighbours within ``attention`` chunks
        self.attn = LocalAttention(2 * h, cfg.attention) if cfg.attention else None
        #: optional: a learned vector per offset inside the chunk, so the base-level heads know codon phase
        #: from the chunk grid too, not from the CNN alone
        self.offset = nn.Parameter(torch.zeros(1, m, cfg.pool)) if cfg.offset_heads else None
        self.drop = nn.Dropout(cfg.dropout)
        self.tag_chunk = nn.Linear(2 * h, m)
        self.tag_base = nn.Conv1d(c, m, 1)
        self.region_head = nn.Conv1d(m, 2 * len(REGIONS), 1)
        self.event_head = nn.Conv1d(m, 2 * len(EVENTS), 5, padding=2)
        #: optional: per strand, a start-choice logit (see ModelConfig.choice_head), same 5-base reach
        self.choice_head = nn.Conv1d(m, 2, 5, padding=2) if cfg.choice_head else None
        self.lm_chunk = nn.Linear(2 * h, m)
        self.lm_left = nn.Conv1d(4, m, cfg.lm_context)
        self.lm_right = nn.Conv1d(4, m, cfg.lm_context)
        self.lm_head = nn.Linear(m, 4)
        self._init_forget_bias()

    def _init_forget_bias(self) -> None:
        """Set the forget-gate slice of both biases of every LSTM-like layer so their sum is
        ``forget_bias``. A positive start keeps the cell's memory open early on."""
        if self.cfg.cell == "gru":
            return
        h = self.cfg.hidden
        for stack in (self.fwd, self.bwd):
            rows = forget_rows(stack, h)
            for name, p in stack.named_parameters():
                if name.startswith("bias"):
                    with torch.no_grad():
                        p[rows].fill_(self.cfg.forget_bias / 2)

    @property
    def chunk_shift(self) -> int:
        """Chunks to skip so the LSTM context for base t has never seen base t through the CNN."""
        return math.ceil(self.radius / self.cfg.pool)

    def encode(self, codes: torch.Tensor, soft: torch.Tensor, lengths: torch.Tensor | None = None
               ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """(one-hot input (B,5,L), CNN features (B,C,L), LSTM states (B,T,2H) as [forward | backward],
        mask (B,1,L) of each sequence's own positions or None).

        ``lengths`` (bases per sequence, for a batch of records of different lengths padded at the end):
        each sequence is then computed exactly as if it were alone, padded only to a multiple of pool --
        the CNN sees zero padding past its end and the backward stack starts at its own end.
        """
        p = self.cfg.pool
        if codes.shape[1] % p:
            raise ValueError(f"sequence length {codes.shape[1]} is not a multiple of pool {p}")
        x = one_hot(codes, soft)
        keep = None
        if lengths is not None:
            padded = (lengths + p - 1) // p * p
            keep = (torch.arange(codes.shape[1], device=codes.device)[None, :] < padded[:, None]).unsqueeze(1)
        feats = x
        for layer in self.cnn:
            feats = layer(feats)
            if keep is not None and isinstance(layer, nn.GELU):
                feats = feats * keep
        chunks = self.down(feats).transpose(1, 2)  # (B, T, mix)
        if lengths is None:
            f, b = self._stacks(chunks, chunks.flip(1))
            return x, feats, torch.cat([f, b.flip(1)], dim=2), None
        t = chunks.shape[1]
        steps = torch.arange(t, device=codes.device)[None, :]
        n = ((lengths + p - 1) // p)[:, None]
        rev = torch.where(steps < n, n - 1 - steps, steps)  # reverse each sequence's own chunks
        idx = rev.unsqueeze(-1)
        f, b = self._stacks(chunks, chunks.gather(1, idx.expand(-1, -1, chunks.shape[2])))
        b = b.gather(1, idx.expand(-1, -1, b.shape[2]))
        return x, feats, torch.cat([f, b], dim=2), keep

    def _stacks(self, forward_in: torch.Tensor, backward_in: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Outputs of the forward and the backward stack; in CPU inference the two run side by side."""
        if torch.is_grad_enabled() or forward_in.device.type != "cpu":
            return self.fwd(forward_in)[0], self.bwd(backward_in)[0]
        return side_by_side(lambda: self.fwd(forward_in)[0], lambda: self.bwd(backward_in)[0])

    def forward(self, codes: torch.Tensor, soft: torch.Tensor, *, lm: bool = True, tag: bool = True,
                lengths: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """codes/soft (B, L) with L a multiple of pool -> dict of (B, ..., L) logits."""
        x, feats, out, keep = self.encode(codes, soft, lengths)
        out = self.drop(out)
        res: dict[str, torch.Tensor] = {}
        if tag:
            res["region"], res["events"], choice = self.tag_heads(out, feats, keep)
            if choice is not None:
                res["choice"] = choice
        if lm:
            res["next_base"] = self._next_base(x[:, :4], out)
        return res

    def tag_heads(self, out: torch.Tensor, feats: torch.Tensor, keep: torch.Tensor | None = None
                  ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """Region (B, 2, R, L) and event (B, 2, E, L) logits, and start-choice logits (B, 2, L) or None
        without that head, from LSTM states (B, T, 2H) and CNN features (B, C, L = T x pool), whose first
        base starts a chunk."""
        bsz, _, length = feats.shape
        mixed = self.tag_input(out, feats, keep)
        choice = None if self.choice_head is None else self.choice_head(mixed)
        return (self.region_head(mixed).view(bsz, 2, len(REGIONS), length),
                self.event_head(mixed).view(bsz, 2, len(EVENTS), length), choice)

    def tag_input(self, out: torch.Tensor, feats: torch.Tensor, keep: torch.Tensor | None = None) -> torch.Tensor:
        """What the region and event heads read, (B, mix, L): each base's chunk state joined with its own
        CNN features. Apart from tag_heads so the heads' input can be read out (benchmarks/start_ceiling.py)."""
        length = feats.shape[2]
        p = self.cfg.pool
        states = out
        if self.attn is not None:
            states = out + self.drop(self.attn(out, None if keep is None else keep[:, 0, ::p]))
        up = self.tag_chunk(states).transpose(1, 2).repeat_interleave(p, dim=2)
        if self.offset is not None:
            up = up + self.offset.repeat(1, 1, length // p)
        mixed = F.gelu(up + self.tag_base(feats))
        return mixed if keep is None else mixed * keep

    def _next_base(self, x: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
        """Logits (B, 4, L) for base t from bases < t and > t only.

        The forward stack's state of chunk j has seen CNN features up to the end of chunk j, and
        those see ``radius`` bases further; so base t in chunk j takes the forward state of chunk
        j - 1 - shift and the backward state of chunk j + 1 + shift. The bases in between come from
        causal (left) and anti-causal (right) convolutions that exclude t itself.
        """
        bsz, _, length = x.shape
        p, h, s = self.cfg.pool, self.cfg.hidden, self.chunk_shift
        fwd, bwd = out[..., :h], out[..., h:]
        t = fwd.shape[1]
        zeros = fwd.new_zeros(bsz, s + 1, h)
        fwd_ctx = torch.cat([zeros, fwd], dim=1)[:, :t]
        bwd_ctx = torch.cat([bwd, zeros], dim=1)[:, s + 1 :]
        ctx = self.lm_chunk(torch.cat([fwd_ctx, bwd_ctx], dim=2)).transpose(1, 2).repeat_interleave(p, dim=2)
        k = self.cfg.lm_context
        left = self.lm_left(F.pad(x, (k, 0)))[..., :length]  # position t sees t-k .. t-1
        right = self.lm_right(F.pad(x, (0, k)))[..., 1 : length + 1]  # position t sees t+1 .. t+k
        hidden = F.gelu(ctx + left + right).transpose(1, 2)
        return self.lm_head(hidden).transpose(1, 2)


class LocalAttention(nn.Module):
    """Multi-head attention of each chunk over the chunks within ``radius`` of it (itself included).

    Local rather than global, so a record of any length costs linear time and the result for a chunk
    depends on a bounded neighbourhood. Positions outside the sequence (or outside ``keep``) are
    never attended to.
    """

    def __init__(self, dim: int, radius: int, heads: int = 4) -> None:
        super().__init__()
        if dim % heads:
            raise ValueError(f"attention width {dim} is not a multiple of {heads} heads")
        self.radius, self.heads = radius, heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.rel = nn.Parameter(torch.zeros(heads, 2 * radius + 1))  # a learned bias per relative offset

    def forward(self, x: torch.Tensor, keep: torch.Tensor | None = None) -> torch.Tensor:
        """x (B, T, D); keep (B, T) bool of real chunks or None -> (B, T, D)."""
        bsz, t, d = x.shape
        r, nh, dh = self.radius, self.heads, d // self.heads
        q, k, v = self.qkv(x).chunk(3, dim=2)
        valid = torch.ones(bsz, t, dtype=torch.bool, device=x.device) if keep is None else keep.bool()
        pad = lambda z: nn.functional.pad(z, (0, 0, r, r)).unfold(1, 2 * r + 1, 1)  # noqa: E731 (B,T,D,W)
        kw = pad(k).view(bsz, t, nh, dh, 2 * r + 1)
        vw = pad(v).view(bsz, t, nh, dh, 2 * r + 1)
        ok = nn.functional.pad(valid, (r, r)).unfold(1, 2 * r + 1, 1)  # (B, T, W)
        scores = torch.einsum("bthd,bthdw->bthw", q.view(bsz, t, nh, dh), kw) * dh ** -0.5 + self.rel
        scores = scores.masked_fill(~ok[:, :, None, :], float("-inf"))
        attn = torch.softmax(scores.float(), dim=-1).to(v.dtype)
        out = torch.einsum("bthw,bthdw->bthd", attn, vw).reshape(bsz, t, d)
        return self.proj(out) * valid[..., None]
