"""evaluate on hand-computed cases."""
import pytest
from click.testing import CliRunner

from genelstm.cli import main
from genelstm.evaluate import evaluate
from genelstm.genemodel import Transcript
from genelstm.sequence import MemoryGenome


def T(cds, strand=1, p5=False, p3=False, seqid="c"):
    return Transcript("t", seqid, strand, tuple(cds), partial5=p5, partial3=p3)


GENOME = MemoryGenome("g", {"c": "A" * 1000})


def test_hand_computed_levels():
    ref = [T([(100, 400)]), T([(700, 600)], strand=-1) if False else T([(600, 700)], strand=-1),
           T([(800, 850), (900, 961)])]
    pred = [T([(130, 400)]),  # same stop, other start
            T([(600, 700)], strand=1),  # wrong strand
            T([(800, 850), (900, 961)])]  # exact
    res = evaluate(GENOME, ref, pred)
    # coding bases: ref 300 + 100 + 111 = 511 ; pred 270 + 100 + 111 = 481 ; overlap 270 + 0 + 111 = 381
    assert res["base"]["matched_reference"] == 381
    assert res["base"]["sensitivity"] == pytest.approx(381 / 511, abs=1e-6)
    assert res["base"]["precision"] == pytest.approx(381 / 481, abs=1e-6)
    assert (res["exon"]["matched_reference"], res["exon"]["reference"], res["exon"]["predicted"]) == (2, 4, 4)
    assert res["gene_stop"]["matched_reference"] == 2
    assert res["gene_start_stop"]["matched_reference"] == 1
    assert res["gene_structure"]["matched_reference"] == 1
    assert res["gene_stop"]["f1"] == pytest.approx(2 / 3, abs=1e-6)
    assert res["events"]["donor"]["matched_reference"] == 1


def test_event_tolerance():
    ref = [T([(100, 400)])]
    pred = [T([(103, 400)])]
    assert evaluate(GENOME, ref, pred, tolerance=0)["events"]["start"]["matched_reference"] == 0
    assert evaluate(GENOME, ref, pred, tolerance=3)["events"]["start"]["matched_reference"] == 1


def test_partial_reference_end_matches_partial_prediction():
    ref = [T([(0, 300)], p5=True)]
    pred = [T([(2, 300)], p5=True)]
    res = evaluate(GENOME, ref, pred)
    assert res["gene_start_stop"]["matched_reference"] == 1
    assert res["gene_structure"]["matched_reference"] == 1
    assert "start" not in res["events"]
    pred_complete = [T([(60, 300)])]
    assert evaluate(GENOME, ref, pred_complete)["gene_start_stop"]["matched_reference"] == 0


def test_cli_on_gff3_files(tmp_path):
    fa = tmp_path / "g.fa"
    fa.write_text(">c\n" + "ATG" + "GCT" * 30 + "TAA" + "C" * 100 + "\n")
    ref = tmp_path / "r.gff3"
    ref.write_text("##gff-version 3\nc\t.\tCDS\t1\t93\t.\t+\t0\tParent=g1\n")  # stop left out
    pred = tmp_path / "p.gff3"
    pred.write_text("##gff-version 3\nc\t.\tCDS\t1\t96\t.\t+\t0\tParent=m1\n")
    r = CliRunner().invoke(main, ["evaluate", "-r", str(ref), "-p", str(pred), "-g", str(fa),
                                  "--json", str(tmp_path / "e.json"), "--tsv", str(tmp_path / "e.tsv")])
    assert r.exit_code == 0, r.output
    assert "genes: exact structure" in r.stdout
    import json

    res = json.loads((tmp_path / "e.json").read_text())
    assert res["gene_structure"]["f1"] == 1.0  # the reference CDS was completed with its stop codon
    assert (tmp_path / "e.tsv").read_text().count("\n") == 1 + 5 + len(res["events"])


@pytest.mark.skipif(not __import__("shutil").which("gt"), reason="genometools (gt) not installed")
def test_agrees_with_gt_eval_on_bases_and_exons(tmp_path):
    """gt eval and genelstm evaluate count the same CDS exons and coding bases (spliced genes, both strands)."""
    import re
    import subprocess

    from conftest import TEST_DATA
    from genelstm.evaluate import reference_models
    from genelstm.gff3 import write_gff3

    ref = TEST_DATA / "synthetic_introns.gff3"
    g, r, _, _ = reference_models(ref, TEST_DATA / "synthetic_introns.fa", ref)
    # a prediction: drop one gene, move one start by 3 bp, keep the rest
    pred = [r[i] for i in range(len(r)) if i != 2]
    t = pred[0]
    s, e = t.cds[0]
    pred[0] = Transcript("moved", t.seqid, t.strand, ((s + 3, e),) + t.cds[1:] if t.strand == 1
                         else ((s, e - 3),) + t.cds[1:])
    pred_path, ref_path = tmp_path / "p.gff3", tmp_path / "r.gff3"
    for path, txs in ((pred_path, pred), (ref_path, r)):
        with open(path, "w") as fh:
            write_gff3(fh, list(g), [Transcript(f"g{i}", x.seqid, x.strand, x.cds) for i, x in enumerate(txs)])
    ours = evaluate(g, r, pred)
    out = subprocess.run(["gt", "eval", str(ref_path), str(pred_path)], capture_output=True, text=True, check=True).stdout
    exon = re.search(r"exon sensitivity \(CDS level, all\):\s+[\d.]+% \((\d+)/(\d+)\)", out)
    assert (int(exon.group(1)), int(exon.group(2))) == (ours["exon"]["matched_reference"], ours["exon"]["reference"])
    nuc = re.search(r"nucleotide sensitivity \(CDS level\):.*TP=(\d+) \+ FN=(\d+)", out)
    assert int(nuc.group(1)) == ours["base"]["matched_reference"]
    assert int(nuc.group(1)) + int(nuc.group(2)) == ours["base"]["reference"]


# Other tools' GFF3 shapes, all describing the same three genes of a 1 kb record "c":
# + 100-400, - 600-700 (reverse), + 800-961.
_GENES = [(101, 400, "+"), (601, 700, "-"), (801, 961, "+")]


def _prodigal_gff() -> str:  # CDS rows with ID only, Prodigal's partial flags
    rows = [f"c\tProdigal_v2.6.3\tCDS\t{s}\t{e}\t50.1\t{st}\t0\tID=1_{i};partial=00;start_type=ATG;"
            for i, (s, e, st) in enumerate(_GENES, 1)]
    return "##gff-version  3\n# Sequence Data: seqnum=1;seqlen=1000;seqhdr=\"c\"\n" + "\n".join(rows) + "\n"


def _prokka_gff() -> str:  # gene rows and CDS rows, the CDS carrying an ID and no Parent
    rows = []
    for i, (s, e, st) in enumerate(_GENES, 1):
        rows.append(f"c\tprokka\tgene\t{s}\t{e}\t.\t{st}\t.\tID=X_{i:05d}_gene;locus_tag=X_{i:05d}")
        rows.append(f"c\tProdigal:002006\tCDS\t{s}\t{e}\t.\t{st}\t0\tID=X_{i:05d};locus_tag=X_{i:05d};product=hypothetical protein")
    return "##gff-version 3\n##sequence-region c 1 1000\n" + "\n".join(rows) + "\n"


def _bakta_gff() -> str:  # gene rows with the CDS as their child
    rows = []
    for i, (s, e, st) in enumerate(_GENES, 1):
        rows.append(f"c\tProdigal\tgene\t{s}\t{e}\t.\t{st}\t.\tID=B_{i};locus_tag=B_{i}")
        rows.append(f"c\tProdigal\tCDS\t{s}\t{e}\t.\t{st}\t0\tID=B_{i}_cds;Parent=B_{i};locus_tag=B_{i}")
    return "##gff-version 3\n##sequence-region c 1 1000\n" + "\n".join(rows) + "\n"


def _gtf() -> str:
    rows = [f'c\tsrc\tCDS\t{s}\t{e}\t.\t{st}\t0\tgene_id "g{i}"; transcript_id "t{i}";'
            for i, (s, e, st) in enumerate(_GENES, 1)]
    return "\n".join(rows) + "\n"


@pytest.mark.parametrize("make,suffix", [(_prodigal_gff, "gff"), (_prokka_gff, "gff3"), (_bakta_gff, "gff3"),
                                         (_gtf, "gtf")])
def test_evaluate_reads_other_tools_gff(tmp_path, make, suffix):
    fa = tmp_path / "g.fa"
    fa.write_text(">c\n" + "A" * 1000 + "\n")
    ref = tmp_path / "ref.gff3"
    ref.write_text("##gff-version 3\n" + "\n".join(
        f"c\tref\tCDS\t{s}\t{e}\t.\t{st}\t0\tID=r{i};Parent=m{i}" for i, (s, e, st) in enumerate(_GENES, 1)) + "\n")
    pred = tmp_path / f"pred.{suffix}"
    pred.write_text(make())
    res = CliRunner().invoke(main, ["evaluate", "-r", str(ref), "-p", str(pred), "--json", str(tmp_path / "e.json")])
    assert res.exit_code == 0, res.output
    import json

    got = json.loads((tmp_path / "e.json").read_text())
    assert got["gene_structure"]["predicted"] == 3
    assert got["gene_structure"]["f1"] == 1.0


def test_evaluate_reads_pyrodigal_output(tmp_path):
    pyrodigal = pytest.importorskip("pyrodigal")
    from genelstm.annotation import read_genome
    from genelstm.evaluate import reference_models

    ref = str(__import__("conftest").TEST_DATA / "yersinia_pestis_plasmid_pPCP1_NC_005816.gbk.gz")
    genome, _ = read_genome(ref)
    rec = next(iter(genome))
    genes = pyrodigal.GeneFinder(meta=True).find_genes(genome.fetch(rec.id).upper().encode())
    gff = tmp_path / "pyrodigal.gff"
    with open(gff, "w") as fh:
        genes.write_gff(fh, sequence_id=rec.id + ".1")  # accession.version, as NCBI FASTA headers have it
    g, r, p, _ = reference_models(ref, None, gff)
    assert len(p) == len(genes)
    res = evaluate(g, r, p)
    want_stops = {(gene.strand, gene.end if gene.strand == 1 else gene.begin - 1) for gene in genes}
    got_stops = {(t.strand, t.end if t.strand == 1 else t.start) for t in p}
    assert got_stops == want_stops
    assert res["gene_stop"]["f1"] > 0.8
