"""Models shipped inside the package, so `genelstm predict genome.fa` works with no model of one's own.

Each bundled model is NAME.pt with a model card NAME.md beside it.
"""
from __future__ import annotations

from pathlib import Path

from ..errors import InputError

FOLDER = Path(__file__).resolve().parent
DEFAULT = "prokaryote"
#: the default for ``predict --mode eukaryote`` when no model is named
EUKARYOTE_DEFAULT = "fungi"


def available() -> dict[str, Path]:
    return {p.stem: p for p in sorted(FOLDER.glob("*.pt"))}


def default_for(mode: str | None) -> str:
    """The bundled model used when none is named: the eukaryote default in eukaryote mode (when bundled)."""
    if mode == "eukaryote" and EUKARYOTE_DEFAULT in available():
        return EUKARYOTE_DEFAULT
    return DEFAULT


def resolve(name_or_path: str | None) -> Path:
    """A bundled model's name, or a path to a checkpoint; None means the default bundled model."""
    name = name_or_path or DEFAULT
    bundled = available()
    if name in bundled:
        return bundled[name]
    path = Path(name)
    if path.exists():
        return path
    known = ", ".join(bundled) or "none"
    raise InputError(name, f"no such model file or bundled model (bundled: {known})")


def card(name: str) -> str:
    p = FOLDER / f"{name}.md"
    return p.read_text() if p.exists() else f"# {name}\n(no model card)\n"
