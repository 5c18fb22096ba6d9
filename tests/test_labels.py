"""The label scheme: exact labels on a constructed gene, and the round trip on every annotated file."""
import numpy as np
import pytest

from genelstm import synthetic
from genelstm.annotation import load
from genelstm.genemodel import Transcript
from genelstm.labels import (ACCEPTOR, CDS1, CDS2, CDS3, DONOR, INTERGENIC, INTRON, START, STOP, decode,
                             label_record, labels_by_record)
from conftest import TEST_DATA, shared_annotated


def key(t):
    return (t.seqid, t.strand, t.cds, t.partial5, t.partial3, t.phase)


def round_trip(ag):
    labs = labels_by_record(ag.checked, ag.genome)
    want = {key(c.transcript) for c in ag.checked if c.valid}
    got = set()
    for rid, lab in labs.items():
        got |= {key(t) for t in decode(lab, rid, circular=ag.genome.records[rid].circular)}
    return want, got


def test_exact_labels_of_a_spliced_minus_strand_gene():
    # minus-strand gene: exon A = [20, 26) read first, intron [10, 20), exon B = [4, 10)
    tx = Transcript("t", "c", -1, ((20, 26), (4, 10)))
    lab = label_record(30, [tx])
    r, ev = lab.region[1], lab.events[1]
    assert lab.region[0].tolist() == [INTERGENIC] * 30
    assert r[25] == CDS1 and r[24] == CDS2 and r[23] == CDS3 and r[20] == CDS3
    assert r[9] == CDS1 and r[4] == CDS3
    assert (r[10:20] == INTRON).all() and r[26:].tolist() == [0] * 4 and r[:4].tolist() == [0] * 4
    assert ev[25] == START and ev[6] == STOP
    assert ev[19] == DONOR and ev[10] == ACCEPTOR
    assert np.count_nonzero(ev) == 4
    assert [key(t) for t in decode(lab, "c")] == [key(tx)]


def test_masked_genes_and_n_runs_are_unknown():
    tx = Transcript("t", "c", 1, ((2, 8),))
    n = np.zeros(20, bool)
    n[15:18] = True
    lab = label_record(20, [], [tx], n)
    assert lab.mask[0, 2:8].all() and not lab.mask[1, 2:8].any()
    assert lab.mask[:, 15:18].all() and lab.mask.sum() == 6 + 6


@pytest.mark.parametrize("introns", [False, True])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_round_trip_synthetic(seed, introns, tmp_path):
    g = synthetic.make(seed, records=2, length=5000, genes_per_record=5, introns=introns)
    g.write(tmp_path / "s.fa", tmp_path / "s.gff3")
    ag = load(tmp_path / "s.fa", [tmp_path / "s.gff3"])
    assert len(ag.checked) == len(g.transcripts) and all(c.valid for c in ag.checked)
    assert {key(c.transcript) for c in ag.checked} == {key(t) for t in g.transcripts}
    want, got = round_trip(ag)
    assert want == got


@pytest.mark.parametrize("name", ["phiX174_NC_001422.gbk.gz", "yersinia_pestis_plasmid_pPCP1_NC_005816.gbk.gz",
                                  "synthetic_prok.fa", "synthetic_introns.fa"])
def test_round_trip_test_data(name):
    path = TEST_DATA / name
    anns = [path.with_suffix(".gff3")] if name.endswith(".fa") else []
    ag = load(path, anns)
    want, got = round_trip(ag)
    assert want and want == got


@pytest.mark.parametrize("genome,anns", shared_annotated() or [pytest.param(None, None, marks=pytest.mark.skip(
    reason="../shared/data not present"))], ids=lambda v: getattr(v, "name", None) if v is not None else "")
def test_round_trip_shared_data(genome, anns):
    ag = load(genome, anns)
    want, got = round_trip(ag)
    assert len(want) > 0
    assert want == got


def test_synthetic_files_in_test_data_are_reproducible(tmp_path):
    synthetic.make(3, records=2, length=8000, genes_per_record=6).write(tmp_path / "p.fa", tmp_path / "p.gff3")
    assert (tmp_path / "p.fa").read_text() == (TEST_DATA / "synthetic_prok.fa").read_text()
    assert (tmp_path / "p.gff3").read_text() == (TEST_DATA / "synthetic_prok.gff3").read_text()
