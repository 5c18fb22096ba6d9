"""Checkpoints: one file with the weights and everything needed to trust and reuse them.

Saved as plain tensors and Python primitives so they load with ``torch.load(weights_only=True)``:
a checkpoint from someone else can never run code on your machine.
"""
from __future__ import annotations

import json
import pickle
import zipfile
from pathlib import Path
from typing import Any

import torch

from . import __version__
from .alphabet import ALPHABET
from .atomic import atomic_path
from .config import ModelConfig, TrainConfig
from .errors import InputError
from .labels import EVENTS, REGIONS
from .model import GeneLSTM

FORMAT = "genelstm-checkpoint"
FORMAT_VERSION = 1


def atomic_save(obj: Any, path: str | Path) -> None:
    """torch.save through a temporary file: no half-written checkpoint."""
    with atomic_path(path) as tmp:
        torch.save(obj, tmp)


def plain(obj: Any) -> Any:
    """JSON-shaped copy (numpy scalars become Python numbers) so weights_only loading accepts it."""
    return json.loads(json.dumps(obj, default=lambda o: o.item() if hasattr(o, "item") else str(o)))


def model_payload(model: GeneLSTM, cfg: TrainConfig, *, data: dict, metrics: dict, epoch: int) -> dict:
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "package_version": __version__,
        "torch_version": str(torch.__version__),
        "config": cfg.to_dict(),
        "alphabet": ALPHABET,
        "regions": list(REGIONS),
        "events": list(EVENTS),
        "seed": cfg.seed,
        "data": plain(data),
        "metrics": plain(metrics),
        "epoch": epoch,
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
    }


def read(path: str | Path) -> dict:
    """Load a checkpoint safely and check it is one genelstm can use."""
    path = Path(path)
    if not path.exists():
        raise InputError(path, "no such file")
    try:
        ck = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, zipfile.BadZipFile, RuntimeError, EOFError, ValueError) as exc:
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(path, f"not a readable genelstm checkpoint ({msg[:120]})") from None
    if not isinstance(ck, dict) or ck.get("format") != FORMAT:
        raise InputError(path, "not a genelstm checkpoint")
    if ck.get("format_version", 0) > FORMAT_VERSION:
        raise InputError(path, f"checkpoint format {ck['format_version']} is newer than this genelstm "
                               f"({__version__}) can read; upgrade genelstm")
    if ck.get("alphabet") != ALPHABET or list(ck.get("regions", [])) != list(REGIONS) or \
            list(ck.get("events", [])) != list(EVENTS):
        raise InputError(path, "checkpoint uses a different alphabet or label scheme than this genelstm")
    return ck


def load_model(path: str | Path) -> tuple[GeneLSTM, TrainConfig, dict]:
    """(model in eval mode, its training config, the raw checkpoint)."""
    ck = read(path)
    cfg = TrainConfig.from_dict(ck["config"], source=str(path))
    model = GeneLSTM(cfg.model)
    try:
        model.load_state_dict(ck["state_dict"])
    except RuntimeError as exc:
        raise InputError(path, f"weights do not fit the stored architecture ({str(exc).splitlines()[0]})") from None
    return model.eval(), cfg, ck


def model_config_of(path: str | Path) -> ModelConfig:
    return TrainConfig.from_dict(read(path)["config"], source=str(path)).model
