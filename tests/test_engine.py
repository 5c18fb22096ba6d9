"""The streaming engine gives, block by block, what the network gives when it sees a record whole."""
import numpy as np
import pytest
import torch

from genelstm.annotation import read_genome
from genelstm.config import ModelConfig
from genelstm.engine import RecordStream
from genelstm.model import GeneLSTM


@pytest.fixture(scope="module")
def genome(tmp_path_factory):
    rng = np.random.default_rng(0)
    seq = "".join(rng.choice(list("ACGT"), size=5003))
    seq = seq[:2000] + seq[2000:2600].lower() + "N" * 40 + seq[2640:]  # soft-masked and unknown bases too
    path = tmp_path_factory.mktemp("engine") / "g.fa"
    path.write_text(">r\n" + seq + "\n")
    return read_genome(path)[0]


def _whole(model, genome):
    """Region and event probabilities of the whole record in one forward pass."""
    p, n = model.cfg.pool, genome.records["r"].length
    length = -(-n // p) * p
    codes, soft = np.full(length, 4, np.uint8), np.zeros(length, bool)
    codes[:n], soft[:n] = genome.encode("r")
    with torch.no_grad():
        out = model(torch.from_numpy(codes)[None].long(), torch.from_numpy(soft)[None], lm=False)
    choice = out["choice"][0, :, :n].numpy() if "choice" in out else None
    return (torch.softmax(out["region"], 2)[0, ..., :n].numpy(), torch.sigmoid(out["events"])[0, ..., :n].numpy(),
            choice)


@pytest.mark.parametrize("variant", [dict(), dict(pool=3, conv_kernels=(7,)), dict(pool=1, conv_kernels=(5, 5)),
                                     dict(cell="gru"), dict(attention=3, offset_heads=True), dict(choice_head=True)])
def test_any_block_size_and_request_order_gives_the_whole_record_values(genome, variant):
    torch.manual_seed(0)
    model = GeneLSTM(ModelConfig(hidden=16, conv_channels=8, **variant)).eval()
    if model.offset is not None:
        torch.nn.init.normal_(model.offset)
    region, events, choice = _whole(model, genome)
    assert (choice is not None) == bool(variant.get("choice_head"))
    n = genome.records["r"].length
    requests = [(0, n), (1234, 4000), (17, 18), (4990, n), (2500, 2700), (0, 30)]  # right to left too
    for block, keep in ((27, 0), (270, 0), (999, 0), (100_000, 0), (270, 1 << 30), (999, 1 << 30)):
        stream = RecordStream(model, genome, "r", block=block, keep_bytes=keep)
        assert (stream._kept is not None) == bool(keep) == stream._keep
        for a, b in requests:
            probs = stream.probs(a, b)
            assert probs.region.shape == (2, region.shape[1], b - a)
            np.testing.assert_allclose(probs.region, region[..., a:b], atol=1e-6)
            np.testing.assert_allclose(probs.events, events[..., a:b], atol=1e-6)
            if choice is not None:
                np.testing.assert_allclose(probs.choice, choice[..., a:b], atol=1e-5)


def test_blocks_are_needed_and_forgotten(genome):
    """The check is not vacuous (a block boundary inside the request) and memory stays bounded."""
    model = GeneLSTM(ModelConfig(hidden=16, conv_channels=8)).eval()
    stream = RecordStream(model, genome, "r", block=270)
    assert len(stream.bounds) > 15
    for a in range(0, 5000, 500):
        stream.probs(a, a + 500)
        assert len(stream._cache) <= 2 + stream.batch_size


@pytest.mark.parametrize("variant", [dict(), dict(pool=3, conv_kernels=(7,)), dict(cell="gru")])
def test_next_base_surprisal_equals_the_whole_record_pass(genome, variant):
    torch.manual_seed(2)
    model = GeneLSTM(ModelConfig(hidden=16, conv_channels=8, lm_context=12, **variant)).eval()
    p, n = model.cfg.pool, genome.records["r"].length
    length = -(-n // p) * p
    codes, soft = np.full(length, 4, np.uint8), np.zeros(length, bool)
    codes[:n], soft[:n] = genome.encode("r")
    with torch.no_grad():
        logits = model(torch.from_numpy(codes)[None].long(), torch.from_numpy(soft)[None], tag=False)["next_base"]
    logp = torch.log_softmax(logits, 1)[0].numpy()
    whole = -logp[np.minimum(codes, 3), np.arange(length)][:n] / np.log(2)
    whole[codes[:n] == 4] = np.nan
    for block, keep in ((54, 0), (999, 0), (54, 1 << 30)):
        stream = RecordStream(model, genome, "r", block=block, lm=True, keep_bytes=keep)
        for a, b in [(0, n), (2500, 2700), (1000, 1001)]:
            np.testing.assert_allclose(stream.bits(a, b), whole[a:b], atol=1e-5)
    assert np.isnan(whole).sum() == 40
    with pytest.raises(ValueError, match="lm=True"):
        RecordStream(model, genome, "r").bits(0, 10)
