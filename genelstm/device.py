"""Where torch runs: device choice and CPU threads, shared by every command that runs the network."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

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


def side_by_side(first, second):
    """(first(), second()) computed at once, each on half the CPU threads: PyTorch releases the
    interpreter lock inside its kernels, and a small-batch recurrence cannot use two cores by itself.
    The worker takes the caller's grad mode and CPU autocast (both are per thread) and sets its own thread
    count: a new thread would otherwise use every core and the two would fight over them."""
    threads = torch.get_num_threads()
    if threads < 2:
        return first(), second()
    half = max(1, threads // 2)
    grad = torch.is_grad_enabled()
    cast = torch.is_autocast_enabled("cpu")
    dtype = torch.get_autocast_dtype("cpu")

    def work():
        torch.set_num_threads(half)
        with torch.set_grad_enabled(grad), torch.autocast("cpu", dtype=dtype, enabled=cast):
            return first()

    torch.set_num_threads(half)
    try:
        with ThreadPoolExecutor(1) as pool:
            a = pool.submit(work)
            b = second()
            return a.result(), b
    finally:
        torch.set_num_threads(threads)
