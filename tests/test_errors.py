"""Every user error: one line naming the file (record, line), exit code 1, no traceback."""
import gzip
import random

import pytest
from click.testing import CliRunner

from genelstm.cli import main


def run(*args):
    result = CliRunner().invoke(main, ["inspect", *map(str, args)])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1, result.output
    return lines[0]


@pytest.fixture
def fasta(tmp_path):
    p = tmp_path / "g.fa"
    p.write_text(">chr1\nATGAAATAG\nACGT\n>chr2\nAAAA\n")
    return p


def test_missing_file(tmp_path):
    assert run(tmp_path / "nope.fa") == f"Error: {tmp_path / 'nope.fa'}: no such file"


@pytest.mark.parametrize("name, text, message", [
    ("empty.fa", "", "{p}: file is empty"),
    ("h.fa", ">chr1\n", "{p}, line 1, record 'chr1': record has no sequence"),
    ("notes.fa", "hello world\n>chr1\nACGT\n", "{p}: not a FASTA, GenBank or EMBL file (looks like unknown)"),
    ("bad.fa", ">chr1\nACGT\nAC7T\n", "{p}, line 3, record 'chr1', position 7: invalid character '7' in sequence"),
], ids=["empty", "header only", "not FASTA", "invalid character: record, line and position"])
def test_bad_fasta_gets_one_line_naming_where(tmp_path, name, text, message):
    p = tmp_path / name
    p.write_text(text)
    assert run(p) == "Error: " + message.format(p=p)


def test_truncated_gzip(tmp_path):
    p = tmp_path / "t.fa.gz"
    rng = random.Random(1)
    body = "\n".join("".join(rng.choice("ACGT") for _ in range(60)) for _ in range(2000))
    data = gzip.compress((">chr1\n" + body + "\n").encode())
    p.write_bytes(data[: len(data) // 2])
    line = run(p)
    assert line.startswith(f"Error: {p}, line ") and line.endswith(", record 'chr1': truncated compressed file")


def test_duplicate_record_ids(tmp_path):
    p = tmp_path / "d.fa"
    p.write_text(">chr1\nACGT\n>chr2 x\nAC\n>chr1 again\nGG\n")
    assert run(p) == f"Error: {p}, line 5, record 'chr1': duplicate record ID (first seen on line 1)"


def test_annotation_seqid_absent_from_fasta(tmp_path, fasta):
    gff = tmp_path / "a.gff3"
    gff.write_text("##gff-version 3\nchrX\t.\tCDS\t1\t9\t.\t+\t0\tID=c;Parent=g\n")
    assert run(fasta, "-a", gff) == f"Error: {gff}, line 2: sequence ID 'chrX' is not in {fasta}"


def test_feature_past_sequence_end(tmp_path, fasta):
    gff = tmp_path / "a.gff3"
    gff.write_text("##gff-version 3\nchr2\t.\tCDS\t1\t9\t.\t+\t0\tID=c;Parent=g\n")
    assert run(fasta, "-a", gff) == f"Error: {gff}, line 2, record 'chr2': feature ends at 9, past the end of chr2 (4 bp)"


def test_genbank_feature_past_end(tmp_path):
    gb = tmp_path / "x.gbk"
    gb.write_text(
        "LOCUS       X                         12 bp    DNA     linear   BCT 01-JAN-2000\n"
        "FEATURES             Location/Qualifiers\n"
        "     CDS             1..30\n"
        "ORIGIN\n        1 atgaaataga cg\n//\n"
    )
    line = run(gb)
    assert line.startswith(f"Error: {gb}") and "past the sequence end" in line


def test_gff_row_with_wrong_column_count(tmp_path, fasta):
    gff = tmp_path / "a.gff3"
    gff.write_text("##gff-version 3\nchr1\t.\tCDS\t1\t9\n")
    assert run(fasta, "-a", gff) == f"Error: {gff}, line 2: expected 9 tab-separated columns, found 5"
