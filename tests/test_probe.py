"""probe: replayed LSTM states, exact property labels, a planted motif filter, and the report end to end."""
import json

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from genelstm.cli import main
from genelstm.config import ModelConfig
from genelstm.dataset import Tracks
from genelstm.labels import CDS1, START, STOP
from genelstm.model import GeneLSTM
from genelstm.probe import labels_for, motifs
from genelstm.representations import _replay, collect
from conftest import TEST_DATA


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_replayed_layers_match_the_torch_module(cell):
    torch.manual_seed(0)
    m = GeneLSTM(ModelConfig(cell=cell, hidden=12, layers=2)).eval()
    x = torch.randn(2, 25, 64)
    with torch.no_grad():
        ref, _ = m.fwd(x)
        h = x
        for layer in range(2):
            h, gates = _replay(m.fwd, layer, h, cell)
    assert torch.allclose(ref, h, atol=1e-5)
    assert gates.shape == (2, 25, 4 if cell == "lstm" else 3, 12)


def track(n=300):
    codes = np.zeros(n, np.uint8)
    codes[100:200] = 2  # a G block: local GC 1.0 in the middle
    region = np.zeros((2, n), np.uint8)
    region[0, 120:150] = CDS1 + (np.arange(30) % 3)
    events = np.zeros((2, n), np.uint8)
    events[0, 120] |= START
    events[1, 250] |= STOP
    return Tracks("t", codes, np.zeros(n, bool), region, events, np.zeros((2, n), bool))


def test_property_labels_are_exact():
    t = track()
    v = labels_for(t, 0, 300, k=5, pool=9, radius=11)
    assert v["cds_plus"][120:150].all() and v["cds_plus"].sum() == 30 and v["cds_minus"].sum() == 0
    assert v["codon_position"][120] == 0 and v["codon_position"][122] == 2 and np.isnan(v["codon_position"][0])
    assert np.flatnonzero(v["near_start"]).tolist() == list(range(115, 126))
    assert np.flatnonzero(v["near_stop"]).tolist() == list(range(245, 256))
    assert v["gc_local"][150] == pytest.approx(100 / 101) and v["gc_local"][20] == 0.0  # window 100..200
    assert v["dist_gene_start"][120] == 0 and v["dist_gene_start"][220] == pytest.approx(np.log10(101))
    # next base: first base of the next chunk plus the CNN radius (unseen by the forward state)
    assert v["next_base"][0] == t.codes[9 + 11]


def test_a_filter_built_to_see_taa_is_named_a_stop_codon():
    torch.manual_seed(0)
    m = GeneLSTM(ModelConfig(conv_kernels=(15, 9), conv_channels=8)).eval()
    with torch.no_grad():
        w = m.cnn[0].weight
        w.zero_()
        m.cnn[0].bias.zero_()
        for j, base in enumerate("TAA"):
            w[0, "ACGT".index(base), 6 + j] = 3.0
    rng = np.random.default_rng(1)
    n = 20_000
    codes = rng.integers(0, 4, n).astype(np.uint8)
    t = Tracks("r", codes, np.zeros(n, bool), np.zeros((2, n), np.uint8), np.zeros((2, n), np.uint8),
               np.zeros((2, n), bool))
    cols = collect(m, [t], max_bases=n)
    found = {mo["filter"]: mo for mo in motifs(m, cols, {"r": t})}
    assert "stop codon" in found[0]["names"]
    assert found[0]["consensus"][6:9] == "TAA"


def test_probe_report_end_to_end(tiny_model, tmp_path):
    out = tmp_path / "rep"
    r = CliRunner().invoke(main, ["probe", str(TEST_DATA / "synthetic_prok.fa"), str(TEST_DATA / "phiX174_NC_001422.gbk.gz"),
                                  "-a", str(TEST_DATA / "synthetic_prok.gff3"), "-m", str(tiny_model), "-o", str(out),
                                  "--max-positions", "300", "--properties", "cds_plus,gc_local,near_stop,next_base",
                                  "--no-progress"])
    assert r.exit_code == 0, r.output
    res = json.loads((out / "probes.json").read_text())
    reps = {row["representation"] for row in res["probes"] if row["property"] == "cds_plus"}
    assert reps == {"cnn", "lstm1.fwd", "lstm1.bwd", "lstm1.both"}
    nb = {row["representation"] for row in res["probes"] if row["property"] == "next_base"}
    assert nb == {"lstm1.fwd"}
    for row in res["probes"]:
        for key in ("control_random", "control_onehot", "control_shuffled", "selectivity_se"):
            assert key in row
    html = (out / "report.html").read_text()
    assert html.count("data:image/png;base64,") >= 5
    assert "Gate dynamics" in html and "Motifs" in html
    assert "stop" in res["gates"] and len(res["gates"]["stop"]["+"]["curves"]["lstm1.fwd"]["1"]) == 301
    assert (out / "probes.tsv").read_text().count("\n") == 1 + sum(1 for x in res["probes"] if x.get("representation"))
    assert "property" in r.stdout and "novelty" in r.stdout


def test_novelty_on_stretches_shorter_than_the_boundary_neighbourhood():
    from genelstm.probe import Stretches, novelty
    from genelstm.representations import Collected

    rng = np.random.default_rng(0)
    t = track(300)
    cols = []
    for a, b in ((0, 18), (18, 300)):  # a 2-chunk stretch, then a long one
        n = b - a
        c = Collected("t", a, b, np.zeros((n, 4), np.float32), np.zeros((n, 2), np.float32))
        steps = -(-n // 9)
        c.states = {"lstm1.fwd": rng.normal(size=(steps, 3)), "lstm1.bwd": rng.normal(size=(steps, 3))}
        c.gates = {"lstm1.fwd": rng.random((steps, 4)), "lstm1.bwd": rng.random((steps, 4))}
        cols.append(c)
    res = novelty(Stretches(cols, {"t": t}, k=5, pool=9, radius=11))
    assert res["peaks"] >= 1 and 0 < res["chunks_near_boundary"] < 1


def test_regression_probe_scores_are_regularised_and_bounded():
    from genelstm.probe import R2_FLOOR, _fit_score

    rng = np.random.default_rng(0)
    # more features than a plain ridge can handle, and a test half shifted away from the training half
    xtr, xte = rng.normal(size=(60, 200)), rng.normal(loc=3.0, size=(60, 200))
    ytr, yte = rng.normal(size=60), rng.normal(loc=5.0, size=60)
    score, se = _fit_score("regression", xtr, ytr, xte, yte, rng, n_boot=20)
    assert R2_FLOOR <= score <= 0.1
    # and a real linear signal is still found
    y = xtr[:, 0] * 2 + rng.normal(scale=0.1, size=60)
    score, _ = _fit_score("regression", xtr[:, :5], y, xtr[:, :5], y, rng, n_boot=5)
    assert score > 0.9
