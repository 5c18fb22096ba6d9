"""score and adapt on small data: adaptation lowers held-out bits; a planted foreign segment is called atypical."""
import logging
import random

import pytest
from click.testing import CliRunner

from genelstm import checkpoint
from genelstm.adapt import adapt
from genelstm.annotation import read_genome
from genelstm.cli import main
from genelstm.config import load_config
from genelstm.score import atypical_regions, kmer_baselines, score_genome
from genelstm.train import TrainInputs, run


def biased(n, gc, rng):
    w = [(1 - gc) / 2, gc / 2, gc / 2, (1 - gc) / 2]
    return "".join(rng.choices("ACGT", weights=w, k=n))


def write(path, records):
    with open(path, "w") as fh:
        for rid, seq in records.items():
            fh.write(f">{rid}\n{seq}\n")
    return path


@pytest.fixture(scope="module")
def gc_model(tmp_path_factory):
    """A small next-base model trained on GC-rich random DNA (65% GC)."""
    d = tmp_path_factory.mktemp("gc")
    rng = random.Random(5)
    train = write(d / "bg.fa", {f"b{i}": biased(30_000, 0.65, rng) for i in range(4)})
    cfg = load_config(None, dict(hidden=16, layers=1, conv_channels=8, batch_size=8, window=540, threads=1,
                                 objective="lm", epochs=2, steps_per_epoch=30, lr=5e-3))
    run(cfg, TrainInputs([str(train)]), d / "gc.pt", progress=False)
    return d / "gc.pt"


def test_planted_foreign_segment_is_called_atypical(gc_model, tmp_path):
    rng = random.Random(9)
    seq = biased(30_000, 0.65, rng) + biased(6_000, 0.25, rng) + biased(34_000, 0.65, rng)
    genome, _ = read_genome(write(tmp_path / "g.fa", {"chr": seq}))
    model, _, _ = checkpoint.load_model(gc_model)
    scores = score_genome(model, genome, window=1000, progress=False)
    regions = atypical_regions(scores, z=3.0)
    assert regions, "nothing called atypical"
    for rid, a, b, _z in regions:
        assert rid == "chr" and a >= 29_000 and b <= 37_000, regions
    covered = sum(min(b, 36_000) - max(a, 30_000) for _, a, b, _ in regions)
    assert covered >= 4_000


def test_score_cli_table_and_baselines(gc_model, tmp_path):
    rng = random.Random(3)
    fa = write(tmp_path / "t.fa", {"x": biased(20_000, 0.65, rng)})
    r = CliRunner().invoke(main, ["score", str(fa), "-m", str(gc_model), "--tracks", str(tmp_path / "tr"),
                                  "--no-progress"])
    assert r.exit_code == 0, r.output
    rows = [ln.split("\t") for ln in r.stdout.strip().splitlines()]
    assert rows[0][:5] == ["record", "length", "bits_forward", "bits_reverse", "bits_per_base"]
    assert rows[1][0] == "x" and rows[-1][0] == "ALL"
    bits = float(rows[1][4])
    # 65% GC i.i.d. has an entropy of 1.934 bits/base: the model is near it and below uniform
    assert 1.90 < bits < 1.99
    assert (tmp_path / "tr" / "surprisal.bedgraph").read_text().count("\n") == 1 + 20
    genome, _ = read_genome(fa)
    base = kmer_baselines(genome)
    assert base["markov"]["bits_per_base"] == pytest.approx(1.934, abs=0.02)


def test_adapting_to_a_genome_lowers_its_held_out_bits(gc_model, tmp_path, caplog):
    rng = random.Random(11)
    target = write(tmp_path / "at.fa", {f"t{i}": biased(50_000, 0.30, rng) for i in range(4)})
    with caplog.at_level(logging.INFO, logger="genelstm"):
        best = adapt(gc_model, [str(target)], tmp_path / "adapted.pt", max_minutes=0.25, val_fraction=0.25,
                     threads=1, progress=False)
    # what self-training learned is logged once, then how many of its genes label the fine-tune
    learned = [r.getMessage().removeprefix("at.fa: ") for r in caplog.records if "self-training" in r.getMessage()]
    assert learned and len(set(learned)) == len(learned)
    assert sum("self-trained genes label the fine-tune" in r.getMessage() for r in caplog.records) == 1
    assert best["val_bits_per_base"] < best["val_bits_before"] - 0.02
    ck = checkpoint.read(tmp_path / "adapted.pt")
    assert ck["data"]["adapted_on"] == ["at.fa"] and ck["data"]["adapted_from"] == "gc.pt"
