"""The one error type users see.

Every problem caused by the user's input is raised as :class:`InputError`, which
carries the file, record and position so the CLI can print one precise line and
exit non-zero instead of a traceback.
"""
from __future__ import annotations

from pathlib import Path


class GenelstmError(Exception):
    """Base class for errors genelstm reports to users without a traceback."""


class InputError(GenelstmError):
    """Bad input: names the file and, where known, the record and the position/line."""

    def __init__(
        self,
        path: str | Path,
        message: str,
        *,
        record: str | None = None,
        line: int | None = None,
        position: int | None = None,
    ) -> None:
        self.path = str(path)
        self.message = message
        self.record = record
        self.line = line
        self.position = position
        where = [self.path]
        if line is not None:
            where.append(f"line {line}")
        if record is not None:
            where.append(f"record {record!r}")
        if position is not None:
            where.append(f"position {position}")
        super().__init__(f"{', '.join(where)}: {message}")
