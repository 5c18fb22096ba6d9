"""Training on several GPUs or machines: torch DistributedDataParallel under `torchrun`.

    torchrun --nproc_per_node 4 -m genelstm train --corpus split.tsv --device cuda -o model.pt

Each process (rank) draws its own windows (the rank is part of the sampling seed), gradients are
averaged by DDP, training losses are averaged across ranks, and rank 0 alone validates, writes the
metrics and the checkpoints (of the bare model: no ``module.`` prefix); its decision (best epoch,
early stop) is broadcast so every rank stops together. Outside torchrun every function here is a
no-op, so single-process training is untouched.
"""
from __future__ import annotations

import os

import torch
from torch import distributed as dist


def from_environment(device: torch.device) -> bool:
    """Join the process group torchrun describes (WORLD_SIZE > 1); gloo on CPU, NCCL on CUDA."""
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1 or not dist.is_available():
        return False
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return True


def active() -> bool:
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def rank() -> int:
    return dist.get_rank() if active() else 0


def world_size() -> int:
    return dist.get_world_size() if active() else 1


def local_device(device: torch.device) -> torch.device:
    """This process's GPU (LOCAL_RANK) when training on CUDA; the CPU otherwise."""
    if device.type == "cuda":
        idx = int(os.environ.get("LOCAL_RANK", "0"))
        torch.cuda.set_device(idx)
        return torch.device("cuda", idx)
    return device


def wrap(model: torch.nn.Module, device: torch.device) -> torch.nn.Module:
    if not active():
        return model
    from torch.nn.parallel import DistributedDataParallel

    ids = [device.index] if device.type == "cuda" else None
    # the next-base head is skipped when the objective is "tag": let DDP tolerate unused parameters
    return DistributedDataParallel(model, device_ids=ids, find_unused_parameters=True)


def mean(values: dict[str, torch.Tensor]) -> dict[str, float]:
    """Per-key means over ranks (one all-reduce), as plain floats."""
    if not values:
        return {}
    keys = sorted(values)
    t = torch.stack([values[k].detach().float().reshape(()) for k in keys])
    if active():
        dist.all_reduce(t)
        t = t / dist.get_world_size()
    return {k: float(v) for k, v in zip(keys, t.cpu())}


def from_rank0(obj):
    """Rank 0's value of a picklable object, on every rank."""
    if not active():
        return obj
    box = [obj]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def barrier() -> None:
    if active():
        dist.barrier()
