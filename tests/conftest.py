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


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory):
    """A small model trained for a few seconds on test_data: enough to exercise predict end to end."""
    from genelstm.config import load_config
    from genelstm.train import TrainInputs, run

    out = tmp_path_factory.mktemp("model") / "tiny.pt"
    cfg = load_config(None, dict(hidden=16, layers=1, conv_channels=8, batch_size=4, window=900, threads=1,
                                 epochs=2, steps_per_epoch=8, objective="both"))
    run(cfg, TrainInputs([str(TEST_DATA / "synthetic_prok.fa"), str(TEST_DATA / "phiX174_NC_001422.gbk.gz")],
                         [str(TEST_DATA / "synthetic_prok.gff3")]), out, progress=False)
    return out
