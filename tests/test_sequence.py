import gzip
import random
from pathlib import Path

import numpy as np
import pytest
from Bio import bgzf
from hypothesis import given, settings
from hypothesis import strategies as st

from genelstm.alphabet import encode
from genelstm.errors import InputError
from genelstm.sequence import FastaGenome, _genbank_sequences, read_genbank, read_sequences, sniff_format


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


# ---------------------------------------------------------------- GenBank sequences without features

TEST_DATA = Path(__file__).resolve().parent.parent / "test_data"
SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data"


def _same_genome(a, b):
    assert list(a.records.values()) == list(b.records.values())  # ids, lengths, topology, in file order
    for rid in a.records:
        assert a.fetch(rid) == b.fetch(rid)


def _genbank(path, records, *, circular=(), lengths=None):
    """A GenBank file written by hand: one LOCUS/ORIGIN pair per record, bases 60 per line in groups of 10."""
    lines = []
    for name, seq in records:
        n = (lengths or {}).get(name, len(seq or "A" * 100))
        topo = "circular" if name in circular else "linear"
        lines.append(f"LOCUS       {name:<16s}{n:>11d} bp    DNA     {topo}   BCT 01-JAN-2000")
        lines.append("FEATURES             Location/Qualifiers")
        lines.append("     source          1..%d" % n)
        if seq is not None:
            lines.append("ORIGIN")
            for i in range(0, len(seq), 60):
                groups = " ".join(seq[j : j + 10] for j in range(i, min(i + 60, len(seq)), 10))
                lines.append(f"{i + 1:>9d} {groups}")
        lines.append("//")
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("name", ["yersinia_pestis_plasmid_pPCP1_NC_005816.gbk.gz", "phiX174_NC_001422.gbk.gz"])
def test_genbank_sequence_scan_equals_biopython_on_real_files(name):
    path = TEST_DATA / name
    fast = _genbank_sequences(path)
    assert fast is not None  # the scan itself read it, not the fallback
    _same_genome(fast, read_genbank(path)[0])
    assert all(r.circular for r in fast.records.values())  # both are circular molecules


def test_genbank_sequence_scan_equals_biopython_on_constructed_records(tmp_path):
    rng = random.Random(3)
    recs = [(f"c{i}", "".join(rng.choice("acgtn") for _ in range(rng.randrange(1, 400)))) for i in range(5)]
    path = _genbank(tmp_path / "x.gbk", recs, circular={"c2"})
    fast = _genbank_sequences(path)
    assert fast is not None and fast.records["c2"].circular and not fast.records["c1"].circular
    assert fast.fetch("c0") == recs[0][1].upper()
    _same_genome(fast, read_genbank(path)[0])


def test_unusual_genbank_records_go_to_biopython_with_the_same_result(tmp_path):
    seq = "ACGTTGCA" * 20
    duplicate = _genbank(tmp_path / "dup.gbk", [("A", seq), ("A", seq[::-1])])
    wrong_length = _genbank(tmp_path / "len.gbk", [("A", seq)], lengths={"A": len(seq) + 5})
    for path in (duplicate, wrong_length):
        assert _genbank_sequences(path) is None
        _same_genome(read_sequences(path), read_genbank(path)[0])
    assert list(read_sequences(duplicate).records) == ["A", "A_2"]


@pytest.mark.parametrize("records, message", [
    ([("A", "ACGT" * 30), ("B", None)], "cannot parse genbank"),
    ([("A", "ACGT" * 30 + "XJ")], "record 'A'"),
])
def test_bad_genbank_records_fail_as_biopython_says(tmp_path, records, message):
    path = _genbank(tmp_path / "bad.gbk", records)
    with pytest.raises(InputError) as fast_err:
        read_sequences(path)
    with pytest.raises(InputError) as bio_err:
        read_genbank(path)
    assert str(fast_err.value) == str(bio_err.value) and message in str(fast_err.value)


@pytest.mark.skipif(not SHARED.is_dir(), reason="needs ../shared/data")
def test_genbank_sequence_scan_equals_biopython_on_the_first_data_set():
    files = sorted(SHARED.glob("*.gb*"))
    assert files
    for path in files:
        _same_genome(read_sequences(path), read_genbank(path)[0])
