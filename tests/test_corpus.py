"""Corpus training data: memory-mapped encodings equal the in-memory tracks, fair sampling weights,
namespaced record IDs, a split file that keeps a genus on one side, and training from a corpus."""
import json

import numpy as np
import pytest

from genelstm import corpus
from genelstm.annotation import load
from genelstm.dataset import random_picks, tracks_of
from genelstm.errors import InputError
from conftest import TEST_DATA

PHIX = "phiX174_NC_001422.gbk.gz"
YERSINIA = "yersinia_pestis_plasmid_pPCP1_NC_005816.gbk.gz"


def _split(tmp_path, rows):
    p = tmp_path / "split.tsv"
    p.write_text("# a comment line\nfile\tclade\trole\ttable\n" + "".join("\t".join(r) + "\n" for r in rows))
    return p


def test_stored_tracks_equal_in_memory_tracks(tmp_path):
    entries = corpus.read_split(_split(tmp_path, [(PHIX, "Phage", "train", "11"), (YERSINIA, "Gamma", "train", "11")]))
    stored, summary = corpus.stored_tracks(entries, TEST_DATA, tmp_path / "cache")
    assert [t.record for t in stored] == ["phiX174_NC_001422:NC_001422", "yersinia_pestis_plasmid_pPCP1_NC_005816:NC_005816"]
    for t, name in zip(stored, (PHIX, YERSINIA)):
        (mem,) = tracks_of(load(TEST_DATA / name))
        for a, b in ((0, mem.length), (17, 4000), (mem.length - 5, mem.length)):
            for x, y in zip(t.window(a, b), mem.window(a, b)):
                assert np.array_equal(np.asarray(x), np.asarray(y))
    assert {s["genome"]: s["genes_valid"] for s in summary} == {"phiX174_NC_001422": 11,
                                                                 "yersinia_pestis_plasmid_pPCP1_NC_005816": 10}
    # the cache is reused: a second call does not rewrite the files
    before = {p: p.stat().st_mtime_ns for p in (tmp_path / "cache").rglob("*")}
    corpus.stored_tracks(entries, TEST_DATA, tmp_path / "cache")
    assert before == {p: p.stat().st_mtime_ns for p in (tmp_path / "cache").rglob("*")}
    assert sum(p.stat().st_size for p in (tmp_path / "cache").rglob("*.seq")) == sum(t.length for t in stored)


def test_weights_balance_clades_and_genomes():
    e = [corpus.Entry("a.gbk", "X", "train"), corpus.Entry("b.gbk", "X", "train"), corpus.Entry("c.gbk", "X", "train"),
         corpus.Entry("d.gbk", "Y", "train")]
    w = corpus.genome_weights(e)
    assert sum(w.values()) == pytest.approx(1.0)
    assert w["a"] == w["b"] == w["c"] < w["d"]
    assert w["d"] == pytest.approx(0.5 / 2 + 0.5 / 4)  # half by clade (2 clades), half by genome (4 genomes)


def test_sampling_follows_weights_not_lengths(tmp_path):
    entries = corpus.read_split(_split(tmp_path, [(PHIX, "Phage", "train", "11"), (YERSINIA, "Gamma", "train", "11")]))
    stored, _ = corpus.stored_tracks(entries, TEST_DATA, tmp_path / "cache")
    picks = random_picks(stored, 4000, 300, np.random.default_rng(0))
    share = np.mean([i == 0 for i, _, _ in picks])
    assert share == pytest.approx(0.5, abs=0.03)  # phiX is 5.4 kb, the plasmid 9.6 kb: equal weight anyway
    assert np.mean([flip for _, _, flip in picks]) == pytest.approx(0.5, abs=0.03)


def test_split_file_errors(tmp_path):
    with pytest.raises(InputError, match="genus on more than one side"):
        corpus.read_split(_split(tmp_path, [("Foo_bar_1.gbk", "X", "train", "11"), ("Foo_baz_2.gbk", "Y", "test", "11")]))
    with pytest.raises(InputError, match="line 2"):
        corpus.read_split(_split(tmp_path, [("Foo_bar_1.gbk", "X", "holdout", "11")]))
    with pytest.raises(InputError, match="no such file"):
        corpus.stored_tracks(corpus.read_split(_split(tmp_path, [("missing.gbk", "X", "train", "11")])), tmp_path,
                             tmp_path / "cache")


def test_train_from_a_corpus_chooses_by_gene_f1(tmp_path):
    from click.testing import CliRunner

    from genelstm.cli import main
    from genelstm import checkpoint

    split = _split(tmp_path, [(PHIX, "Phage", "train", "11"), (YERSINIA, "Gamma", "val", "11")])
    out = tmp_path / "m.pt"
    r = CliRunner().invoke(main, ["train", "--corpus", str(split), "--data-dir", str(TEST_DATA), "--cache-dir",
                                  str(tmp_path / "cache"), "-o", str(out), "--epochs", "2", "--steps-per-epoch", "3",
                                  "--window", "900", "--batch-size", "4", "--hidden", "16", "--layers", "1",
                                  "--threads", "1", "--no-progress"])
    assert r.exit_code == 0, r.output
    rows = [json.loads(x) for x in (tmp_path / "m.metrics.jsonl").read_text().splitlines()]
    assert len(rows) == 2 and all("val_gene_stop_f1" in x and "val_strand_confusion" in x for x in rows)
    assert set(rows[0]["val_gene"]) == {"yersinia_pestis_plasmid_pPCP1_NC_005816"}
    ck = checkpoint.read(out)
    assert [g["genome"] for g in ck["data"]["genomes"]] == ["phiX174_NC_001422"]
    assert [g["genome"] for g in ck["data"]["val_genomes"]] == ["yersinia_pestis_plasmid_pPCP1_NC_005816"]


def test_a_fine_tune_is_validated_with_and_carries_its_initial_decoder_settings(tmp_path):
    """train --init from a checkpoint with tuned decoder settings validates with them (the network alone, as
    --no-adapt decodes, plus self-training's F1 beside) and writes them into its own checkpoint."""
    import torch
    from click.testing import CliRunner

    from genelstm.cli import main
    from genelstm import checkpoint

    split = _split(tmp_path, [(PHIX, "Phage", "train", "11"), (YERSINIA, "Gamma", "val", "11")])
    common = ["--corpus", str(split), "--data-dir", str(TEST_DATA), "--cache-dir", str(tmp_path / "cache"),
              "--epochs", "1", "--steps-per-epoch", "2", "--window", "900", "--batch-size", "4", "--threads", "1",
              "--no-progress"]
    first = tmp_path / "first.pt"
    r = CliRunner().invoke(main, ["train", *common, "-o", str(first), "--hidden", "16", "--layers", "1"])
    assert r.exit_code == 0, r.output
    ck = torch.load(first, weights_only=True)
    ck["decoder"] = {"min_score": 50.0, "small": {"min_score": 25.0, "coding_weight": 1.0}}
    torch.save(ck, first)
    out = tmp_path / "tuned.pt"
    r = CliRunner().invoke(main, ["train", *common, "-o", str(out), "--init", str(first)])
    assert r.exit_code == 0, r.output
    assert checkpoint.read(out)["decoder"] == ck["decoder"]
    row = json.loads((tmp_path / "tuned.metrics.jsonl").read_text().splitlines()[0])
    assert {"val_gene_adapt_stop_f1", "val_gene_adapt_start_stop_f1"} <= set(row)
    assert "adapt_stop_f1" in row["val_gene"]["yersinia_pestis_plasmid_pPCP1_NC_005816"]


def test_gene_metrics_decode_with_the_given_decoder_settings():
    """The bundled model finds most of the Yersinia plasmid's genes with its own settings (read linear here, so
    a frame running off the record's end is one more call; predict reads it circular); a threshold no gene
    reaches, given as the checkpoint's small-input setting, must empty the network-alone calls."""
    import torch

    from genelstm import checkpoint
    from genelstm.models import resolve
    from genelstm.validation import gene_metrics, load_val_genome

    path = resolve("prokaryote")
    model, _, _ = checkpoint.load_model(path)
    dec = torch.load(path, weights_only=True)["decoder"]
    vg = [load_val_genome(TEST_DATA / YERSINIA)]
    tuned = gene_metrics(model, vg, decoder=dec)
    assert tuned["val_gene_stop_f1"] >= 0.8 and tuned["val_gene_adapt_stop_f1"] > 0
    closed = gene_metrics(model, vg, decoder={**dec, "small": {**dec["small"], "min_score": 1e9}})
    assert closed["val_gene_stop_f1"] == 0 and closed["val_strand_confusion"] == tuned["val_strand_confusion"]
