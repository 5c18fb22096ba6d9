"""Where torch runs: device choice and CPU threads, shared by every command that runs the network."""
from __future__ import annotations

import torch

from .errors import GenelstmError


def pick_device(name: str) -> torch.device:
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise GenelstmError("--device cuda asked for, but this torch sees no CUDA device")
    if name == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise GenelstmError("--device mps asked for, but MPS is not available")
    return torch.device(name)


def set_threads(threads: int | None) -> None:
    """Explicit threads: on a busy 2-core machine one thread is often faster than two."""
    if threads:
        torch.set_num_threads(threads)
        try:
            torch.set_num_interop_threads(1)
        except RuntimeError:
            pass  # already set in this process
