"""Two training processes (gloo on CPU, as torchrun would start them) train one model consistently."""
import json
import os

import pytest
import torch
import torch.multiprocessing as mp

from conftest import TEST_DATA


def _worker(rank: int, world: int, tmp: str) -> None:
    import torch.distributed as dist

    from genelstm import distributed
    from genelstm.annotation import load
    from genelstm.config import load_config
    from genelstm.dataset import tracks_of
    from genelstm.model import GeneLSTM
    from genelstm.train import fit

    os.environ["GENELSTM_CACHE"] = os.path.join(tmp, "cache")
    dist.init_process_group("gloo", init_method=f"file://{tmp}/rendezvous", rank=rank, world_size=world)
    torch.set_num_threads(1)
    cfg = load_config(None, dict(hidden=16, layers=1, conv_channels=8, batch_size=2, window=900, threads=1,
                                 epochs=2, steps_per_epoch=3, objective="both"))
    train = tracks_of(load(TEST_DATA / "phiX174_NC_001422.gbk.gz"))
    val = tracks_of(load(TEST_DATA / "yersinia_pestis_plasmid_pPCP1_NC_005816.gbk.gz"))
    torch.manual_seed(cfg.seed)
    model = GeneLSTM(cfg.model)
    data = {"train_bases": sum(t.length for t in train)}
    fit(model, cfg, train, val, data, os.path.join(tmp, "m.pt"), progress=False)
    assert distributed.world_size() == world and distributed.rank() == rank
    torch.save(model.state_dict(), os.path.join(tmp, f"rank{rank}.pt"))
    dist.destroy_process_group()


def test_two_gloo_processes_train_one_model(tmp_path):
    if not torch.distributed.is_available():
        pytest.skip("torch.distributed is not available")
    mp.spawn(_worker, args=(2, str(tmp_path)), nprocs=2, join=True)
    a = torch.load(tmp_path / "rank0.pt", weights_only=True)
    b = torch.load(tmp_path / "rank1.pt", weights_only=True)
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a), "ranks ended with different weights"
    rows = [json.loads(x) for x in (tmp_path / "m.metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in rows] == [1, 2]  # one metrics file, written once per epoch (rank 0)
    ck = torch.load(tmp_path / "m.pt", weights_only=True)
    assert not any(k.startswith("module.") for k in ck["state_dict"])
    assert all(torch.equal(ck["state_dict"][k], a[k]) for k in a) or ck["epoch"] == 1
