import gzip
import random

import numpy as np
import pytest
from Bio import bgzf
from hypothesis import given, settings
from hypothesis import strategies as st

from genelstm.alphabet import encode
from genelstm.sequence import FastaGenome, sniff_format


def write_fasta(path, records, width=60, opener=open):
    with opener(path, "wt") as fh:
        for name, seq in records.items():
            fh.write(f">{name} some description\n")
            for i in range(0, len(seq), width):
                fh.write(seq[i : i + width] + "\n")


RECS = {"chr1": "ACGTacgtNNRYacgt" * 40 + "A", "chr2": "GATTACA" * 13}


@pytest.mark.parametrize("kind", ["plain", "gzip", "bgzip"])
def test_fasta_kinds_give_the_same_sequences(tmp_path, kind):
    path = tmp_path / f"g.fa{'' if kind == 'plain' else '.gz'}"
    opener = {"plain": open, "gzip": gzip.open, "bgzip": lambda p, m: bgzf.open(p, "wt")}[kind]
    write_fasta(path, RECS, opener=opener)
    g = FastaGenome(path)
    assert [(r.id, r.length) for r in g] == [("chr1", len(RECS["chr1"])), ("chr2", len(RECS["chr2"]))]
    assert g.fetch("chr1") == RECS["chr1"]
    assert g.fetch("chr1", 5, 33) == RECS["chr1"][5:33]
    assert g.fetch("chr2", 90, 91) == RECS["chr2"][90:91]


def test_soft_mask_and_iupac_become_a_mask_channel_and_n():
    codes, soft = encode("ACgtRyN")
    assert codes.tolist() == [0, 1, 2, 3, 4, 4, 4]
    assert soft.tolist() == [False, False, True, True, False, True, False]


def test_ragged_fasta_is_rewritten_and_read_correctly(tmp_path):
    path = tmp_path / "ragged.fa"
    path.write_text(">a\nACGT\nAC\nGTTT\n\n>b\nGG GG\nTT\n")
    g = FastaGenome(path)
    assert g.fetch("a") == "ACGTACGTTT"
    assert g.fetch("b") == "GGGGTT"
    assert g.plain_path != path  # a regular copy was made in the cache


def test_index_goes_to_cache_when_folder_is_read_only(tmp_path, monkeypatch):
    from genelstm import sequence

    d = tmp_path / "ro"
    d.mkdir()
    write_fasta(d / "g.fa", RECS)
    # root may write anywhere, so the permission check is what is simulated here
    monkeypatch.setattr(sequence, "_writable_dir", lambda folder: folder != d)
    g = FastaGenome(d / "g.fa")
    assert g.fetch("chr2") == RECS["chr2"]
    assert not (d / "g.fa.fai").exists()
    assert g.plain_path == d / "g.fa"  # read in place, only the index moved


def test_index_is_written_beside_a_plain_fasta(tmp_path):
    write_fasta(tmp_path / "g.fa", RECS)
    FastaGenome(tmp_path / "g.fa")
    assert (tmp_path / "g.fa.fai").read_text().splitlines()[0].split("\t")[:2] == ["chr1", str(len(RECS["chr1"]))]


@settings(max_examples=30, deadline=None)
@given(
    seqs=st.lists(st.text(alphabet="ACGTNacgtn", min_size=1, max_size=300), min_size=1, max_size=4),
    width=st.integers(1, 80),
    gz=st.booleans(),
)
def test_any_wrapping_reads_back_exactly(tmp_path_factory, seqs, width, gz):
    d = tmp_path_factory.mktemp("h")
    recs = {f"r{i}": s for i, s in enumerate(seqs)}
    path = d / ("g.fa.gz" if gz else "g.fa")
    write_fasta(path, recs, width=width, opener=gzip.open if gz else open)
    g = FastaGenome(path)
    rng = random.Random(len(seqs) * 1000 + width)
    for rid, s in recs.items():
        assert g.fetch(rid) == s
        a = rng.randrange(len(s))
        b = rng.randrange(a, len(s) + 1)
        assert g.fetch(rid, a, b) == s[a:b]
        codes, soft = g.encode(rid, a, b)
        assert np.array_equal(soft, np.array([c.islower() for c in s[a:b]], bool))


def test_format_is_sniffed_from_content(tmp_path):
    (tmp_path / "x.txt").write_text(">a\nACGT\n")
    assert sniff_format(tmp_path / "x.txt") == "fasta"
    (tmp_path / "y.txt").write_text("LOCUS       X  4 bp  DNA\n")
    assert sniff_format(tmp_path / "y.txt") == "genbank"
