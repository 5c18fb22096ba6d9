"""Per-base probabilities of short records, batched, each computed exactly as if alone.

Long records go through ``engine.RecordStream``, which gives the same values block by block (and the
next-base surprisal that ``score`` reads). ``native_bf16`` says whether bf16 inference pays on this CPU.
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
    choice = out["choice"].float().cpu().numpy() if "choice" in out else None
    return [Probs(0, n, np.ascontiguousarray(reg[j, :, :, :n]), np.ascontiguousarray(ev[j, :, :, :n]),
                  None if choice is None else np.ascontiguousarray(choice[j, :, :n]))
            for j, n in enumerate(lengths)]
