"""Every hyperparameter in one typed dataclass, loaded from plain YAML with command-line overrides.

The checkpoint stores this, so a model always says how it was made.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

import yaml

from .cells import CELLS
from .errors import InputError


@dataclass
class ModelConfig:
    """Architecture. ``pool`` is the downsampling factor P between the CNN and the LSTM."""

    conv_channels: int = 32
    conv_kernels: tuple[int, ...] = (15, 9)
    pool: int = 9
    hidden: int = 128
    layers: int = 2
    dropout: float = 0.1
    cell: Literal["lstm", "gru", "peephole", "cifg"] = "lstm"  # see cells.py
    #: base-level heads get a learned vector per offset inside the chunk (codon phase from the grid)
    offset_heads: bool = False
    #: radius in chunks of a local attention layer over the BiLSTM states (tagging only); 0 = none
    attention: int = 0
    #: forget-gate bias at initialisation: 1.0 lets gradients flow through long runs early in training
    forget_bias: float = 1.0
    lm_context: int = 36  # bases of local left/right context seen by the next-base head's own convolutions
    #: width of the chunk-level LSTM input and of the base-level head features (the heads run on every
    #: base, so this sets much of inference's cost beside the LSTM)
    mix: int = 64
    #: a start-choice head beside the event head: per strand, which of an open frame's start codons is the
    #: start (fitted on frozen features, choice_head.fit; used only to choose among a stop's starts)
    choice_head: bool = False


@dataclass
class TrainConfig:
    model: ModelConfig = field(default_factory=ModelConfig)
    objective: Literal["tag", "lm", "both"] = "both"
    epochs: int = 10
    max_steps: int | None = None
    max_minutes: float | None = None  # wall-clock budget; a run stopped by it is not bit-reproducible
    steps_per_epoch: int | None = None  # default: one pass worth of training bases
    batch_size: int = 16
    window: int = 2700
    lr: float = 2e-3
    weight_decay: float = 1e-2
    grad_clip: float = 1.0
    warmup_steps: int = 100
    event_pos_weight: float = 20.0
    lm_weight: float = 1.0
    start_choice_weight: float = 0.0  # objectives.start_choice: each start against its open frame's others
    patience: int = 4
    val_records: list[str] | None = None
    val_pattern: str | None = None
    val_fraction: float | None = None
    val_max_bases: int = 2_000_000
    seed: int = 0
    threads: int | None = None
    device: str = "cpu"

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["model"]["conv_kernels"] = list(self.model.conv_kernels)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any], *, source: str = "config") -> "TrainConfig":
        d = dict(d)
        model = d.pop("model", {}) or {}
        known = {f.name for f in fields(cls)}
        known_m = {f.name for f in fields(ModelConfig)}
        bad = sorted(set(d) - known) + sorted(f"model.{k}" for k in set(model) - known_m)
        if bad:
            raise InputError(source, f"unknown option(s): {', '.join(bad)}")
        if "conv_kernels" in model:
            model["conv_kernels"] = tuple(int(k) for k in model["conv_kernels"])
        cfg = cls(model=ModelConfig(**model), **d)
        cfg.validate(source)
        return cfg

    def validate(self, source: str = "config") -> None:
        m = self.model
        checks = [
            (self.objective in ("tag", "lm", "both"), f"objective must be tag, lm or both, not {self.objective!r}"),
            (m.cell in CELLS, f"cell must be one of {', '.join(CELLS)}, not {m.cell!r}"),
            (m.attention >= 0 and (not m.attention or (2 * m.hidden) % 4 == 0),
             "attention is a radius in chunks (>= 0) and needs 2 x hidden divisible by 4 heads"),
            (m.pool >= 1, "pool must be >= 1"),
            (m.mix >= 1, "mix must be >= 1"),
            (self.window >= m.pool and self.window % m.pool == 0, f"window must be a multiple of pool ({m.pool})"),
            (all(k % 2 == 1 for k in m.conv_kernels), "conv_kernels must be odd"),
            (self.batch_size >= 1 and self.epochs >= 1, "batch_size and epochs must be >= 1"),
        ]
        for ok, msg in checks:
            if not ok:
                raise InputError(source, msg)


def load_config(path: str | Path | None, overrides: dict[str, Any]) -> TrainConfig:
    """YAML file (optional) with overrides on top; None-valued overrides mean 'not given'."""
    base: dict[str, Any] = {}
    if path is not None:
        try:
            base = yaml.safe_load(Path(path).read_text()) or {}
        except FileNotFoundError:
            raise InputError(path, "no such file") from None
        except yaml.YAMLError as exc:
            raise InputError(path, f"not valid YAML: {str(exc).splitlines()[0]}") from None
        if not isinstance(base, dict):
            raise InputError(path, "expected a mapping of option: value")
    model = dict(base.get("model") or {})
    for k, v in overrides.items():
        if v is None:
            continue
        if k in {f.name for f in fields(ModelConfig)}:
            model[k] = v
        else:
            base[k] = v
    base["model"] = model
    return TrainConfig.from_dict(base, source=str(path or "command line"))
