"""Annotation readers on real files and precisely constructed cases."""
from pathlib import Path

import pytest

from genelstm.annotation import load
from conftest import TEST_DATA

GB_HEADER = "LOCUS       {name:<16}{n:>11} bp    DNA     {topo:<8} BCT 01-JAN-2000\nFEATURES             Location/Qualifiers\n"


def genbank(path: Path, seq: str, features: list[str], name="T1", topo="linear") -> Path:
    lines = [GB_HEADER.format(name=name, n=len(seq), topo=topo)]
    lines += [f + "\n" for f in features]
    lines.append("ORIGIN\n")
    for i in range(0, len(seq), 60):
        chunk = seq[i : i + 60]
        lines.append(f"{i + 1:>9} " + " ".join(chunk[j : j + 10] for j in range(0, len(chunk), 10)) + "\n")
    lines.append("//\n")
    path.write_text("".join(lines))
    return path


def tx_of(ag, gene_id):
    return next(c for c in ag.checked if c.gene.id == gene_id)


def test_phix_origin_spanning_cds_is_two_segments_and_valid():
    ag = load(TEST_DATA / "phiX174_NC_001422.gbk.gz")
    assert ag.genome.records["NC_001422"].circular
    spanning = [c for c in ag.checked if len(c.transcript.cds) == 2]
    assert {c.transcript.cds for c in spanning} == {
        ((3980, 5386), (0, 136)), ((4496, 5386), (0, 136)), ((5074, 5386), (0, 51))
    }
    assert all(c.valid for c in ag.checked), [c.reasons for c in ag.checked]


def test_genbank_partial_complement_pseudo_and_codon_start(tmp_path):
    orf = "ATG" + "GCT" * 10 + "TAA"  # 36 bp
    rc = orf[::-1].translate(str.maketrans("ACGT", "TGCA"))
    seq = "CC" + "GCTGCT" + "TAA" + "GG" + rc + "GG" + orf + "GG" + orf[:-3]  # record ends inside the last ORF
    # partial at the 5' end with codon_start=3: bases 1..11 = CC GCTGCT TAA -> frame starts at base 3
    p = genbank(tmp_path / "t.gbk", seq, [
        "     CDS             <1..11",
        "                     /locus_tag=\"p5\"",
        "                     /codon_start=3",
        "     CDS             complement(14..49)",
        "                     /locus_tag=\"minus\"",
        "     CDS             52..87",
        "                     /locus_tag=\"ps\"",
        "                     /pseudo",
        "     CDS             90..>122",
        "                     /locus_tag=\"p3\"",
        "     CDS             90..>110",
        "                     /locus_tag=\"p3inside\"",
    ])
    ag = load(p)
    p5 = tx_of(ag, "p5")
    assert p5.transcript.partial5 and not p5.transcript.partial3 and p5.transcript.phase == 2 and p5.valid
    minus = tx_of(ag, "minus")
    assert minus.transcript.strand == -1 and minus.transcript.cds == ((13, 49),) and minus.valid
    assert tx_of(ag, "ps").reasons == ["pseudogene"]
    p3 = tx_of(ag, "p3").transcript
    assert p3.partial3 and not p3.partial5 and tx_of(ag, "p3").valid
    assert tx_of(ag, "p3inside").reasons == ["open end inside the record"]


def test_gene_problems_are_reported_not_dropped(tmp_path):
    parts = {
        "good": "ATG" + "GCT" * 5 + "TAA",
        "instop": "ATG" + "TAA" + "GCT" * 4 + "TAA",
        "badstart": "CCC" + "GCT" * 5 + "TAA",
        "nostop": "ATG" + "GCT" * 5 + "GCC",
        "frame": "ATG" + "GCT" * 5 + "TA",
    }
    seq, feats = "", []
    for name, orf in parts.items():
        seq += "CC"
        feats.append(f"     CDS             {len(seq) + 1}..{len(seq) + len(orf)}\n"
                     f"                     /locus_tag=\"{name}\"")
        seq += orf
    seq += "CCCC"
    ag = load(genbank(tmp_path / "t.gbk", seq, feats))
    assert tx_of(ag, "good").valid
    assert tx_of(ag, "instop").reasons == ["internal stop codon"]
    assert tx_of(ag, "badstart").reasons == ["bad start codon"]
    assert tx_of(ag, "nostop").reasons == ["no stop codon"]
    assert tx_of(ag, "frame").reasons == ["length not a multiple of 3"]
    assert len(ag.checked) == 5


def test_cds_without_stop_gets_the_following_stop(tmp_path):
    seq = "ATG" + "GCT" * 5 + "TGA" + "CC"
    p = genbank(tmp_path / "t.gbk", seq, ["     CDS             1..18\n                     /locus_tag=\"x\""])
    c = load(p).checked[0]
    assert c.valid and c.transcript.cds == ((0, 21),)


def test_gtf_stop_codon_rows_join_the_cds_even_across_an_intron(tmp_path):
    # exon1 ATG GCT G | intron GTAAGT...AG | exon2 CT T | TAA split: "TA" end of exon2? keep simple:
    exon1 = "ATGGCTG"
    intron = "GTAAGTCCCCCCCCCCTTTCAG"
    exon2 = "CTTAA"
    seq = "CC" + exon1 + intron + exon2 + "CC"
    fa = tmp_path / "g.fa"
    fa.write_text(">c1\n" + seq + "\n")
    s1, e1 = 3, 2 + len(exon1)
    s2 = e1 + len(intron) + 1
    gtf = tmp_path / "a.gtf"
    gtf.write_text(
        f'c1\tt\tCDS\t{s1}\t{e1}\t.\t+\t0\tgene_id "g1"; transcript_id "t1";\n'
        f'c1\tt\tCDS\t{s2}\t{s2 + 1}\t.\t+\t2\tgene_id "g1"; transcript_id "t1";\n'
        f'c1\tt\tstop_codon\t{s2 + 2}\t{s2 + 4}\t.\t+\t0\tgene_id "g1"; transcript_id "t1";\n'
    )
    ag = load(fa, [gtf])
    c = ag.checked[0]
    assert c.gene.id == "g1" and c.valid, c.reasons
    assert c.transcript.cds == ((s1 - 1, e1), (s2 - 1, s2 + 4))
    assert c.transcript.introns() == [(e1, s2 - 1)]


def test_gff3_isoforms_longest_for_training_all_on_request(tmp_path):
    orf_long = "ATG" + "GCT" * 8 + "TAA"
    seq = "CC" + orf_long + "CC"
    fa = tmp_path / "g.fa"
    fa.write_text(">c1\n" + seq + "\n")
    gff = tmp_path / "a.gff3"
    gff.write_text(
        "##gff-version 3\n"
        "c1\t.\tgene\t3\t32\t.\t+\t.\tID=g\n"
        "c1\t.\tmRNA\t3\t32\t.\t+\t.\tID=t.short;Parent=g\n"
        "c1\t.\tCDS\t12\t32\t.\t+\t0\tID=cs;Parent=t.short\n"
        "c1\t.\tmRNA\t3\t32\t.\t+\t.\tID=t.long;Parent=g\n"
        "c1\t.\tCDS\t3\t32\t.\t+\t0\tID=cl;Parent=t.long\n"
    )
    one = load(fa, [gff])
    assert [c.transcript.id for c in one.checked] == ["t.long"]
    both = load(fa, [gff], all_isoforms=True)
    assert sorted(c.transcript.id for c in both.checked) == ["t.long", "t.short"]
    assert all(c.gene.id == "g" for c in both.checked)


def test_gff3_cds_directly_under_gene_as_in_sgd(tmp_path):
    seq = "CC" + "ATG" + "GCT" * 3 + "TAG" + "CC"
    fa = tmp_path / "g.fa"
    fa.write_text(">c1\n" + seq + "\n")
    gff = tmp_path / "a.gff3"
    gff.write_text("c1\tSGD\tgene\t3\t17\t.\t+\t.\tID=YAL1\nc1\tSGD\tCDS\t3\t17\t.\t+\t0\tParent=YAL1;Name=YAL1\n")
    c = load(fa, [gff]).checked[0]
    assert c.gene.id == "YAL1" and c.valid and c.transcript.cds == ((2, 17),)


def test_trans_spliced_chloroplast_genes_are_masked_with_reason():
    from conftest import SHARED_DATA

    p = SHARED_DATA / "arabidopsis_chloroplast_NC_000932.gbk.gz"
    if not p.exists():
        pytest.skip("shared data not present")
    ag = load(p)
    assert ag.masked_reasons().get("trans-spliced") == 2
