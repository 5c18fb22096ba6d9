"""Per-base outputs of a trained model for short records and for next-base scoring.

Short records are batched and each is computed whole (``probabilities_whole``); long records go
through ``engine.RecordStream``, which gives the same values block by block. Next-base surprisal
(``lm_bits``) is still read window by window: windows sit on a grid anchored to the record and only
their central part is kept, so every kept base has ``margin`` bases of context on both sides.
"""
from __future__ import annotations

import numpy as np
import torch

from .alphabet import N_CODE
from .model import GeneLSTM
from .probs import Probs
from .sequence import Genome


def native_bf16() -> bool:
    """True on CPUs with bfloat16 instructions (AVX512-BF16 or AMX), where bf16 inference is ~2x faster."""
    try:
        with open("/proc/cpuinfo") as fh:
            flags = next((ln for ln in fh if ln.startswith("flags")), "")
    except OSError:
        return False
    return " avx512_bf16" in flags or " amx_bf16" in flags


def _autocast(device: torch.device, bf16: bool):
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16)


def _grid(window: int, margin: int, offset: int, a: int, b: int) -> list[int]:
    """Starts of the windows whose kept centres cover [a, b)."""
    step = window - 2 * margin
    o = offset % step
    k0 = (a - o) // step
    k1 = -(-(b - o) // step)
    return [k * step + o - margin for k in range(k0, k1)]


def _window_inputs(genome: Genome, record: str, starts: list[int], window: int) -> tuple[np.ndarray, np.ndarray]:
    """Codes and soft mask of windows starting at ``starts`` (may run past the record: N-padded)."""
    length = genome.records[record].length
    codes = np.full((len(starts), window), N_CODE, np.uint8)
    soft = np.zeros((len(starts), window), bool)
    for j, ws in enumerate(starts):
        a, b = max(ws, 0), min(ws + window, length)
        if a < b:
            c, s = genome.encode(record, a, b)
            codes[j, a - ws : b - ws], soft[j, a - ws : b - ws] = c, s
    return codes, soft


@torch.no_grad()
def lm_bits(model: GeneLSTM, genome: Genome, record: str, start: int, end: int, *, strand: int = 1,
            window: int = 16200, margin: int = 1800, batch_size: int = 8,
            device: torch.device = torch.device("cpu")) -> np.ndarray:
    """Surprisal -log2 P(base | both sides) of each base of record[start:end] read on ``strand``
    (NaN at N). For the reverse strand each window is reverse-complemented, scored, and mapped back."""
    from .alphabet import reverse_complement_codes

    step = window - 2 * margin
    out = np.full(end - start, np.nan, np.float32)
    starts = _grid(window, margin, 0, start, end)
    model.eval()
    for i in range(0, len(starts), batch_size):
        group = starts[i : i + batch_size]
        codes, soft = _window_inputs(genome, record, group, window)
        if strand == -1:
            codes = np.stack([reverse_complement_codes(c) for c in codes])
            soft = soft[:, ::-1].copy()
        x = torch.from_numpy(codes).long().to(device)
        logits = model(x, torch.from_numpy(soft).to(device), tag=False)["next_base"]
        logp = torch.log_softmax(logits.float(), dim=1)
        bits = (-logp.gather(1, x.clamp(max=3).unsqueeze(1)).squeeze(1) / np.log(2)).cpu().numpy()
        bits[codes == N_CODE] = np.nan
        if strand == -1:
            bits = bits[:, ::-1]
        for j, ws in enumerate(group):
            a, b = max(ws + margin, start), min(ws + margin + step, end)
            if a < b:
                out[a - start : b - start] = bits[j, a - ws : b - ws]
    return out


@torch.no_grad()
def probabilities_whole(model: GeneLSTM, genome: Genome, records: list[str], *,
                        device: torch.device = torch.device("cpu"), bf16: bool = False) -> list[Probs]:
    """Probabilities for short records, each seen whole (no cropping), batched together.

    Many-record inputs (loci, contigs, plasmids) are mostly short: one padded batch of similar
    lengths keeps the LSTM busy where a window grid per record would waste most of its work. Each
    record's result is the same as if it were computed alone (see GeneLSTM.encode's lengths).
    """
    pool = model.cfg.pool
    lengths = [genome.records[r].length for r in records]
    width = -(-max(lengths) // pool) * pool
    codes = np.full((len(records), width), N_CODE, np.uint8)
    soft = np.zeros((len(records), width), bool)
    for j, r in enumerate(records):
        c, s = genome.encode(r)
        codes[j, : len(c)], soft[j, : len(c)] = c, s
    model.eval()
    with _autocast(device, bf16):
        out = model(torch.from_numpy(codes).long().to(device), torch.from_numpy(soft).to(device), lm=False,
                    lengths=torch.tensor(lengths, device=device))
    reg = torch.softmax(out["region"].float(), dim=2).cpu().numpy()
    ev = torch.sigmoid(out["events"].float()).cpu().numpy()
    return [Probs(0, n, np.ascontiguousarray(reg[j, :, :, :n]), np.ascontiguousarray(ev[j, :, :, :n]))
            for j, n in enumerate(lengths)]
