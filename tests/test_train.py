"""Training end to end on small data: bits/base on random DNA, reproducibility, resume after SIGKILL."""
import os
import random
import signal
import subprocess
import sys
import time

import pytest
import torch

from genelstm import checkpoint
from genelstm.config import TrainConfig, load_config
from genelstm.errors import InputError
from genelstm.train import TrainInputs, run
from conftest import TEST_DATA

SMALL = dict(hidden=16, layers=1, conv_channels=8, batch_size=4, window=540, threads=1)


def small_cfg(**kw) -> TrainConfig:
    return load_config(None, {**SMALL, **kw})


def random_fasta(path, n, seed, records=4):
    rng = random.Random(seed)
    with open(path, "w") as fh:
        for r in range(records):
            seq = "".join(rng.choice("ACGT") for _ in range(n // records))
            fh.write(f">r{r}\n{seq}\n")
    return path


def test_lm_on_uniform_random_dna_scores_two_bits(tmp_path):
    train = random_fasta(tmp_path / "train.fa", 120_000, 1)
    fresh = random_fasta(tmp_path / "fresh.fa", 60_000, 2)
    cfg = small_cfg(objective="lm", epochs=2, steps_per_epoch=40, batch_size=8, lr=3e-3)
    best = run(cfg, TrainInputs([str(train)], val_genomes=[str(fresh)]), tmp_path / "m.pt", progress=False)
    assert abs(best["val_bits_per_base"] - 2.0) <= 0.03, best


def _train_small(tmp_path, name, **kw):
    cfg = small_cfg(epochs=3, steps_per_epoch=3, **kw)
    inputs = TrainInputs([str(TEST_DATA / "synthetic_prok.fa"), str(TEST_DATA / "phiX174_NC_001422.gbk.gz")],
                         [str(TEST_DATA / "synthetic_prok.gff3")])
    cfg.val_records = ["synth2"]
    run(cfg, inputs, tmp_path / f"{name}.pt", progress=False)
    return (tmp_path / f"{name}.metrics.jsonl").read_text()


def test_same_seed_same_metrics_file(tmp_path):
    a = _train_small(tmp_path, "a")
    b = _train_small(tmp_path, "b")
    assert a == b and len(a.splitlines()) == 3
    c = _train_small(tmp_path, "c", seed=5)
    assert c != a


def test_checkpoint_carries_what_it_needs_and_loads_safely(tmp_path):
    _train_small(tmp_path, "m")
    ck = checkpoint.read(tmp_path / "m.pt")
    assert ck["alphabet"] == "ACGTN" and ck["regions"][0] == "intergenic" and ck["events"][0] == "start"
    assert ck["package_version"] and ck["torch_version"] == torch.__version__ and ck["seed"] == 0
    assert ck["config"]["model"]["hidden"] == 16
    assert ck["data"]["val_records"] == ["synth2"] and ck["data"]["train_records"] == 2
    model, cfg, _ = checkpoint.load_model(tmp_path / "m.pt")
    assert cfg.model.hidden == 16 and not model.training


def test_corrupt_and_foreign_checkpoints_give_clear_errors(tmp_path):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint at all")
    with pytest.raises(InputError, match="not a readable genelstm checkpoint"):
        checkpoint.read(bad)
    foreign = tmp_path / "foreign.pt"
    torch.save({"weights": torch.zeros(3)}, foreign)
    with pytest.raises(InputError, match="not a genelstm checkpoint"):
        checkpoint.read(foreign)

    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    evil = tmp_path / "evil.pt"
    torch.save({"format": "genelstm-checkpoint", "x": Evil()}, evil)
    with pytest.raises(InputError, match="not a readable genelstm checkpoint"):
        checkpoint.read(evil)


def test_config_file_with_command_line_overrides(tmp_path):
    y = tmp_path / "c.yaml"
    y.write_text("epochs: 7\nbatch_size: 3\nmodel:\n  hidden: 33\n  cell: gru\n")
    cfg = load_config(y, {"batch_size": 5, "threads": None})
    assert (cfg.epochs, cfg.batch_size, cfg.model.hidden, cfg.model.cell) == (7, 5, 33, "gru")
    y.write_text("epochs: 7\nbogus: 1\n")
    with pytest.raises(InputError, match="unknown option\\(s\\): bogus"):
        load_config(y, {})


def _cli(*args):
    return [sys.executable, "-m", "genelstm", "train", *map(str, args)]


def test_resume_after_sigkill_gives_the_same_metrics(tmp_path):
    common = [TEST_DATA / "synthetic_prok.fa", "-a", TEST_DATA / "synthetic_prok.gff3",
              "--val-records", "synth2", "--epochs", "5", "--steps-per-epoch", "6", "--window", "540",
              "--batch-size", "4", "--hidden", "16", "--layers", "1", "--threads", "1", "--no-progress"]
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    subprocess.run(_cli(*common, "-o", tmp_path / "full.pt"), check=True, env=env, capture_output=True)
    want = (tmp_path / "full.metrics.jsonl").read_text()
    metrics = tmp_path / "killed.metrics.jsonl"
    proc = subprocess.Popen(_cli(*common, "-o", tmp_path / "killed.pt"), env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline:
        if metrics.exists() and len(metrics.read_text().splitlines()) >= 2:
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = len(metrics.read_text().splitlines())
    assert done < 5, "the run finished before it could be killed"
    assert (tmp_path / "killed.pt.resume").exists()
    subprocess.run(_cli(*common, "-o", tmp_path / "killed.pt", "--resume"), check=True, env=env,
                   capture_output=True)
    assert metrics.read_text() == want
    assert not (tmp_path / "killed.pt.resume").exists()
    a = checkpoint.read(tmp_path / "full.pt")["state_dict"]
    b = checkpoint.read(tmp_path / "killed.pt")["state_dict"]
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_tag_objective_needs_an_annotation(tmp_path):
    cfg = small_cfg(objective="both")
    with pytest.raises(InputError, match="no annotation for this genome"):
        run(cfg, TrainInputs([str(TEST_DATA / "synthetic_prok.fa")]), tmp_path / "m.pt", progress=False)


def test_a_time_budget_moves_the_decay_along():
    """With --max-minutes the learning rate reaches its floor when the time runs out, not the steps."""
    from genelstm.config import TrainConfig
    from genelstm.train import _schedule

    cfg = TrainConfig(warmup_steps=10)
    used = [0.0]
    f = _schedule(cfg, 1000, clock=lambda: used[0])
    g = _schedule(cfg, 1000)
    assert f(5) == g(5) == 0.6  # warm-up is by steps
    assert f(100) == g(100) > 0.95
    used[0] = 0.5
    assert abs(f(100) - 0.525) < 1e-9 and g(100) > 0.95  # half the time gone: half way down the cosine
    used[0] = 1.2
    assert abs(f(100) - 0.05) < 1e-9


def test_corpus_genomes_are_cached_in_parallel_processes(tmp_path):
    from genelstm.corpus import Entry, cache_all, stored_tracks

    data = TEST_DATA
    entries = [Entry("phiX174_NC_001422.gbk.gz", "phage A", "train"),
               Entry("yersinia_pestis_plasmid_pPCP1_NC_005816.gbk.gz", "plasmid B", "train")]
    cache_all(entries, data, tmp_path, workers=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(e.name for e in entries)
    tracks, summary = stored_tracks(entries, data, tmp_path)
    from genelstm.annotation import load

    lengths = [sum(r.length for r in load(data / e.file).genome) for e in entries]
    assert [s["bases"] for s in summary] == lengths and lengths[0] == 5386
    assert sum(t.length for t in tracks) == sum(lengths)


def _outputs_on_random_dna(*models, length: int) -> list[dict]:
    """Each model's logits (eval mode) on the same two random sequences."""
    codes = torch.randint(0, 4, (2, length))
    with torch.no_grad():
        return [m.eval()(codes, torch.zeros_like(codes)) for m in models]


def test_growing_a_trained_model_starts_from_exactly_its_outputs(tmp_path):
    """--init with --offset-heads/--attention adds layers that start as the identity: the grown model's
    logits equal the initial model's, and fine-tuning then trains the new parameters."""
    from genelstm.model import GeneLSTM
    from genelstm.train import grow_from

    _train_small(tmp_path, "m")
    init, cfg, _ = checkpoint.load_model(tmp_path / "m.pt")
    torch.manual_seed(0)
    for extra in ({"offset_heads": True}, {"attention": 2}, {"offset_heads": True, "attention": 2}):
        grown_cfg = load_config(None, {**SMALL, **extra}).model
        grown = GeneLSTM(grown_cfg)
        torch.nn.init.normal_(grown.attn.proj.weight) if grown.attn is not None else None
        grow_from(grown, init)
        a, b = _outputs_on_random_dna(init, grown, length=540)
        for k in a:
            assert torch.equal(a[k], b[k]), (extra, k)
    cfg2 = small_cfg(epochs=1, steps_per_epoch=3, offset_heads=True, attention=2)
    cfg2.val_records = ["synth2"]
    inputs = TrainInputs([str(TEST_DATA / "synthetic_prok.fa")], [str(TEST_DATA / "synthetic_prok.gff3")])
    run(cfg2, inputs, tmp_path / "grown.pt", init=tmp_path / "m.pt", progress=False)
    model, cfg3, _ = checkpoint.load_model(tmp_path / "grown.pt")
    assert cfg3.model.offset_heads and cfg3.model.attention == 2 and cfg3.model.hidden == 16
    cfg4 = small_cfg(epochs=1, steps_per_epoch=3)
    cfg4.val_records = ["synth2"]
    run(cfg4, inputs, tmp_path / "wide.pt", init=tmp_path / "m.pt", widen=24, progress=False)
    assert checkpoint.load_model(tmp_path / "wide.pt")[1].model.hidden == 24
    assert model.offset.abs().sum() > 0 and model.attn.proj.weight.abs().sum() > 0


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_widening_the_recurrent_stacks_keeps_the_outputs_and_lets_the_new_units_learn(cell):
    """A fine-tune with a larger --hidden: the new hidden units start unread (the widened network gives the
    initial network's logits, next base too) but not dead (their outgoing weights get a gradient)."""
    from genelstm.config import ModelConfig
    from genelstm.model import GeneLSTM
    from genelstm.train import _grown, grow_from

    torch.manual_seed(3)
    small = dict(conv_channels=6, mix=10, layers=2, cell=cell, lm_context=12)
    init = GeneLSTM(ModelConfig(hidden=8, **small)).eval()
    cfg = _grown(ModelConfig(hidden=8, **small), ModelConfig(), hidden=13)
    assert cfg.hidden == 13
    wide = GeneLSTM(cfg)
    grow_from(wide, init)
    a, b = _outputs_on_random_dna(init, wide, length=270)
    assert set(a) == set(b)
    for k in a:
        torch.testing.assert_close(b[k], a[k], atol=1e-5, rtol=1e-5)
    wide.train()
    codes, soft = torch.randint(0, 4, (2, 270)), torch.zeros(2, 270, dtype=torch.long)
    new_cols = torch.cat([wide.tag_chunk.weight[:, 8:13], wide.tag_chunk.weight[:, 21:]], dim=1)
    assert new_cols.abs().sum() == 0 and wide.fwd.weight_hh_l0[:8, 8:].abs().sum() == 0  # old units read no new one
    assert wide.fwd.weight_hh_l0[8:13].abs().sum() > 0 and wide.bwd.weight_ih_l1[8:13].abs().sum() > 0
    out = wide(codes, soft)
    (out["region"].logsumexp(2).sum() + out["next_base"].logsumexp(1).sum()).backward()
    assert wide.tag_chunk.weight.grad[:, 8:13].abs().sum() > 0 and wide.lm_chunk.weight.grad[:, 21:].abs().sum() > 0


def test_widening_refuses_to_narrow_or_to_widen_a_hand_written_cell():
    from genelstm.config import ModelConfig
    from genelstm.errors import GenelstmError
    from genelstm.train import _grown

    with pytest.raises(GenelstmError, match="only widen"):
        _grown(ModelConfig(hidden=16), ModelConfig(), hidden=8)
    with pytest.raises(GenelstmError, match="only widen"):
        _grown(ModelConfig(hidden=16, cell="cifg"), ModelConfig(), hidden=32)
    assert _grown(ModelConfig(hidden=16), ModelConfig(hidden=64)).hidden == 16  # a config's hidden is not a request


def test_growing_refuses_a_different_architecture(tmp_path):
    from genelstm.model import GeneLSTM
    from genelstm.train import grow_from

    _train_small(tmp_path, "m")
    init, _, _ = checkpoint.load_model(tmp_path / "m.pt")
    with pytest.raises(ValueError, match="cannot grow"):
        grow_from(GeneLSTM(load_config(None, {**SMALL, "layers": 2}).model), init)
