"""Atomic output: write beside the target, rename on success, so a failed run leaves no partial file."""
from __future__ import annotations

import os
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, TextIO


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary path in ``path``'s folder that becomes ``path`` (with normal permissions) on success."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent if str(path.parent) else ".", prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


@contextmanager
def atomic_text(path: str | Path | None) -> Iterator[TextIO | None]:
    """A text handle for ``path`` written atomically; '-' is stdout; None yields None (output not wanted)."""
    if path is None:
        yield None
        return
    if str(path) == "-":
        yield sys.stdout
        return
    with atomic_path(path) as tmp, open(tmp, "w") as fh:
        yield fh
