import pytest
from hypothesis import given
from hypothesis import strategies as st

from genelstm.windows import split_records, windows


@given(length=st.integers(1, 5000), size=st.integers(1, 700), overlap_frac=st.floats(0, 0.9))
def test_windows_cover_every_base_with_fixed_size(length, size, overlap_frac):
    overlap = int(size * overlap_frac)
    ws = list(windows("r", length, size, overlap))
    covered = set()
    for w in ws:
        assert w.length == min(size, length)
        assert 0 <= w.start < w.end <= length
        covered.update(range(w.start, w.end))
    assert covered == set(range(length))
    for a, b in zip(ws, ws[1:]):
        assert b.start - a.start <= size - overlap


def test_bad_window_arguments():
    with pytest.raises(ValueError, match="overlap must be"):
        list(windows("r", 100, 10, 10))


RECS = [f"KL{i}" for i in range(1, 101)] + [f"OC{i}" for i in range(1, 11)]


def test_split_by_list_and_pattern():
    tr, va = split_records(RECS, val_records=["KL5", "OC2"])
    assert va == ["KL5", "OC2"] and len(tr) == len(RECS) - 2
    tr, va = split_records(RECS, val_pattern="OC*")
    assert va == [f"OC{i}" for i in range(1, 11)] and not set(tr) & set(va)
    with pytest.raises(ValueError, match="not found: nope"):
        split_records(RECS, val_records=["nope"])


def test_split_by_fraction_is_seeded_disjoint_and_order_free():
    tr, va = split_records(RECS, val_fraction=0.2, seed=1)
    assert set(tr) | set(va) == set(RECS) and not set(tr) & set(va)
    assert 10 <= len(va) <= 35
    tr2, va2 = split_records(list(reversed(RECS)), val_fraction=0.2, seed=1)
    assert set(va2) == set(va)
    _, va3 = split_records(RECS, val_fraction=0.2, seed=2)
    assert set(va3) != set(va)
    _, va4 = split_records(RECS[:50], val_fraction=0.2, seed=1)
    assert set(va4) == set(va) & set(RECS[:50])
