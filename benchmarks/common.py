"""What the benchmark scripts share: where the repository and ../shared's genomes are, and the split options.

Each script is run as ``python benchmarks/NAME.py``, so this folder is on the import path; importing this
module first also puts the repository on it, for ``genelstm``.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
#: the annotated prokaryote genomes (../shared/data/prokaryotes; its MANIFEST.tsv describes them)
PROKARYOTES = ROOT.parent / "shared/data/prokaryotes"
#: the leave-clade-out split every prokaryote benchmark reads
SPLIT = ROOT / "benchmarks/splits/prokaryotes.tsv"


def add_split_args(ap: argparse.ArgumentParser, *, split: Path | None = SPLIT) -> None:
    """--split (the split file; ``split=None``: no default, the genomes come from elsewhere) and --data-dir."""
    ap.add_argument("--split", default=None if split is None else str(split),
                    help="the leave-clade-out split file" + ("" if split is None else " [%(default)s]"))
    ap.add_argument("--data-dir", default=str(PROKARYOTES), help="where the split's genome files are [%(default)s]")


def add_parts_args(ap: argparse.ArgumentParser, unit: str) -> None:
    """--parts i/k (only every k-th ``unit`` from the i-th, so k copies can run side by side) and --threads."""
    ap.add_argument("--parts", default="0/1", help=f"i/k: only every k-th {unit} from the i-th (to run in parallel)")
    ap.add_argument("--threads", type=int, default=1, help="torch threads [1]")


def part_of(args: argparse.Namespace) -> tuple[int, int]:
    """(i, k) of --parts, after setting torch's threads from --threads."""
    import torch

    torch.set_num_threads(args.threads)
    part, nparts = map(int, args.parts.split("/"))
    return part, nparts
