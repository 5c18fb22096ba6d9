"""Fixtures found relative to this file; shared/data is optional and skipped cleanly when absent."""
from __future__ import annotations

from pathlib import Path

import pytest

TEST_DATA = Path(__file__).resolve().parent.parent / "test_data"
SHARED_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"


@pytest.fixture(autouse=True)
def _cache(tmp_path_factory, monkeypatch):
    """Keep indexes and decompressed copies out of the user's cache."""
    monkeypatch.setenv("GENELSTM_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))


def shared_annotated() -> list[tuple[Path, list[Path]]]:
    """Every annotated genome in ../shared/data: GenBank files alone, FASTA with their GFF3."""
    if not SHARED_DATA.is_dir():
        return []
    out = []
    for p in sorted(SHARED_DATA.glob("*.gbk.gz")):
        out.append((p, []))
    for fa in sorted(SHARED_DATA.glob("*.fa.gz")):
        gff = fa.with_name(fa.name.replace(".fa.gz", ".gff3.gz"))
        if gff.exists():
            out.append((fa, [gff]))
    return out
