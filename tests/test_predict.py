"""predict end to end with a small trained model: valid sorted GFF3, stable genes, atomic outputs."""
import re
import shutil
import subprocess

import pytest
import torch
from click.testing import CliRunner

from genelstm import checkpoint
from genelstm.annotation import read_genome
from genelstm.cli import main
from genelstm.predict import PredictOptions, predict_record
from conftest import TEST_DATA


def run_cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def check_gff3(text: str, records: dict[str, int]):
    """Structural GFF3 checks that genometools would also make, plus ours (sorted, unique IDs, phases)."""
    lines = text.splitlines()
    assert lines[0] == "##gff-version 3"
    regions = [ln.split() for ln in lines if ln.startswith("##sequence-region")]
    assert {r[1]: int(r[3]) for r in regions} == records
    feats = [ln.split("\t") for ln in lines if ln and not ln.startswith("#")]
    # IDs are unique, except that the CDS rows of one CDS share theirs (a multi-line feature in GFF3)
    ids = [re.search(r"ID=([^;]+)", f[8]).group(1) for f in feats if f[2] != "CDS"]
    assert len(ids) == len(set(ids))
    cds_parents = {}
    for f in feats:
        if f[2] == "CDS":
            cid = re.search(r"ID=([^;]+)", f[8]).group(1)
            assert cds_parents.setdefault(cid, f[8]) == f[8]
    genes = [f for f in feats if f[2] == "gene"]
    order = list(records)
    keys = [(order.index(f[0]), int(f[3])) for f in genes]
    assert keys == sorted(keys)
    for f in feats:
        assert f[1] == "genelstm" and 1 <= int(f[3]) <= int(f[4]) <= records[f[0]]
        if f[2] == "CDS":
            assert f[7] in "012"
        if f[2] == "gene":
            float(f[5])
    return genes


def test_predict_writes_valid_sorted_gff3_and_fasta(tiny_model, tmp_path):
    out = tmp_path / "p.gff3"
    r = run_cli("predict", TEST_DATA / "synthetic_prok.fa", "-m", tiny_model, "-o", out,
                "--proteins", tmp_path / "p.faa", "--cds", tmp_path / "p.fna", "--tracks", tmp_path / "tr",
                "--no-progress", "--threads", "1", "--min-score", "-1e9")
    assert r.exit_code == 0, r.output
    genes = check_gff3(out.read_text(), {"synth1": 8000, "synth2": 8000})
    assert genes, "no genes even with every ORF allowed"
    faa = (tmp_path / "p.faa").read_text()
    assert faa.count(">") == len(genes)
    fna = (tmp_path / "p.fna").read_text().split("\n")
    assert all(len(s) % 3 == 0 for s in fna[1::2] if s)
    assert (tmp_path / "tr" / "coding_plus.bedgraph").read_text().startswith("track type=bedGraph")


def test_no_genes_gives_a_valid_empty_gff3_and_exit_0(tiny_model, tmp_path):
    out = tmp_path / "p.gff3"
    r = CliRunner().invoke(main, ["predict", str(TEST_DATA / "phiX174_NC_001422.gbk.gz"), "-m", str(tiny_model),
                                  "-o", str(out), "--min-score", "1e12", "--no-progress"])
    assert r.exit_code == 0
    assert "no genes found" in r.stderr
    text = out.read_text()
    assert text.startswith("##gff-version 3\n##sequence-region NC_001422 1 5386\n")
    rows = [ln.split("\t") for ln in text.splitlines() if ln and not ln.startswith("#")]
    assert [r[2] for r in rows] == ["region"] and "Is_circular=true" in rows[0][8]  # phiX is circular


def test_stdout_output(tiny_model):
    r = CliRunner().invoke(main, ["predict", str(TEST_DATA / "phiX174_NC_001422.gbk.gz"), "-m", str(tiny_model),
                                  "-o", "-", "--no-progress"])
    assert r.exit_code == 0 and r.stdout.startswith("##gff-version 3")
    assert "predict" not in r.stdout  # the progress bar stays on stderr


def test_failed_run_leaves_no_output_file(tmp_path):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"garbage")
    out = tmp_path / "p.gff3"
    r = run_cli("predict", TEST_DATA / "phiX174_NC_001422.gbk.gz", "-m", bad, "-o", out)
    assert r.exit_code == 1 and "not a readable genelstm checkpoint" in r.output
    assert not out.exists() and not list(tmp_path.glob(".p.gff3*"))


def test_calls_do_not_depend_on_blocks_windows_batches_or_neighbours():
    """Long records go through the exact streaming engine: whatever the network block (window), the
    decoding block, the batch size, or whether the record is read whole among others, the calls and
    their scores are the same (to float32 rounding: the LSTM kernels sum in an order that depends on the
    batch's shape and the CPU, 1e-6 of a score of thousands)."""
    from genelstm.models import resolve

    model, _, _ = checkpoint.load_model(resolve("prokaryote"))
    genome, _ = read_genome(TEST_DATA / "yersinia_pestis_plasmid_pPCP1_NC_005816.gbk.gz")
    from genelstm.infer import probabilities_whole

    rid = next(iter(genome)).id
    whole = _scored(model, genome, rid, whole=probabilities_whole(model, genome, [rid])[0])  # seen whole
    assert len(whole) >= 5
    for kw in (dict(window=1800), dict(window=4500, batch_size=1), dict(window=9000, block=3000, block_overlap=2500)):
        got = _scored(model, genome, rid, **kw)
        assert [g[:2] for g in got] == [w[:2] for w in whole], kw
        assert [g[2] for g in got] == pytest.approx([w[2] for w in whole], rel=1e-5, abs=0.05), kw


def _scored(model, genome, rid, whole=None, **kw):
    # the start-choice head's logits in the start choice too (a no-op for a model without that head)
    calls = predict_record(model, genome, rid, PredictOptions(choice_weight=128.0, **kw), device=torch.device("cpu"),
                           whole=whole)
    return [(c.transcript.strand, c.transcript.cds, c.score) for c in calls]


def test_eukaryote_mode_writes_spliced_genes_with_phases(tiny_model, tmp_path):
    out = tmp_path / "e.gff3"
    r = run_cli("predict", TEST_DATA / "synthetic_introns.fa", "-m", tiny_model, "-o", out, "--mode", "eukaryote",
                "--min-score", "-200", "--no-progress")
    assert r.exit_code == 0, r.output
    check_gff3(out.read_text(), {"synth1": 8000, "synth2": 8000, "synth3": 8000})
    assert "mode eukaryote; table 1" in out.read_text()


@pytest.mark.skipif(not shutil.which("gt"), reason="genometools (gt) not installed")
@pytest.mark.parametrize("mode,genome", [("prokaryote", "synthetic_prok.fa"), ("eukaryote", "synthetic_introns.fa")])
def test_gff3_passes_gt_gff3validator(tiny_model, tmp_path, mode, genome):
    out = tmp_path / "p.gff3"
    r = run_cli("predict", TEST_DATA / genome, "-m", tiny_model, "-o", out, "--mode", mode, "--min-score", "-200",
                "--no-progress")
    assert r.exit_code == 0, r.output
    assert "\tCDS\t" in out.read_text()
    v = subprocess.run(["gt", "gff3validator", str(out)], capture_output=True, text=True)
    assert v.returncode == 0, v.stderr


def test_reverse_complement_averaging_makes_calls_strand_symmetric(tiny_model, tmp_path):
    """With rc_average the network's evidence is its own mirror image, so predicting on the reverse
    complement of a genome gives exactly the mirrored genes (self-training included)."""
    from genelstm.alphabet import reverse_complement
    from genelstm.predict import run
    from genelstm.sequence import MemoryGenome

    model, _, _ = checkpoint.load_model(tiny_model)
    g, _ = read_genome(TEST_DATA / "synthetic_prok.fa")
    seqs = {r.id: g.fetch(r.id) for r in g}
    rc = MemoryGenome("rc", {rid: reverse_complement(s) for rid, s in seqs.items()})
    opts = PredictOptions(rc_average=True, adapt_min_bases=1000, min_score=-1e4)
    genes = []
    for genome, out in ((g, tmp_path / "f.gff3"), (rc, tmp_path / "r.gff3")):
        run(model, "tiny", genome, out, opts, progress=False)
        rows = [ln.split("\t") for ln in out.read_text().splitlines() if "\tCDS\t" in ln]
        genes.append(rows)
    assert len(genes[0]) >= 5, "too few genes to compare"
    fwd = {(r[0], int(r[3]), int(r[4]), r[6]) for r in genes[0]}
    mirrored = {(r[0], len(seqs[r[0]]) - int(r[4]) + 1, len(seqs[r[0]]) - int(r[3]) + 1, "+" if r[6] == "-" else "-")
                for r in genes[1]}
    assert fwd == mirrored


def test_tracks_do_not_change_calls(tmp_path):
    """--tracks goes through the same inference path as a plain run: identical genes."""
    ref = TEST_DATA / "yersinia_pestis_plasmid_pPCP1_NC_005816.gbk.gz"
    rows = []
    for name, extra in (("plain", []), ("tracks", ["--tracks", tmp_path / "tr"])):
        out = tmp_path / f"{name}.gff3"
        r = run_cli("predict", ref, "-o", out, "--no-progress", "--threads", "1", *extra)
        assert r.exit_code == 0, r.output
        rows.append([ln.split("\t")[3:7] for ln in out.read_text().splitlines() if "\tCDS\t" in ln])
    assert rows[0] and rows[0] == rows[1]
    assert (tmp_path / "tr" / "coding_minus.bedgraph").stat().st_size > 100


def test_streamed_long_records_equal_whole_record_decoding():
    """Records longer than a block are computed and decoded block by block (flat memory); the calls equal
    those decoded from the whole record's evidence."""
    from dataclasses import replace

    from genelstm.models import resolve
    from genelstm.predict import decode_record, decoder_options, genome_evidence, stream_record

    model, _, ck = checkpoint.load_model(resolve("prokaryote"))
    genome, _ = read_genome(TEST_DATA / "yersinia_pestis_plasmid_pPCP1_NC_005816.gbk.gz")
    opts = PredictOptions(**decoder_options(ck), block=3000, block_overlap=1500, window=1800,
                          whole_max=1000)  # streamed in blocks, as records over 100 kb are
    opts = replace(opts, **opts.small)
    rid = next(iter(genome)).id
    codes, ev = genome_evidence(model, genome, opts, device=torch.device("cpu"))[rid]
    whole = decode_record(rid, codes, ev, opts)
    streamed = stream_record(model, genome, rid, opts, device=torch.device("cpu"))
    assert len(whole) >= 5
    assert [(c.transcript.strand, c.transcript.cds) for c in streamed] == \
        [(c.transcript.strand, c.transcript.cds) for c in whole]
    # scores to float32 tolerance: blocks and the whole record go through matrix products of other shapes
    assert [c.score for c in streamed] == pytest.approx([c.score for c in whole], rel=1e-6)


def test_eukaryote_mode_without_a_model_uses_the_bundled_fungi_model(tmp_path):
    from genelstm.models import available, default_for

    assert default_for(None) == default_for("prokaryote") == "prokaryote"
    assert "fungi" in available() and default_for("eukaryote") == "fungi"
    out = tmp_path / "e.gff3"
    r = CliRunner().invoke(main, ["predict", str(TEST_DATA / "synthetic_introns.fa"), "--mode", "eukaryote",
                                  "-o", str(out), "--no-progress"])
    assert r.exit_code == 0, r.output
    assert "using the bundled model 'fungi'" in r.stderr
    assert "model fungi.pt; mode eukaryote; table 1" in out.read_text()


def test_small_inputs_get_exactly_mirrored_calls_from_their_reverse_complement(tmp_path):
    """Inputs under 20 kb average the network with its reverse-complement mirror (the bundled model's
    choice, measured on the validation genomes): reading the other strand gives the same genes."""
    from genelstm.alphabet import reverse_complement

    genome, _ = read_genome(TEST_DATA / "yersinia_pestis_plasmid_pPCP1_NC_005816.gbk.gz")
    seq = genome.fetch("NC_005816")
    n = len(seq)
    found = []
    for name, s in (("fwd", seq), ("rev", reverse_complement(seq))):
        (tmp_path / f"{name}.fa").write_text(f">p\n{s}\n")
        r = CliRunner().invoke(main, ["predict", str(tmp_path / f"{name}.fa"), "-o", str(tmp_path / f"{name}.gff3"),
                                      "--no-progress"])
        assert r.exit_code == 0, r.output
        rows = [ln.split("\t") for ln in (tmp_path / f"{name}.gff3").read_text().splitlines() if "\tCDS\t" in ln]
        calls = {(int(f[3]) - 1, int(f[4]), f[6]) for f in rows}
        if name == "rev":
            calls = {(n - e, n - s, "+" if st == "-" else "-") for s, e, st in calls}
        found.append(calls)
    assert len(found[0]) >= 8 and found[0] == found[1]


def test_bundled_decoder_settings_reach_the_decoder():
    """What tune_decoder stored in the checkpoint is what predict decodes with: the gene-length prior and
    the round cap with self-training, and the network-only settings (no length prior) without it."""
    from genelstm.models import resolve
    from genelstm.predict import decoder_options

    ck = checkpoint.read(resolve("prokaryote"))
    dec = ck["decoder"]
    opts = PredictOptions(**decoder_options(ck))
    assert opts.length_prior == tuple(dec["length_prior"]) and opts.length_prior[0] > 0
    assert opts.adapt_weights.rounds == dec["adapt_rounds"]
    plain = opts.without_dialect(10**7)
    assert plain.length_prior[0] == 0 and plain.min_score == dec["small"]["min_score"]
    assert plain.start_weight == dec["small"]["start_weight"] != opts.start_weight
    assert opts.start_alternatives == dec["start_alternatives"] > 0
    assert opts.adapt_weights.tandem == dec["adapt_tandem"] > 0
    assert opts.adapt_weights.length == dec["adapt_length"] > 0
    # the network alone has its own per-codon term; self-training's rounds bring theirs (adapt_length)
    assert plain.choice_per_codon == dec["small"]["choice_per_codon"] > 0 and opts.choice_per_codon == 0
    assert opts.start_codons == plain.start_codons == tuple(dec["start_codons"]) == ("ATG", "GTG", "TTG")


def test_the_fungi_decoder_settings_reach_eukaryote_mode_and_its_header(tmp_path):
    """The fungi model's inner-start penalty is what `predict --mode eukaryote` decodes with and names; a
    prokaryote model's settings (its score threshold) do not leak into the eukaryote decoder."""
    from genelstm.models import resolve
    from genelstm.predict import _decoder_summary, eukaryote_decoder_options

    fungi = checkpoint.read(resolve("fungi"))
    opts = PredictOptions(mode="eukaryote", **eukaryote_decoder_options(fungi))
    assert opts.inner_start_penalty == fungi["decoder"]["inner_start_penalty"] > 0
    assert _decoder_summary(opts, 10**6) == f"min_score 0; inner-start penalty {opts.inner_start_penalty:g}"
    assert eukaryote_decoder_options(checkpoint.read(resolve("prokaryote"))) == {}
    out = tmp_path / "genes.gff3"
    r = CliRunner().invoke(main, ["predict", "--mode", "eukaryote", str(TEST_DATA / "synthetic_introns.fa"),
                                  "-o", str(out), "--no-progress"])
    assert r.exit_code == 0, r.output
    header = next(ln for ln in out.read_text().splitlines() if ln.startswith("# genelstm"))
    assert f"inner-start penalty {opts.inner_start_penalty:g}" in header


def test_gff3_header_names_the_decoder_settings_actually_used():
    """Self-trained decoding has its own threshold and length prior; --no-adapt and inputs under 20 kb
    are decoded by the network-only settings, and the header must say those."""
    from genelstm.models import resolve
    from genelstm.predict import _decoder_summary, decoder_options

    ck = checkpoint.read(resolve("prokaryote"))
    opts = PredictOptions(**decoder_options(ck))
    small = ck["decoder"]["small"]
    big, tiny = opts.adapt_min_bases * 10, opts.adapt_min_bases // 2
    assert _decoder_summary(opts, big) == (f"min_score {opts.min_score:g}; gene-length prior "
                                           f"{opts.length_prior[0]:g} below {opts.length_prior[1]:g} bp; "
                                           f"start codons ATG/GTG/TTG; start choice counts "
                                           f"{opts.adapt_weights.length:g} per codon of the gene")
    from dataclasses import replace
    for o, n in ((opts, tiny), (replace(opts, adapt=False), big)):  # with the start-choice head, there only
        assert _decoder_summary(o, n) == (f"min_score {small['min_score']:g}; start codons ATG/GTG/TTG; start "
                                          f"choice by the start-choice head (weight {small['choice_weight']:g}); "
                                          f"start choice counts {small['choice_per_codon']:g} per codon of the gene")


@pytest.mark.parametrize("flags", [[], ["--no-adapt"]])
def test_min_score_overrides_the_bundled_threshold_on_every_path(tmp_path, flags):
    """--min-score reaches the network-only decoding too (--no-adapt, inputs under 20 kb), whose threshold
    the bundled model keeps apart from self-training's: an impossible threshold leaves no genes."""
    out = tmp_path / "p.gff3"
    genome = str(TEST_DATA / "yersinia_pestis_plasmid_pPCP1_NC_005816.gbk.gz")  # 9.6 kb: the small-input path
    plain = CliRunner().invoke(main, ["predict", genome, "-o", str(out), "--no-progress", *flags])
    assert plain.exit_code == 0 and "\tCDS\t" in out.read_text()
    r = CliRunner().invoke(main, ["predict", genome, "-o", str(out), "--no-progress", "--min-score", "1e12", *flags])
    assert r.exit_code == 0 and "no genes found" in r.stderr
    assert "\tCDS\t" not in out.read_text() and "min_score 1e+12" in out.read_text()
