"""Per-genome self-training on a constructed genome whose true starts carry a Shine-Dalgarno motif."""
import random
from dataclasses import replace

import numpy as np
import pytest

from genelstm import selftrain
from genelstm.alphabet import codon_table, encode
from genelstm.decode import decode_evidence, evidence_arrays, oriented
from genelstm.probs import Probs
from genelstm.labels import CDS1, EVENTS, INTERGENIC, REGIONS

SD = "AGGAGG"


def _genome(seed: int, n_genes: int = 80, wrong_share: float = 0.3, first_bases: str = "ACGT"):
    """Genes ATG...stop with SD 8 bases upstream of the true ATG and a decoy in-frame ATG 30 bases
    further upstream (no SD). The 'network' (``_probs``) cannot tell whether the stretch between them
    is coding and slightly prefers the decoy's start for ``wrong_share`` of the genes. Gene bodies use the
    sense codons beginning with one of ``first_bases`` (a genome's own codon usage)."""
    rng = random.Random(seed)
    _, stops = codon_table(11)
    sense = [a + b + c for a in "ACGT" for b in "ACGT" for c in "ACGT" if a + b + c not in stops | {"ATG", "GTG", "TTG", "CTG", "ATT", "ATC", "ATA"}]
    body_codons = [c for c in sense if c[0] in first_bases]
    seq: list[str] = []
    genes = []  # (true start, decoy start, end, network wrong?)
    for g in range(n_genes):
        seq += [rng.choice("ACGT") for _ in range(rng.randint(40, 80))]
        seq += list("TAA")  # in-frame stop: the ORF cannot reach further upstream
        seq += list(rng.choice(sense))
        decoy = len(seq)
        seq += list("ATG")
        up = [rng.choice(sense) for _ in range(9)]  # 27 bases to the true start
        body = "".join(up)
        body = body[:13] + SD + body[19:]  # motif ends 8 bases before the start
        seq += list(body)
        start = len(seq)
        seq += list("ATG" + "".join(rng.choice(body_codons) for _ in range(rng.randint(80, 150))) + "TAA")
        genes.append((start, decoy, len(seq), g % round(1 / wrong_share) == 0))
    seq += [rng.choice("ACGT") for _ in range(60)]
    return "".join(seq), genes


def _probs(n: int, genes) -> Probs:
    region = np.zeros((2, len(REGIONS), n), np.float32)
    region[:, INTERGENIC] = 0.9
    region[:, CDS1] = 0.1 / 3
    region[:, CDS1 + 1] = 0.1 / 3
    region[:, CDS1 + 2] = 0.1 / 3
    events = np.full((2, len(EVENTS), n), 0.01, np.float32)
    for start, decoy, end, wrong in genes:
        k = np.arange(end - start)
        region[0, :, start:end] = 0.05 / 3
        region[0, CDS1 + k % 3, start + k] = 0.95
        # the stretch between decoy and true start: the network cannot tell (coding = non-coding)
        k = np.arange(start - decoy)
        region[0, :, decoy:start] = 0.0
        region[0, INTERGENIC, decoy:start] = 0.5
        region[0, CDS1 + k % 3, decoy + k] = 0.5
        events[0, EVENTS.index("start"), decoy] = 0.6 if wrong else 0.4
        events[0, EVENTS.index("start"), start] = 0.5
        events[0, EVENTS.index("stop"), end - 3] = 0.9
    return Probs(0, n, region, events)


def _start_accuracy(calls, genes) -> float:
    got = {c.transcript.end: c.transcript.start for c in calls if c.transcript.strand == 1}
    return float(np.mean([got.get(end) == start for start, _, end, _ in genes]))


@pytest.mark.parametrize("seed", range(2))
def test_self_training_learns_the_motif_and_fixes_wrong_starts(seed):
    seq, genes = _genome(seed)
    codes, _ = encode(seq)
    ev = oriented(*evidence_arrays(_probs(len(seq), genes)))

    def decode(rid, c, e):
        return decode_evidence(c, e, rid, block_start=0, record_length=len(c), start_weight=16.0)

    before = _start_accuracy(decode("r", codes, ev), genes)
    calls, dialects, rounds = selftrain.adapt({"r": (codes, ev)}, decode, weights=selftrain.Weights(coding=0.0, start=10.0))
    [(group, dialect)] = dialects
    assert group == ["r"]
    after = _start_accuracy(calls["r"], genes)
    assert before < 0.75  # the network alone takes the decoy where it covered it (every third gene)
    assert after >= 0.97, (before, after, dialect.summary())
    assert "GGAGG" in dialect.best_sd or "AGGAG" in dialect.best_sd
    assert "5-10" in dialect.best_sd
    assert 1 <= rounds <= selftrain.Weights().rounds
    assert dialect.start_usage == {"ATG": 1.0}


def _usage(rng, skew: np.ndarray, codons: int) -> np.ndarray:
    return rng.multinomial(codons, skew / skew.sum()).astype(float)


def test_composition_groups_separate_genomes_and_keep_one_genome_whole():
    rng = np.random.default_rng(0)
    a, b = rng.gamma(1.0, size=64), rng.gamma(1.0, size=64)  # two genomes' codon usage
    counts = {f"a{i}": _usage(rng, a, 60_000) for i in range(4)}
    counts |= {f"b{i}": _usage(rng, b, 50_000) for i in range(3)}
    counts["b_small"] = _usage(rng, b, 300)  # a short contig: too few codons to seed, still assigned by likelihood
    groups = selftrain.composition_groups(counts)
    assert [sorted(g) for g in groups] == [["a0", "a1", "a2", "a3"], ["b0", "b1", "b2", "b_small"]]
    # one genome: its records stay one group, islands of other usage (a tenth of a record) included
    one = {f"a{i}": _usage(rng, a, 60_000) for i in range(6)}
    one["a0"] += _usage(rng, b, 6_000)
    assert selftrain.composition_groups(one) == [list(one)]
    # two records, one per genome (a weighted-median cut must leave both sides non-empty); a record without
    # calls joins the largest group
    two = {"a": _usage(rng, a, 150_000), "b": _usage(rng, b, 120_000), "none": np.zeros(64)}
    assert selftrain.composition_groups(two) == [["a", "none"], ["b"]]
    # many short contigs: no one of them has a usage of its own, together they do
    short = {f"{g}{i}": _usage(rng, u, 800) for g, u in (("a", a), ("b", b)) for i in range(200)}
    assert sorted(sorted(g) for g in selftrain.composition_groups(short)) == [
        sorted(f"a{i}" for i in range(200)), sorted(f"b{i}" for i in range(200))]
    # a second genome too small for a dialect of its own stays with the first
    few = {**{f"a{i}": _usage(rng, a, 60_000) for i in range(4)}, "b0": _usage(rng, b, 50_000)}
    assert len(selftrain.composition_groups(few)) == 1 and selftrain.GROUP_MIN_CODONS > 50_000


def test_self_training_fits_each_genome_of_a_mixed_input_apart(monkeypatch):
    """Records of two genomes of different codon usage in one input are decoded exactly as if each genome
    came alone; the GC-rich genome's records together."""
    monkeypatch.setattr(selftrain, "GROUP_MIN_CODONS", 2_000)

    def decode(rid, c, e):
        return decode_evidence(c, e, rid, block_start=0, record_length=len(c), start_weight=16.0)

    records = {}
    for name, seed, bases in (("gc1", 0, "GC"), ("gc2", 1, "GC"), ("at1", 2, "AT")):
        seq, genes = _genome(seed, first_bases=bases)
        codes, _ = encode(seq)
        records[name] = (codes, oriented(*evidence_arrays(_probs(len(seq), genes))))
    w = selftrain.Weights(coding=1.0, start=10.0)
    calls, dialects, _ = selftrain.adapt(records, decode, weights=w)
    assert [sorted(g) for g, _ in dialects] == [["gc1", "gc2"], ["at1"]]
    for group in (["gc1", "gc2"], ["at1"]):
        alone, [(_, d)], _ = selftrain.adapt({r: records[r] for r in group}, decode, weights=w)
        for r in group:
            assert selftrain._keys(alone[r]) == selftrain._keys(calls[r])
    # one genome alone: one group, whatever its records
    _, one, _ = selftrain.adapt({r: records[r] for r in ("gc1", "gc2")}, decode, weights=w)
    assert len(one) == 1


def _coding_records(table: int, seed: int, records: int = 3, genes: int = 30) -> dict[str, str]:
    """Forward-strand genes of one genome (its own codon usage; under table 4, TGA is a sense codon used
    inside genes), 20-60 random bases apart."""
    rng = np.random.default_rng(seed)
    stops = sorted(codon_table(table)[1])
    sense = [a + b + c for a in "ACGT" for b in "ACGT" for c in "ACGT" if a + b + c not in stops]
    usage = rng.gamma(1.0, size=len(sense))
    if table == 4:
        usage[sense.index("TGA")] = 0.03 * usage.sum()  # tryptophan: a few per gene
    usage /= usage.sum()
    out = {}
    for r in range(records):
        parts = []
        for _ in range(genes):
            parts.append("ATG" + "".join(rng.choice(sense, size=int(rng.integers(200, 400)), p=usage)) + stops[0])
            parts.append("".join(rng.choice(list("ACGT"), size=int(rng.integers(20, 60)))))
        out[f"t{table}_{r}"] = "".join(parts)
    return out


def _orf_calls(rid, codes, table, min_length=90):
    """A stand-in decoder: every forward open frame of ``table`` from its first ATG to its stop."""
    from genelstm.decode import Call, _codon_ids, _is_codon
    from genelstm.genemodel import Transcript

    ids = _codon_ids(codes)
    is_stop, is_atg = _is_codon(ids, codon_table(table)[1]), _is_codon(ids, frozenset({"ATG"}))
    out = []
    for f in range(3):
        stops = f + 3 * np.flatnonzero(is_stop[f::3])
        atgs = f + 3 * np.flatnonzero(is_atg[f::3])
        for lo, stop in zip(np.r_[f - 3, stops[:-1]] + 3, stops):
            first = atgs[np.searchsorted(atgs, lo)] if np.searchsorted(atgs, lo) < len(atgs) else stop
            if stop + 3 - first >= min_length and first < stop:
                tx = Transcript(id="", seqid=rid, strand=1, cds=((int(first), int(stop) + 3),), table=table)
                out.append(Call(tx, 1.0))
    return sorted(out, key=lambda c: c.transcript.cds)


@pytest.mark.parametrize("input_table", [11, 4])
def test_each_genome_of_a_mixed_input_is_read_with_its_own_translation_table(monkeypatch, input_table):
    """A Mycoplasma-like genome (TGA read as tryptophan) beside a table-11 one, whichever table the input as a
    whole was given: once the records fall into two groups by codon usage, each group's table is read from its
    own records and its records are decoded with it; without table_of all are read with the input's table."""
    from genelstm import genetic_code
    from genelstm.decode import Evidence
    from genelstm.sequence import MemoryGenome

    monkeypatch.setattr(selftrain, "GROUP_MIN_CODONS", 2_000)
    seqs = {**_coding_records(11, 0), **_coding_records(4, 1)}
    genome = MemoryGenome("mixed", seqs)
    records = {}
    for rid, seq in seqs.items():
        codes, _ = encode(seq)
        n = len(codes)
        zero = Evidence(np.zeros((3, n), np.float32), np.zeros(n, np.float32), np.zeros(n, np.float32))
        records[rid] = (codes, (zero, zero))

    def decode(rid, codes, ev, table=input_table):  # the evidence is empty: calls depend on the table alone
        return _orf_calls(rid, codes, table)

    calls, dialects, _ = selftrain.adapt(records, decode, table=input_table, weights=selftrain.Weights(rounds=1),
                                         table_of=lambda group: genetic_code.choose(genome, set(group))[0])
    by_table = {d.table: sorted(group) for group, d in dialects}
    assert by_table == {11: ["t11_0", "t11_1", "t11_2"], 4: ["t4_0", "t4_1", "t4_2"]}
    for rid, (codes, _) in records.items():
        table = 4 if rid.startswith("t4") else 11
        assert selftrain._keys(calls[rid]) == selftrain._keys(_orf_calls(rid, codes, table))
        assert {c.transcript.table for c in calls[rid]} == {table}
    # without table_of: the input's code for all (under 11, the table-4 genes come out cut at their TGAs)
    plain, dialects, _ = selftrain.adapt(records, decode, table=input_table, weights=selftrain.Weights(rounds=1))
    assert {d.table for _, d in dialects} == {input_table}
    wrong = "t4_0" if input_table == 11 else "t11_0"
    assert selftrain._keys(plain[wrong]) != selftrain._keys(calls[wrong])
    if input_table == 11:
        longest = lambda cs: max(c.transcript.end - c.transcript.start for c in cs)  # noqa: E731
        assert longest(plain["t4_0"]) < longest(calls["t4_0"]) / 2


def test_dialect_without_motif_learns_no_motif():
    rng = np.random.default_rng(0)
    seq, genes = _genome(3)
    # scramble the motif away: replace every SD occurrence by random bases
    seq = seq.replace(SD, "".join(rng.choice(list("ACT"), 6)))
    codes, _ = encode(seq)
    strands = [(codes, [(s, e) for s, _, e, _ in genes])]
    d = selftrain.fit(strands)
    assert d.best_sd == ""
    assert d.genes == sum(e - s >= selftrain.FIT_MIN_LENGTH for s, _, e, _ in genes)


def test_sd_information_is_what_the_motif_class_tells_about_the_fitted_starts():
    seq, genes = _genome(3)
    codes, _ = encode(seq)
    spans = [(s, e) for s, _, e, _ in genes]
    d = selftrain.fit([(codes, spans)])
    # by hand: the SD table's log-odds averaged over the classes of the fitted (long enough) starts
    classes = selftrain._sd_classes(codes)[[s for s, e in spans if e - s >= selftrain.FIT_MIN_LENGTH]]
    assert d.sd_information == pytest.approx(float(d.sd[classes].mean()))
    assert d.sd_information > 1.0  # every gene of _genome carries the motif at spacer 5-10
    # without the motif, its class says next to nothing about the starts (what is left is the table's fit to
    # its own 80 starts)
    rng = np.random.default_rng(0)
    bare, _ = encode(seq.replace(SD, "".join(rng.choice(list("ACT"), 6))))
    assert abs(selftrain.fit([(bare, spans)]).sd_information) < 0.1 * d.sd_information


@pytest.mark.parametrize("info, expected", [(0.2, 2.0), (0.6, 2.0), (0.8, 3.0), (1.0, 4.0), (1.7, 4.0)])
def test_sd_strong_raises_the_sd_multiplier_of_the_start_choice_with_the_motifs_information(info, expected):
    from genelstm.decode import Evidence

    genome, genes = _genome(3, n_genes=30)
    codes, _ = encode(genome)
    d = replace(selftrain.fit([(codes, [(s, e) for s, _, e, _ in genes])]), sd_information=info)
    w = selftrain.Weights(start=7.0, start_parts=(1.0, 2.0, 1.0), sd_strong=(0.6, 1.0, 4.0))
    assert w.choice_parts(d) == pytest.approx((1.0, expected, 1.0))
    n = len(codes)
    ev = Evidence(np.zeros((3, n), np.float32), np.zeros(n, np.float32), np.zeros(n, np.float32))
    out = selftrain.with_dialect(ev, codes, d, w)
    _, sd, _ = selftrain.start_terms(codes, d)
    np.testing.assert_allclose(out.choice_start, 7.0 * (expected - 1.0) * sd)
    np.testing.assert_allclose(out.start_extra, 7.0 * sum(selftrain.start_terms(codes, d)))  # the score: unchanged
    assert replace(w, sd_strong=None).choice_parts(d) == (1.0, 2.0, 1.0)


def test_a_dialect_fitted_on_no_genes_says_so():
    codes, _ = encode("ACGT" * 300)
    d = selftrain.fit([(codes, [(0, 90)])])  # shorter than FIT_MIN_LENGTH: nothing to fit on
    assert d.genes == 0
    assert d.summary() == f"no genes of {selftrain.FIT_MIN_LENGTH} bp or more to fit on; GC 50.0%"


def test_sd_classes_and_pwm_scores_match_a_direct_reading():
    seq = "CCCC" + "AGGAGG" + "TTTTTTTT" + "ATGAAA" + "CCCCCCCCCCCCCCCCCCCC"
    codes, _ = encode(seq)
    cls = selftrain._sd_classes(codes)
    s = seq.index("ATG")
    assert cls[s] == selftrain.SD_MOTIFS.index("AGGAGG") * len(selftrain.SPACER_BINS) + 1  # spacer 8: bin 5-10
    a, b = selftrain.PWM_SPAN
    pwm = np.arange(4 * (b - a), dtype=float).reshape(4, b - a)
    for at in (s, 2, len(seq) - 3):  # a start codon in the middle and near both ends
        got = selftrain._pwm_scores(codes, pwm, np.array([at]))[0]
        want = sum(pwm[codes[at + off], off - a] for off in range(a, b)
                   if not 0 <= off <= 2 and 0 <= at + off < len(seq) and codes[at + off] < 4)
        assert got == pytest.approx(want)


def _one_orf(up_codons: int = 30, body_codons: int = 40):
    """A forward strand: an in-frame stop, padding, an upstream ATG, ``up_codons`` GCC codons, the true ATG, the body, TAA."""
    seq = "TAA" + "CCC" * 4 + "ATG" + "GCC" * up_codons + "ATG" + "GCC" * body_codons + "TAA" + "CCC" * 5
    up, down = 15, 15 + 3 + 3 * up_codons
    return encode(seq)[0], up, down, len(seq) - 15


@pytest.mark.parametrize("share, chosen", [(1.0, "up"), (0.5, "down")])
def test_choice_share_discounts_the_dicodon_term_only_when_choosing_the_start(share, chosen):
    from genelstm.decode import Evidence

    codes, up, down, end = _one_orf()
    n = len(codes)
    extra = np.zeros(n)
    extra[up:end - 3:3] = 1.0  # one unit per in-frame codon from the upstream ATG to the stop
    start_extra = np.zeros(n)
    start_extra[down] = 20.0  # the start evidence prefers the downstream ATG, by less than 30 codons' worth
    fwd = Evidence(np.zeros((3, n), np.float32), np.zeros(n, np.float32), np.zeros(n, np.float32),
                   extra, start_extra, 0, share)
    rev = Evidence(np.full((3, n), -5.0, np.float32), np.zeros(n, np.float32), np.zeros(n, np.float32))
    calls = decode_evidence(codes, (fwd, rev), "r", block_start=0, record_length=n, start_weight=1.0)
    assert len(calls) == 1
    s = calls[0].transcript.cds[0][0]
    assert s == (up if chosen == "up" else down)
    # once chosen, the gene's score counts the dicodon term in full
    assert calls[0].score == pytest.approx(extra[s:end:3].sum() + start_extra[s])


def test_upstream_starts_counts_the_start_codons_of_the_open_stretch_and_sets_the_share():
    body = "ATG" + "GCC" * 110 + "TAA"
    seq = "CCC" * 15 + "TAA" + "CCC" + "ATG" + "CCC" + "GTG" + "CCC" + body + "CCC" * 3
    codes, _ = encode(seq)
    start = seq.index(body)
    d = selftrain.fit([(codes, [(start, start + len(body))])])
    assert d.genes == 1 and d.upstream_starts == 2.0  # ATG and GTG after the in-frame TAA
    w = selftrain.Weights(choice_ref=2.6)
    assert w.choice_share(d) == 1.0
    assert w.choice_share(replace(d, upstream_starts=5.2)) == pytest.approx(0.25)
    assert selftrain.Weights().choice_share(replace(d, upstream_starts=5.2)) == 1.0


def test_a_gene_starting_at_a_records_edge_is_left_out_of_the_fit():
    """A gene whose start lies within FIT_START_FROM bases of its strand's 5' end has no upstream to learn from:
    the dialect fitted with it is the one fitted without it (it once made self-training oscillate)."""
    genome, genes = _genome(4, n_genes=30)
    cut = genes[0][0]  # the record begins at the first gene's start codon, as a Kaptive locus does
    codes, _ = encode(genome[cut:])
    spans = [(s - cut, e - cut) for s, _, e, _ in genes]
    assert spans[0][0] == 0 and all(s >= selftrain.FIT_START_FROM for s, _ in spans[1:])
    fitted = [e - s >= selftrain.FIT_MIN_LENGTH for s, e in spans]
    assert fitted[0]  # long enough to be fitted on, were it not at the edge
    with_edge, without = selftrain.fit([(codes, spans)]), selftrain.fit([(codes, spans[1:])])
    assert with_edge.genes == without.genes == sum(fitted) - 1
    for name in ("hexamer", "start_codon", "sd", "pwm", "upstream"):
        np.testing.assert_array_equal(getattr(with_edge, name), getattr(without, name))
    # a gene just far enough from the edge counts
    shifted = selftrain.fit([(encode(genome[cut - selftrain.FIT_START_FROM:])[0],
                              [(s + selftrain.FIT_START_FROM, e + selftrain.FIT_START_FROM) for s, e in spans])])
    assert shifted.genes == sum(fitted)


@pytest.mark.parametrize("info, upstream_starts, expected", [
    (0.2, 1.0, "start choice: SD term x2, dicodon term x1"),
    (1.7, 1.0, "start choice: SD term x4, dicodon term x1"),
    (0.2, 5.2, "start choice: SD term x2, dicodon term x0.25")])
def test_the_header_says_how_the_start_choice_follows_the_genome(info, upstream_starts, expected):
    """The SD multiplier follows the motif's information (sd_strong), the dicodon share the open stretch
    upstream of the fitted starts (choice_ref): the header line says what they came to for this genome."""
    genome, genes = _genome(3, n_genes=30)
    codes, _ = encode(genome)
    d = replace(selftrain.fit([(codes, [(s, e) for s, _, e, _ in genes])]), sd_information=info,
                upstream_starts=upstream_starts)
    w = selftrain.Weights(start_parts=(1.0, 2.0, 1.0), sd_strong=(0.6, 1.0, 4.0), choice_ref=2.6)
    assert w.choice_summary(d) == expected


@pytest.mark.parametrize("boost, chosen", [(None, "up"), (4.0, "down")])
def test_choice_start_weighs_in_the_start_choice_but_not_in_the_gene_score(boost, chosen):
    from genelstm.decode import Evidence

    codes, up, down, end = _one_orf(up_codons=10)
    n = len(codes)
    start_extra = np.zeros(n)
    start_extra[up], start_extra[down] = 5.0, 3.0
    choice = None
    if boost is not None:
        choice = np.zeros(n)
        choice[down] = boost
    fwd = Evidence(np.zeros((3, n), np.float32), np.zeros(n, np.float32), np.zeros(n, np.float32),
                   np.zeros(n), start_extra, 0, 1.0, choice)
    rev = Evidence(np.full((3, n), -5.0, np.float32), np.zeros(n, np.float32), np.zeros(n, np.float32))
    calls = decode_evidence(codes, (fwd, rev), "r", block_start=0, record_length=n, start_weight=1.0)
    assert len(calls) == 1
    s = calls[0].transcript.cds[0][0]
    assert s == (up if chosen == "up" else down)
    assert calls[0].score == pytest.approx(start_extra[s])


@pytest.mark.parametrize("per_codon, chosen", [(0.0, "down"), (0.26, "down"), (0.28, "up")])
def test_choice_per_codon_favours_the_longer_start_by_its_extra_codons_in_the_choice_only(per_codon, chosen):
    from genelstm.decode import Evidence

    codes, up, down, end = _one_orf(up_codons=10)  # the upstream ATG adds 11 codons
    n = len(codes)
    start_extra = np.zeros(n)
    start_extra[up], start_extra[down] = 1.0, 4.0  # the downstream start is better by 3: 11 codons outweigh
    # that above 3/11 each
    fwd = Evidence(np.zeros((3, n), np.float32), np.zeros(n, np.float32), np.zeros(n, np.float32),
                   np.zeros(n), start_extra, choice_per_codon=per_codon)
    rev = Evidence(np.full((3, n), -5.0, np.float32), np.zeros(n, np.float32), np.zeros(n, np.float32))
    calls = decode_evidence(codes, (fwd, rev), "r", block_start=0, record_length=n, start_weight=1.0)
    assert len(calls) == 1
    s = calls[0].transcript.cds[0][0]
    assert s == (up if chosen == "up" else down)
    assert calls[0].score == pytest.approx(start_extra[s])  # the gene's score does not count the length term
    # a block's slice keeps it (predict decodes long records in overlapping blocks)
    assert fwd.slice(5, n).choice_per_codon == per_codon


@pytest.mark.parametrize("own, option, chosen", [(0.14, 0.0, "down"), (0.0, 0.14, "down"), (0.14, 0.14, "up")])
def test_the_decoder_option_per_codon_adds_to_the_evidences_own(own, option, chosen):
    """decode_evidence's ``choice_per_codon`` (the network-alone setting) adds to what the evidence carries
    (a fitted dialect's): 0.14 + 0.14 per codon crosses the 3/11 flip point, either alone does not."""
    from genelstm.decode import Evidence

    codes, up, down, end = _one_orf(up_codons=10)
    n = len(codes)
    start_extra = np.zeros(n)
    start_extra[up], start_extra[down] = 1.0, 4.0
    fwd = Evidence(np.zeros((3, n), np.float32), np.zeros(n, np.float32), np.zeros(n, np.float32),
                   np.zeros(n), start_extra, choice_per_codon=own)
    rev = Evidence(np.full((3, n), -5.0, np.float32), np.zeros(n, np.float32), np.zeros(n, np.float32))
    calls = decode_evidence(codes, (fwd, rev), "r", block_start=0, record_length=n, start_weight=1.0,
                            choice_per_codon=option)
    assert [c.transcript.cds[0][0] for c in calls] == [up if chosen == "up" else down]


def test_with_dialect_passes_the_length_weight_to_the_choice():
    from genelstm.decode import Evidence

    genome, genes = _genome(3, n_genes=30)
    codes, _ = encode(genome)
    d = selftrain.fit([(codes, [(s, e) for s, _, e, _ in genes])])
    ev = Evidence(np.zeros((3, len(codes)), np.float32), np.zeros(len(codes), np.float32),
                  np.zeros(len(codes), np.float32))
    assert selftrain.with_dialect(ev, codes, d, selftrain.Weights(length=12.5)).choice_per_codon == 12.5
    assert selftrain.with_dialect(ev, codes, d, selftrain.Weights()).choice_per_codon == 0.0


def test_with_dialect_splits_the_start_model_between_score_and_choice():
    from genelstm.decode import Evidence

    genome, genes = _genome(3, n_genes=30)
    codes, _ = encode(genome)
    d = selftrain.fit([(codes, [(s, e) for s, _, e, _ in genes])])
    n = len(codes)
    ev = Evidence(np.zeros((3, n), np.float32), np.zeros(n, np.float32), np.zeros(n, np.float32))
    w = selftrain.Weights(start=7.0, start_parts=(2.0, 1.0, 0.5))
    out = selftrain.with_dialect(ev, codes, d, w)
    codon, sd, comp = selftrain.start_terms(codes, d)
    assert np.abs(sd).max() > 0 and np.abs(comp).max() > 0
    np.testing.assert_allclose(out.start_extra, 7.0 * sum(selftrain.start_terms(codes, d)))
    np.testing.assert_allclose(out.choice_start, 7.0 * (1.0 * codon - 0.5 * comp))
    assert selftrain.with_dialect(ev, codes, d, selftrain.Weights()).choice_start is None


def test_coding_floor_reaches_the_decoder_in_score_units():
    """Weights.coding_floor is in dicodon log-odds units: the decoder gets it times the dicodon weight, for
    genes at least FIT_MIN_LENGTH long; a checkpoint's adapt_coding_floor sets it (absent: no floor)."""
    from genelstm.decode import Evidence
    from genelstm.predict import decoder_options

    genome, genes = _genome(3, n_genes=30)
    codes, _ = encode(genome)
    d = selftrain.fit([(codes, [(s, e) for s, _, e, _ in genes])])
    n = len(codes)
    ev = Evidence(np.zeros((3, n), np.float32), np.zeros(n, np.float32), np.zeros(n, np.float32))
    out = selftrain.with_dialect(ev, codes, d, selftrain.Weights(coding=4.0, coding_floor=-2.5))
    assert out.extra_floor == (selftrain.FIT_MIN_LENGTH, -10.0)
    assert out.slice(10, 500).extra_floor == out.extra_floor
    assert selftrain.with_dialect(ev, codes, d, selftrain.Weights()).extra_floor is None
    assert decoder_options({"decoder": {"adapt_coding_floor": -2}})["adapt_weights"].coding_floor == -2.0
    assert decoder_options({"decoder": {}})["adapt_weights"].coding_floor is None


@pytest.mark.parametrize("seed", range(3))
def test_orf_starts_match_a_codon_by_codon_walk(seed):
    """The vectorised ORF reading equals walking each gene's frame codon by codon: other start codons
    upstream back to the previous in-frame stop, and downstream while at least min_length bases remain."""
    from genelstm.alphabet import codon_table
    from genelstm.decode import _codon_ids, _ids

    rng = np.random.default_rng(seed)
    codes = rng.integers(0, 4, 3000).astype(np.uint8)
    starts_set, stops_set = codon_table(11)
    ids = _codon_ids(codes)
    is_start, is_stop = np.isin(ids, _ids(starts_set)), np.isin(ids, _ids(stops_set))
    genes = [(s, s + 3 * int(rng.integers(10, 200))) for s in sorted(rng.choice(np.flatnonzero(is_start), 40))]
    genes = np.array([(s, e) for s, e in genes if e <= len(codes)], np.int64)
    alts, up, open_from = selftrain._orf_starts(genes, is_start, is_stop, 90)
    want_alts, want_up, want_open = [], [], []
    for s, e in genes:
        p, n_up = s - 3, 0
        while p >= 0 and not is_stop[p]:
            if is_start[p]:
                want_alts.append(p)
                n_up += 1
            p -= 3
        want_open.append(p + 3)  # the codon after the in-frame stop, or the frame's first codon
        p = s + 3
        while p < e - 3 and p <= e - 90:
            if is_start[p]:
                want_alts.append(p)
            p += 3
        want_up.append(n_up)
    assert sorted(alts.tolist()) == sorted(want_alts) and len(want_alts) > 40
    assert up.tolist() == want_up and sum(want_up) > 0
    assert open_from.tolist() == want_open
    # a frame without any stop codon (an ORF running off the sequence) reads as open to the start
    none = np.zeros_like(is_stop)
    alts, up, _ = selftrain._orf_starts(genes, is_start, none, 90)
    assert up.tolist() == [int(is_start[s % 3 : s : 3].sum()) for s, _ in genes]


def test_upstream_table_contrasts_gene_bodies_with_the_open_stretch_upstream():
    """Self-training's upstream table: in-frame codons of gene bodies against those of the stop-free stretch
    between the previous in-frame stop and the start."""
    from genelstm.decode import _codon_ids

    gene = "ATG" + "GCT" * 50 + "CGA" * 60 + "TAA"
    seq = "CCG" * 5 + ("TAA" + "AAA" * 20 + "CGA" * 20 + gene + "CCG" * 7) * 3
    codes, _ = encode(seq)
    starts = [i for i in range(len(seq)) if seq.startswith(gene, i)]
    d = selftrain.fit([(codes, [(s, s + len(gene)) for s in starts])])
    ids = {c: int(_codon_ids(encode(c)[0])[0]) for c in ("GCT", "AAA", "CGA", "TTT")}
    u = {c: d.upstream[i] for c, i in ids.items()}
    assert u["GCT"] > 3 and u["AAA"] < -3  # only in bodies / only upstream
    assert abs(u["CGA"]) < 0.5  # about as common in both
    assert u["AAA"] < u["TTT"] < u["CGA"] < u["GCT"]  # TTT, in neither, sits at the pseudocounts' ratio


@pytest.mark.parametrize("seed", range(3))
def test_upstream_term_differs_between_two_starts_by_the_table_summed_over_the_codons_between(seed):
    from genelstm.decode import _codon_ids

    rng = np.random.default_rng(seed)
    codes = rng.integers(0, 5, 600).astype(np.uint8)  # with Ns, which count 0
    d = replace(selftrain.fit([(codes, [])]), upstream=rng.normal(size=64))
    term = selftrain.upstream_term(codes, d)
    ids = _codon_ids(codes)
    for _ in range(50):
        a = int(rng.integers(0, 590))
        b = a + 3 * int(rng.integers(0, (597 - a) // 3 + 1))
        want = sum(d.upstream[ids[q]] for q in range(a, b, 3) if ids[q] >= 0)
        assert term[a] - term[b] == pytest.approx(want, abs=1e-9)
    # it reaches the start choice only, scaled like the dicodon term
    ev = oriented(*evidence_arrays(_probs(len(codes), [])))[0]
    w = selftrain.Weights(coding=8.0, upstream=0.5)
    on, off = selftrain.with_dialect(ev, codes, d, w), selftrain.with_dialect(ev, codes, d, replace(w, upstream=0.0))
    np.testing.assert_allclose(on.choice_start - (0 if off.choice_start is None else off.choice_start), 4.0 * term)
    np.testing.assert_array_equal(on.start_extra, off.start_extra)
    np.testing.assert_array_equal(on.coding_extra, off.coding_extra)


def _tandem_genome(seed: int, n_genes: int = 60, wrong_share: float = 0.3):
    """Genes one after another on the forward strand: 2 bases after a gene's stop, an in-frame TAA bounds the
    next ORF, whose decoy ATG sits 5 bases after the previous gene's end and its true ATG 35 bases after it
    (no Shine-Dalgarno motif anywhere). Probabilities as in _probs: the network prefers the decoy on
    ``wrong_share`` of the genes."""
    rng = random.Random(seed)
    _, stops = codon_table(11)
    sense = [a + b + c for a in "ACGT" for b in "ACGT" for c in "ACGT"
             if a + b + c not in stops | {"ATG", "GTG", "TTG", "CTG", "ATT", "ATC", "ATA"}]
    seq = [rng.choice("ACGT") for _ in range(50)]
    genes = []
    for g in range(n_genes):
        seq += list(rng.choice(["CC", "GC", "CA", "TC"]) + "TAA")
        decoy = len(seq)
        seq += list("ATG" + "".join(rng.choice(sense) for _ in range(9)))
        start = len(seq)
        seq += list("ATG" + "".join(rng.choice(sense) for _ in range(rng.randint(100, 160))) + "TAA")
        genes.append((start, decoy, len(seq), g % round(1 / wrong_share) == 0))
    seq += [rng.choice("ACGT") for _ in range(60)]
    return "".join(seq), genes


@pytest.mark.parametrize("seed", range(2))
def test_distance_to_the_gene_upstream_fixes_starts_the_network_got_wrong(seed):
    """Where nothing at the start itself tells true from decoy, the distance to the gene called upstream
    does: the tandem term learns it from the confident calls and moves the wrong starts; off, they stay."""
    seq, genes = _tandem_genome(seed)
    codes, _ = encode(seq)
    ev = oriented(*evidence_arrays(_probs(len(seq), genes)))

    def decode(rid, c, e):
        return decode_evidence(c, e, rid, block_start=0, record_length=len(c), start_weight=16.0)

    only_tandem = selftrain.Weights(coding=0.0, start=10.0, start_parts=(0.0, 0.0, 0.0))  # codon, SD, PWM out
    before = _start_accuracy(decode("r", codes, ev), genes)
    off, _, _ = selftrain.adapt({"r": (codes, ev)}, decode, weights=only_tandem)
    on, [(_, dialect)], _ = selftrain.adapt({"r": (codes, ev)}, decode, weights=replace(only_tandem, tandem=1.0))
    assert before < 0.75 and _start_accuracy(off["r"], genes) == before
    assert _start_accuracy(on["r"], genes) >= 0.97, dialect.summary()
    near = [i for i, (lo, hi) in enumerate(selftrain.TANDEM_BINS) if lo <= 5 <= hi][0]
    far = [i for i, (lo, hi) in enumerate(selftrain.TANDEM_BINS) if lo <= 35 <= hi][0]
    assert dialect.tandem[far] > 0 > dialect.tandem[near]


@pytest.mark.parametrize("seed", range(3))
def test_tandem_classes_match_a_scan_for_the_nearest_gene_end(seed):
    rng = np.random.default_rng(seed)
    ends = rng.choice(np.arange(400, 5000), size=40, replace=False)
    at = rng.integers(0, 5000, size=300)  # some before the first end, some within 150 bases of the start
    want = []
    for s in at:
        near = [e for e in ends if e <= s + 60]
        d = s - max(near) if near else None
        cls = [i for i, (lo, hi) in enumerate(selftrain.TANDEM_BINS) if d is not None and lo <= d <= hi]
        unknown = d is None and s <= selftrain.TANDEM_BINS[-1][1]  # the sequence begins too near to say "none"
        want.append(cls[0] if cls else -1 if unknown else len(selftrain.TANDEM_BINS))
    assert selftrain._tandem_classes(at, ends).tolist() == want
