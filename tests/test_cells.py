"""Hand-written recurrent cells agree with nn.LSTM exactly where the two coincide."""
import pytest
import torch
from torch import nn

from genelstm.cells import CellStack, recurrent


def _lstm_and_cells(kind, seed=0, inp=5, hidden=6, layers=2):
    torch.manual_seed(seed)
    ref = nn.LSTM(inp, hidden, num_layers=layers, batch_first=True)
    mine = CellStack(kind, inp, hidden, layers)
    return ref, mine


def test_peephole_with_zero_peepholes_is_nn_lstm():
    ref, mine = _lstm_and_cells("peephole")
    with torch.no_grad():
        for name, p in ref.named_parameters():
            getattr(mine, name).copy_(p)
        for k in range(2):
            getattr(mine, f"peep_l{k}").zero_()
    x = torch.randn(3, 11, 5)
    h0, c0 = torch.randn(2, 3, 6), torch.randn(2, 3, 6)
    out_r, (h_r, c_r) = ref(x, (h0, c0))
    out_m, (h_m, c_m) = mine(x, (h0, c0))
    for a, b in ((out_r, out_m), (h_r, h_m), (c_r, c_m)):
        assert torch.allclose(a, b, atol=1e-6)


def test_peepholes_change_the_output_and_get_gradients():
    _, mine = _lstm_and_cells("peephole")
    x = torch.randn(2, 7, 5)
    out, _ = mine(x)
    out.sum().backward()
    assert mine.peep_l0.grad.abs().sum() > 0 and mine.peep_l1.grad.abs().sum() > 0
    with torch.no_grad():
        mine.peep_l0.zero_()
        assert not torch.allclose(mine(x)[0], out)


def test_cifg_is_nn_lstm_whose_input_gate_mirrors_its_forget_gate():
    ref, mine = _lstm_and_cells("cifg")
    h = 6
    with torch.no_grad():
        for name, p in ref.named_parameters():
            rows = p[h:]  # forget, cell, output rows -- CIFG's three gates
            getattr(mine, name).copy_(rows)
            p[:h] = -p[h : 2 * h]  # sigmoid(-z) = 1 - sigmoid(z): the input gate becomes 1 - forget
    x = torch.randn(4, 9, 5)
    out_r, (h_r, c_r) = ref(x)
    out_m, (h_m, c_m) = mine(x)
    for a, b in ((out_r, out_m), (h_r, h_m), (c_r, c_m)):
        assert torch.allclose(a, b, atol=1e-6)
    assert sum(p.numel() for p in mine.parameters()) == 3 * sum(p.numel() for p in ref.parameters()) // 4


def test_state_carried_between_blocks_equals_one_pass():
    """What a streaming engine relies on: running a sequence in two blocks, passing (h, c), is exact."""
    for kind in ("peephole", "cifg"):
        _, mine = _lstm_and_cells(kind, seed=3)
        x = torch.randn(2, 12, 5)
        whole, _ = mine(x)
        first, state = mine(x[:, :5])
        second, _ = mine(x[:, 5:], state)
        assert torch.allclose(torch.cat([first, second], 1), whole, atol=1e-6)


def test_unknown_cell_is_refused():
    with pytest.raises(ValueError, match="unknown cell"):
        recurrent("transformer", 4, 4, 1, 0.0)
