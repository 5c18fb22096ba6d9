"""Circular records: genes across the origin are searched for, written past the record end (NCBI's
convention, valid for gt) and read back as two segments."""
import io
import shutil
import subprocess

import numpy as np
import pytest

from genelstm.annotation import read_genome
from genelstm.decode import Call
from genelstm.genemodel import Transcript
from genelstm.genemodel import unwrapped
from genelstm.gff3 import write_genes, write_header
from genelstm.predict import Circularized
from genelstm.sequence import MemoryGenome

from click.testing import CliRunner

from genelstm.cli import main
from conftest import TEST_DATA


def run_cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_the_view_adds_the_other_end_on_both_sides_of_circular_records_only():
    g = MemoryGenome("x", {"c": "ACGTTGCAAC", "l": "AAAACCCC"}, circular={"c"})
    v = Circularized(g, extra=4)
    assert v.records["c"].length == 18 and v.records["l"].length == 8
    assert v.fetch("c") == "CAAC" + "ACGTTGCAAC" + "ACGT"
    assert v.fetch("c", 2, 16) == ("CAAC" + "ACGTTGCAAC" + "ACGT")[2:16]
    codes, _ = v.encode("c", 0, 18)
    np.testing.assert_array_equal(codes, g.encode("c")[0][np.arange(-4, 14) % 10])
    assert v.fetch("l") == "AAAACCCC"
    small = Circularized(g, extra=50)  # never more than the record itself on each side
    assert small.fetch("c") == "ACGTTGCAAC" * 3


def test_restore_keeps_one_copy_and_splits_genes_across_the_origin():
    g = MemoryGenome("x", {"c": "A" * 100}, circular={"c"})
    v = Circularized(g, extra=30)

    def call(s, e, strand=1):
        return Call(Transcript("", "c", strand, ((s, e),)), 1.0)

    got = v.restore("c", [call(10, 40), call(40, 70), call(120, 140), call(125, 160, -1), call(135, 170)])
    # view coordinates are the record's plus 30; copies starting before the middle copy (10-40) or after it
    # (135-170) are dropped; minus-strand segments are in transcription order: 29 down to 0, then 99 down
    assert [c.transcript.cds for c in got] == [((10, 40),), ((90, 100), (0, 10)), ((0, 30), (95, 100))]
    assert [c.transcript.strand for c in got] == [1, 1, -1]


def test_origin_spanning_genes_are_written_past_the_end_and_read_back(tmp_path):
    seq = "ATGAAACCCGGGTTTAAACCCGGG" * 4 + "TAA"  # 99 bases: ATG ... TAA, no inner stop in frame
    rec = seq[40:] + "C" * 50 + seq[:40]  # the gene starts 40 bases before the end
    n = len(rec)
    genome = MemoryGenome(tmp_path / "c.gb", {"c": rec}, circular={"c"})
    plus = Transcript("g1", "c", 1, ((n - 40, n), (0, 59)))
    assert plus.spliced_sequence(lambda s, e: rec[s:e]) == seq
    minus = Transcript("g2", "c", -1, ((0, 20), (n - 30, n)))
    assert unwrapped(plus, n) == [(n - 40, n), (n, n + 59)]
    assert unwrapped(minus, n) == [(n, n + 20), (n - 30, n)]
    buf = io.StringIO()
    write_header(buf, genome.records.values())
    write_genes(buf, [plus, minus], lengths={"c": n})
    text = buf.getvalue()
    assert f"c\tgenelstm\tgene\t{n - 40 + 1}\t{n + 59}\t" in text and "Is_circular=true" in text
    path = tmp_path / "c.gff3"
    path.write_text(text)
    from genelstm.annotation import read_annotation

    back = {t.id: t for gene in read_annotation(path, genome) for t in gene.transcripts}
    assert back["g1.t1"].cds == plus.cds and back["g2.t1"].cds == minus.cds
    if shutil.which("gt"):
        r = subprocess.run(["gt", "gff3validator", str(path)], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
    else:
        pytest.skip("gt (genometools) not installed: GFF3 validity not checked")


def test_phix_gene_a_is_found_across_the_origin(tmp_path):
    """phiX174 (circular) has genes A and A* running from ~3980 over the origin to base 136."""
    out, faa = tmp_path / "p.gff3", tmp_path / "p.faa"
    r = run_cli("predict", TEST_DATA / "phiX174_NC_001422.gbk.gz", "-o", out, "--proteins", faa, "--no-progress")
    assert r.exit_code == 0, r.output
    genome, _ = read_genome(TEST_DATA / "phiX174_NC_001422.gbk.gz")
    n = genome.records["NC_001422"].length
    rows = [ln.split("\t") for ln in out.read_text().splitlines() if "\tCDS\t" in ln]
    across = [row for row in rows if int(row[4]) > n]
    assert across and int(across[0][4]) - n == 136  # gene A's stop, past the origin
    spanning = [blk for blk in faa.read_text().split(">") if f"-{across[0][4]}(+)" in blk.split("\n")[0]]
    aa = "".join(spanning[0].split("\n")[1:])
    assert aa.startswith("M") and "*" not in aa and len(aa) > 400
