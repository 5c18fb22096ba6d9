"""The network: leak-free next-base head, shapes, forget-gate initialisation."""
import pytest
import torch

from genelstm.config import ModelConfig
from genelstm.labels import EVENTS, REGIONS
from genelstm.model import GeneLSTM


VARIANTS = [dict(cell="lstm"), dict(cell="gru"), dict(cell="peephole"), dict(cell="cifg"),
            dict(cell="lstm", attention=3, offset_heads=True), dict(cell="lstm", mix=16)]


@pytest.mark.parametrize("pool,kernels,variant", [(9, (15, 9), v) for v in VARIANTS]
                         + [(p, k, v) for p, k in [(3, (7,)), (1, (5, 5))] for v in VARIANTS[:2]])
def test_changing_base_t_never_changes_the_distribution_for_base_t(pool, kernels, variant):
    torch.manual_seed(0)
    cfg = ModelConfig(pool=pool, conv_kernels=kernels, hidden=16, layers=2, conv_channels=8,
                      lm_context=12, **variant)
    model = GeneLSTM(cfg).eval()
    length = 20 * pool * 3 if pool > 1 else 60
    codes = torch.randint(0, 4, (1, length))
    soft = torch.rand(1, length) < 0.3
    with torch.no_grad():
        base = model(codes, soft)["next_base"]
        neighbours_moved = 0
        for t in range(length):
            c2, s2 = codes.clone(), soft.clone()
            c2[0, t] = (c2[0, t] + 1 + t % 3) % 4
            s2[0, t] = ~s2[0, t]
            out = model(c2, s2)["next_base"]
            assert torch.equal(out[0, :, t], base[0, :, t]), f"base {t} leaks into its own prediction"
            neighbours_moved += int((out != base).any(1).sum())
    # the check is not vacuous: each change does move the predictions at other positions
    assert neighbours_moved > length * 10


def test_output_shapes_and_forget_bias():
    cfg = ModelConfig(hidden=8, layers=2, conv_channels=8, forget_bias=2.0)
    model = GeneLSTM(cfg)
    codes = torch.randint(0, 5, (3, 270))
    out = model(codes, torch.zeros_like(codes, dtype=torch.bool))
    assert out["region"].shape == (3, 2, len(REGIONS), 270)
    assert out["events"].shape == (3, 2, len(EVENTS), 270)
    assert out["next_base"].shape == (3, 4, 270)
    for name, p in model.fwd.named_parameters():
        if name.startswith("bias"):
            assert torch.all(p[8:16] == 1.0) and not torch.all(p[:8] == 1.0)
    cifg = GeneLSTM(ModelConfig(cell="cifg", hidden=8, layers=2, conv_channels=8, forget_bias=2.0))
    for name, p in cifg.bwd.named_parameters():  # CIFG has no input-gate rows: forget comes first
        if name.startswith("bias"):
            assert p.shape == (24,) and torch.all(p[:8] == 1.0) and not torch.all(p[8:16] == 1.0)


def test_length_must_be_a_multiple_of_pool():
    model = GeneLSTM(ModelConfig(hidden=8, conv_channels=8))
    with pytest.raises(ValueError, match="multiple of pool 9"):
        model(torch.zeros(1, 100, dtype=torch.long), torch.zeros(1, 100, dtype=torch.bool))


@pytest.mark.parametrize("variant", VARIANTS)
def test_a_record_batched_with_longer_ones_gets_the_same_outputs_as_alone(variant):
    torch.manual_seed(1)
    model = GeneLSTM(ModelConfig(hidden=16, layers=2, conv_channels=8, **variant)).eval()
    if model.offset is not None:  # not left at its zero initialisation, so the test can see it
        torch.nn.init.normal_(model.offset)
    lengths = [100, 451, 270]  # 100 and 451 are not multiples of the pool (9)
    width = 459
    codes = torch.full((3, width), 4, dtype=torch.long)
    soft = torch.zeros(3, width, dtype=torch.bool)
    for i, n in enumerate(lengths):
        codes[i, :n] = torch.randint(0, 4, (n,))
        soft[i, :n] = torch.rand(n) < 0.2
    with torch.no_grad():
        batched = model(codes, soft, lm=False, lengths=torch.tensor(lengths))
        for i, n in enumerate(lengths):
            pad = -(-n // 9) * 9
            alone = model(codes[i : i + 1, :pad], soft[i : i + 1, :pad], lm=False)
            for key in ("region", "events"):
                assert torch.allclose(batched[key][i, ..., :n], alone[key][0, ..., :n], atol=1e-5), (key, n)
