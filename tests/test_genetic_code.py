"""The translation table read from the input: TGA read through (table 4) only where the genes do."""
import logging

import numpy as np
import pytest
from click.testing import CliRunner

from conftest import SHARED_DATA
from genelstm import genetic_code
from genelstm.alphabet import codon_table, encode, reverse_complement
from genelstm.cli import main
from genelstm.sequence import MemoryGenome, read_sequences


def _cover_by_scan(seq: str, stops: frozenset[str], min_length: int) -> float:
    """Base by base: is the base inside a stop-free in-frame stretch of at least min_length, on either strand."""
    n = len(seq)
    covered = np.zeros(n, bool)
    for s, reverse in ((seq, False), (reverse_complement(seq), True)):
        for f in range(3):
            run_start = f
            for p in range(f, n - 2 + 3, 3):
                end = p >= n - 2  # past the last full codon: the stretch ends here
                if end or s[p:p + 3] in stops:
                    stretch_end = p if not end else f + 3 * ((n - f) // 3)
                    if stretch_end - run_start >= min_length:
                        lo, hi = (run_start, stretch_end) if not reverse else (n - stretch_end, n - run_start)
                        covered[lo:hi] = True
                    run_start = p + 3
                    if end:
                        break
    return covered.mean()


@pytest.mark.parametrize("seed", range(3))
def test_long_orf_cover_matches_a_base_by_base_scan(seed):
    rng = np.random.default_rng(seed)
    seq = "".join(rng.choice(list("ACGTN"), p=[0.3, 0.2, 0.2, 0.28, 0.02], size=1500 + seed))
    seq = seq[:400] + "ATG" + "GCC" * 120 + seq[400:]  # one long open frame at least
    codes, _ = encode(seq)
    for stops in (frozenset({"TAA", "TAG", "TGA"}), frozenset({"TAA", "TAG"})):
        for min_length in (60, 300):
            want = _cover_by_scan(seq, stops, min_length)
            assert genetic_code.long_orf_cover(codes, stops, min_length) == pytest.approx(want)
    assert genetic_code.long_orf_cover(codes, frozenset({"TAA", "TAG", "TGA"}), 300) > 0.2


def _dense_genome(table: int, seed: int, records: int = 3, genes: int = 40) -> dict[str, str]:
    """Records of genes back to back (ATG, 150-400 sense codons of ``table``, a stop; 20-60 random bases
    between), both strands, as compact as bacterial genomes are."""
    rng = np.random.default_rng(seed)
    stops = sorted(codon_table(table)[1])
    sense = [a + b + c for a in "ACGT" for b in "ACGT" for c in "ACGT" if a + b + c not in stops]
    out = {}
    for r in range(records):
        parts = []
        for _ in range(genes):
            gene = "ATG" + "".join(rng.choice(sense, size=int(rng.integers(150, 400)))) + str(rng.choice(stops))
            parts.append(gene if rng.random() < 0.5 else reverse_complement(gene))
            parts.append("".join(rng.choice(list("ACGT"), size=int(rng.integers(20, 60)))))
        out[f"r{r + 1}"] = "".join(parts)
    return out


@pytest.mark.parametrize("table", [11, 4])
def test_the_table_whose_genes_read_tga_through_is_chosen(table):
    chosen, standard, read_through = genetic_code.choose(MemoryGenome("synthetic", _dense_genome(table, 1)))
    assert chosen == table
    assert read_through >= standard > 0
    if table == 4:
        assert read_through > 3 * standard  # TGA inside genes (tryptophan) cuts them into short stretches


def test_dna_with_few_genes_keeps_table_11():
    """Random DNA has short open frames under either code, but reading TGA through lengthens them by itself:
    the ratio alone would say table 4."""
    rng = np.random.default_rng(0)
    seq = "".join(rng.choice(list("ACGT"), size=200_000))
    codes, _ = encode(seq)
    standard = genetic_code.long_orf_cover(codes, frozenset({"TAA", "TAG", "TGA"}))
    read_through = genetic_code.long_orf_cover(codes, frozenset({"TAA", "TAG"}))
    assert read_through > genetic_code.RATIO * standard
    assert genetic_code.choose(MemoryGenome("random", {"r": seq}))[0] == 11


@pytest.mark.skipif(not (SHARED_DATA / "prokaryotes").is_dir(), reason="needs ../shared/data/prokaryotes")
@pytest.mark.parametrize("name, table, close", [("Mycoplasma_mycoides_subsp_mycoides_GCF_000800785.1.gbff.gz", 4, False),
                                                ("Mycoplasma_gallisepticum_Rlow_NC_004829.2.gbff.gz", 4, False),
                                                ("Chlamydia_trachomatis_D-UW-3-CX_NC_000117.1.gbk.gz", 11, False),
                                                ("Paracoccus_sp_SCN_68-21.gb.gz", 11, False),
                                                ("../drosophila_chr2R_2M-7M_region.fa.gz", 11, True)])
def test_real_genomes_get_their_own_table(name, table, close):
    """The Drosophila region (few genes, introns) would read as table 4 on the ratio alone (1.71): it keeps 11,
    flagged as a close call; the bacterial genomes are clear-cut."""
    chosen, standard, read_through = genetic_code.choose(read_sequences(SHARED_DATA / "prokaryotes" / name))
    assert chosen == table
    assert genetic_code.unsure(standard, read_through) == close


@pytest.mark.parametrize("standard, read_through, close", [
    (0.80, 0.82, False),  # a table-11 genome: reading TGA through barely changes the cover
    (0.50, 0.70, True),  # ratio 1.4: between the two codes' genomes
    (0.30, 0.80, False),  # ratio 2.7, most of the sequence in long frames: a clear table 4
    (0.20, 0.34, True),  # ratio 1.7, little cover: DNA with few genes
    (0.10, 0.50, True),  # a large ratio but too little cover for genes: table 11 chosen, flagged
    (0.55, 0.71, False),  # ratio 1.29: under the band
])
def test_close_calls_are_flagged(standard, read_through, close):
    assert genetic_code.unsure(standard, read_through) == close


def test_predict_reads_the_table_from_the_input_unless_given(tiny_model, tmp_path, caplog):
    """A table-4 input decoded without --table: table 4, said on stderr and in the header; --table wins."""
    fasta = tmp_path / "myco.fa"
    fasta.write_text("".join(f">{rid}\n{seq}\n" for rid, seq in _dense_genome(4, 2, records=2, genes=15).items()))
    out = tmp_path / "p.gff3"
    r = CliRunner().invoke(main, ["predict", str(fasta), "-m", str(tiny_model), "-o", str(out), "--no-progress"])
    assert r.exit_code == 0, r.output
    header = [ln for ln in out.read_text().splitlines() if ln.startswith("# ")]
    assert "table 4;" in header[0] and "translation table 4 chosen from the input" in header[1]
    assert "translation table 4 chosen" in caplog.text  # a warning on stderr
    caplog.clear()
    r = CliRunner().invoke(main, ["predict", str(fasta), "-m", str(tiny_model), "-o", str(out), "--no-progress",
                                  "--table", "11"])
    assert r.exit_code == 0 and "chosen from the input" not in out.read_text() + caplog.text
    assert "table 11;" in out.read_text()


@pytest.mark.parametrize("flags", [[], ["--no-adapt"]])
def test_predict_warns_when_the_table_is_a_close_call(tiny_model, tmp_path, caplog, flags):
    """Random DNA: reading TGA through lengthens its open frames by itself (ratio above 1.5), but too little of it
    lies in long frames for genes: table 11, with a warning to check --table."""
    fasta = tmp_path / "random.fa"
    fasta.write_text(">r\n" + "".join(np.random.default_rng(3).choice(list("ACGT"), size=60_000)) + "\n")
    out = tmp_path / "p.gff3"
    with caplog.at_level(logging.WARNING, logger="genelstm"):
        r = CliRunner().invoke(main, ["predict", str(fasta), "-m", str(tiny_model), "-o", str(out), "--no-progress",
                                      *flags])
    assert r.exit_code == 0, r.output
    assert "translation table 11 chosen" in caplog.text and "close call" in caplog.text
    header = [ln for ln in out.read_text().splitlines() if ln.startswith("# ")]
    assert "close call" in header[1]
    # the close call is then decided by decoding under both codes (with --no-adapt too: it turns off the fit,
    # not the reading of the code), and the header's first line names the table that decided
    [decided] = [ln for ln in header if "read from the input by decoding it under both" in ln]
    table = int(decided.split("translation table ")[1].split()[0])
    assert f"; table {table};" in header[0]


def test_gff3_names_an_unusual_code_on_the_cds_rows():
    """A gene read with table 4 carries transl_table=4 on its CDS rows, as NCBI writes it; table 11 needs none."""
    import io

    from genelstm.genemodel import Transcript
    from genelstm.gff3 import write_genes

    out = io.StringIO()
    write_genes(out, [Transcript("g1", "r", 1, ((0, 300),), table=11), Transcript("g2", "r", -1, ((400, 700),), table=4)])
    rows = [ln.split("\t") for ln in out.getvalue().splitlines()]
    tagged = {(r[8].split(";")[0], r[2]) for r in rows if "transl_table=4" in r[8]}
    assert tagged == {("ID=g2.t1.cds", "CDS")}


def test_a_table_4_gene_survives_a_gff3_round_trip(tmp_path):
    """Written with transl_table=4 and read back (default table 11), a gene with TGA inside keeps its code and
    stays a valid gene, not one with an internal stop."""
    from genelstm.annotation import check, read_annotation
    from genelstm.genemodel import Transcript
    from genelstm.gff3 import write_genes, write_header

    seq = "CC" + "ATG" + "AAA" * 20 + "TGA" + "GCT" * 20 + "TAA" + "GG"
    genome = MemoryGenome("g.fa", {"r": seq})
    path = tmp_path / "p.gff3"
    with open(path, "w") as fh:
        write_header(fh, list(genome))
        write_genes(fh, [Transcript("g1", "r", 1, ((2, len(seq) - 2),), table=4)])
    [gene] = read_annotation(path, genome)
    [tx] = gene.transcripts
    assert tx.table == 4
    [checked] = check(genome, [gene])
    assert checked.valid, checked
    # the same row without the attribute reads as table 11, where TGA ends the gene early
    path.write_text(path.read_text().replace(";transl_table=4", ""))
    [checked] = check(genome, read_annotation(path, genome))
    assert not checked.valid


@pytest.mark.parametrize("score11, score4, table", [(100.0, 100.0, 11), (100.0, 102.0, 11), (100.0, 104.0, 4),
                                                    (0.0, 0.0, 11), (100.0, 60.0, 11), (0.0, 50.0, 4)])
def test_a_small_input_reads_as_the_table_its_genes_favour(score11, score4, table):
    assert genetic_code.by_decoding(score11, score4) == table


def _predict_table(path, tmp_path, *extra):
    out = tmp_path / "p.gff3"
    r = CliRunner().invoke(main, ["predict", str(path), "-o", str(out), "--no-progress", *map(str, extra)])
    assert r.exit_code == 0, r.output
    return out.read_text()


@pytest.mark.parametrize("flags", [[], ["--no-adapt"]])
def test_a_small_table_11_input_stays_table_11(tmp_path, flags):
    """phiX174 (5.4 kb): decoded both ways, its genes do not gain from reading TGA through."""
    from conftest import TEST_DATA

    gff = _predict_table(TEST_DATA / "phiX174_NC_001422.gbk.gz", tmp_path, *flags)
    assert "table 11;" in gff and "translation table 11 read from the input by decoding it" in gff
    assert "transl_table" not in gff


@pytest.mark.skipif(not (SHARED_DATA / "prokaryotes").is_dir(), reason="needs ../shared/data/prokaryotes")
@pytest.mark.parametrize("flags", [[], ["--no-adapt"]])
def test_a_small_mycoplasma_piece_reads_as_table_4_unless_told(tmp_path, flags):
    """12 kb of Mycoplasma mycoides, under the long-frame rule's 20 kb: decoded both ways, its genes favour table 4
    (--no-adapt turns off the per-genome fit, not the reading of the code); --table 11 is obeyed."""
    genome = read_sequences(SHARED_DATA / "prokaryotes" / "Mycoplasma_mycoides_subsp_mycoides_GCF_000800785.1.gbff.gz")
    rec = next(iter(genome))
    fasta = tmp_path / "piece.fa"
    fasta.write_text(">piece\n" + genome.fetch(rec.id, 200_000, 212_000) + "\n")
    gff = _predict_table(fasta, tmp_path, *flags)
    assert "table 4;" in gff and "translation table 4 read from the input by decoding it" in gff
    assert "transl_table=4" in gff
    gff = _predict_table(fasta, tmp_path, "--table", "11", *flags)
    assert "table 11;" in gff and "read from the input" not in gff
