"""The gene decoder, fed oracle probabilities made from known labels, must return exactly the genes."""
import numpy as np
import pytest

from genelstm import synthetic
from genelstm.alphabet import encode
from genelstm.decode import Evidence, decode_evidence, select, strand_evidence
from genelstm.probs import Probs
from genelstm.labels import EVENTS, REGIONS, label_record


def oracle(lab, noise=0.0, seed=0):
    """Probabilities that put (1 - noise) on the true label."""
    rng = np.random.default_rng(seed)
    n = lab.length
    region = np.full((2, len(REGIONS), n), noise / len(REGIONS), np.float32)
    for t in range(2):
        region[t, lab.region[t], np.arange(n)] += 1 - noise
    events = lab.event_array().astype(np.float32) * (1 - noise) + noise * rng.random((2, len(EVENTS), n))
    return Probs(0, n, region, events.astype(np.float32))


@pytest.mark.parametrize("seed,alternatives", [(0, 0), (1, 0), (2, 0), (3, 0), (0, 10), (1, 10)])
def test_oracle_probabilities_give_the_planted_genes_exactly(seed, alternatives):
    g = synthetic.make(seed, records=1, length=6000, genes_per_record=5)
    seq = g.sequences["synth1"]
    lab = label_record(len(seq), g.transcripts)
    codes, _ = encode(seq)
    calls = decode_evidence(codes, strand_evidence(oracle(lab, noise=0.05, seed=seed)), "synth1", block_start=0,
                            record_length=len(seq), alternatives=alternatives)
    got = sorted((c.transcript.strand, c.transcript.cds) for c in calls)
    want = sorted((t.strand, t.cds) for t in g.transcripts)
    assert got == want


@pytest.mark.parametrize("alternatives", [0, 10])
def test_partial_genes_at_record_ends(alternatives):
    g = synthetic.make(11, records=1, length=3000, genes_per_record=2, both_strands=False)
    t0 = g.transcripts[0]
    seq = g.sequences["synth1"]
    cut = t0.start + 30 + (3 - (t0.start + 30) % 3) % 3 - 0  # cut inside the first gene
    sub = seq[cut:]
    s, e = t0.cds[0]
    truth = type(t0)("x", "synth1", 1, ((0, e - cut),), partial5=True, phase=(3 - (cut - s) % 3) % 3)
    lab = label_record(len(sub), [truth])
    codes, _ = encode(sub)
    calls = decode_evidence(codes, strand_evidence(oracle(lab, 0.05)), "synth1", block_start=0,
                            record_length=len(sub), alternatives=alternatives)
    first = min(calls, key=lambda c: c.transcript.start).transcript
    assert first.partial5 and first.cds[0][1] == e - cut and first.cds[0][0] == truth.phase


def test_length_prior_lowers_only_short_genes_by_exactly_its_amount():
    g = synthetic.make(3, records=1, length=9000, genes_per_record=6)
    seq = g.sequences["synth1"]
    codes, _ = encode(seq)
    ev = strand_evidence(oracle(label_record(len(seq), g.transcripts), noise=0.05))

    def calls(prior):
        got = decode_evidence(codes, ev, "synth1", block_start=0, record_length=len(seq), length_prior=prior)
        return {(c.transcript.strand, c.transcript.cds): c.score for c in got}

    plain = calls((0.0, 1.0))
    lengths = sorted(e - s for (_, ((s, e),)) in plain)
    assert len(plain) == 6 and lengths[0] < lengths[-1]
    cut = (lengths[0] + lengths[-1]) / 2
    gently = calls((1.0, cut))
    assert gently.keys() == plain.keys()
    for key, score in plain.items():
        length = key[1][0][1] - key[1][0][0]
        assert gently[key] == pytest.approx(score - (1 - length / cut if length < cut else 0.0))
    hard = calls((1e9, cut))  # no short gene can pay this: only the long ones stay, unchanged
    assert hard == {k: v for k, v in plain.items() if k[1][0][1] - k[1][0][0] >= cut} and hard


def test_select_allows_small_overlaps_only():
    cands = [(0, 300, 10.0, 1, False, False), (280, 600, 10.0, 1, False, False),
             (200, 700, 15.0, -1, False, False)]
    assert select(cands, max_overlap=60) == [0, 1]
    assert select(cands, max_overlap=0) == [2]


@pytest.mark.parametrize("seed", range(4))
def test_eukaryote_oracle_gives_spliced_genes_exactly(seed):
    from genelstm.decode_euk import decode_eukaryote

    g = synthetic.make(seed, records=1, length=8000, genes_per_record=4, introns=True)
    seq = g.sequences["synth1"]
    lab = label_record(len(seq), g.transcripts)
    codes, _ = encode(seq)
    calls = decode_eukaryote(codes, oracle(lab, noise=0.05, seed=seed), "synth1", record_length=len(seq), table=11)
    got = sorted((c.transcript.strand, c.transcript.cds) for c in calls)
    want = sorted((t.strand, t.cds) for t in g.transcripts)
    assert got == want
    assert all(c.score > 0 for c in calls)


def test_overlap_limits_depend_on_the_strands_of_neighbours():
    from genelstm.decode import select

    # (start, end, score, strand, partial5, partial3)
    fwd_then_rev = [(0, 600, 10.0, 1, False, False), (500, 1200, 8.0, -1, False, False)]  # 3' ends facing, 100 bp
    rev_then_fwd = [(0, 600, 10.0, -1, False, False), (500, 1200, 8.0, 1, False, False)]  # 5' ends facing, 100 bp
    same = [(0, 600, 10.0, 1, False, False), (500, 1200, 8.0, 1, False, False)]
    assert select(fwd_then_rev, 60) == [0] and select(rev_then_fwd, 60) == [0] and select(same, 60) == [0]
    assert select(fwd_then_rev, 60, overlap_3p=200) == [0, 1]
    assert select(rev_then_fwd, 60, overlap_3p=200) == [0]  # the 3' limit does not open 5' overlaps
    assert select(rev_then_fwd, 60, overlap_5p=120) == [0, 1]
    assert select(same, 60, overlap_3p=200, overlap_5p=200) == [0]
    assert select(same, 120) == [0, 1]
    # the limit is read from the predecessor's strand: a third gene far away keeps both chains
    three = fwd_then_rev + [(1300, 1900, 5.0, 1, False, False)]
    assert select(three, 60, overlap_3p=200) == [0, 1, 2]
    assert select(three, 60) == [0, 2]


def _two_genes_in_conflict(genes=((99, 702), (601, 1303))):
    """A forward gene A [99, 702) in frame 0 and a gene B in frame 1 ending at 1303 whose better start (601)
    overlaps A by 101 bases and whose second in-frame ATG (661) by 41: hand-made evidence, +1 per coding
    base in each gene's frame, -1 elsewhere, the start at 601 stronger than the one at 661."""
    n = 1500
    seq = ["C"] * n
    for pos, codon in ((99, "ATG"), (699, "TAA"), (601, "ATG"), (661, "ATG"), (1300, "TAG")):
        seq[pos : pos + 3] = codon
    seq = "".join(seq)
    cod = np.full((3, n), -1.0)
    for s, e in genes:
        i = np.arange(s, e)
        cod[(i - s) % 3, i] = 1.0
    start = np.full(n, -5.0)
    start[[99, 601, 661]] = [1.0, 1.0, 0.5]
    fwd = Evidence(cod, start, np.zeros(n))
    rev = Evidence(np.full((3, n), -1.0), np.full(n, -5.0), np.zeros(n))
    return encode(seq)[0], (fwd, rev)


def test_a_shorter_orf_lets_a_gene_fit_beside_its_neighbour():
    def genes(k, **kw):
        codes, ev = _two_genes_in_conflict(**kw)
        calls = decode_evidence(codes, ev, "r", block_start=0, record_length=len(codes), max_overlap=60,
                                alternatives=k)
        return [c.transcript.cds[0] for c in calls if c.transcript.strand == 1]

    assert genes(0) == [(601, 1303)]  # the chosen start overlaps A by 101 bases: one gene must go
    assert genes(1) == genes(5) == [(99, 702), (661, 1303)]  # the next start down fits within 60 bases
    # without the neighbour the stop's chosen start stays: a shorter ORF never outscores it
    assert genes(5, genes=((601, 1303),)) == genes(0, genes=((601, 1303),)) == [(601, 1303)]


def test_start_codons_restrict_the_starts_offered():
    """A gene whose evidence marks an in-frame ATT upstream of its ATG: with all of table 11's start codons
    the ATT start is called; offered only ATG/GTG/TTG (Prodigal's set), the same ORF starts at the ATG."""
    rng = np.random.default_rng(5)
    sense = [a + b + c for a in "ACGT" for b in "ACGT" for c in "ACGT"
             if a + b + c not in ("TAA", "TAG", "TGA", "ATG", "GTG", "TTG", "ATT", "ATC", "ATA", "CTG")]
    body = "".join(rng.choice(sense) for _ in range(200))
    seq = "C" * 60 + "ATT" + "GCA" * 10 + "ATG" + body + "TAA" + "C" * 60
    att, atg, end = 60, 93, len(seq) - 60
    n = len(seq)
    cod = np.full((3, n), -3.0, np.float32)
    for k in range(3):
        cod[k, att + k : end : 3] = 3.0  # codon position k+1 from the ATT on
    start = np.full(n, -5.0, np.float32)
    start[att], start[atg] = 4.0, 0.0
    stop = np.full(n, -5.0, np.float32)
    stop[end - 3] = 4.0
    empty = Evidence(np.full((3, n), -3.0, np.float32), np.full(n, -5.0, np.float32), np.full(n, -5.0, np.float32))
    codes, _ = encode(seq)

    def called(start_codons):
        calls = decode_evidence(codes, (Evidence(cod, start, stop), empty), "r", block_start=0, record_length=n,
                                start_weight=1.0, start_codons=start_codons)
        return [c.transcript.cds for c in calls]

    assert called(None) == [((att, end),)]
    assert called(frozenset({"ATG", "GTG", "TTG"})) == [((atg, end),)]


@pytest.mark.parametrize("floor", [1e-5, 1e-2])
def test_probability_floor_bounds_every_log_odds(floor):
    """The decoder's probability floor (checkpoint decoder.prob_floor) caps a base's start/stop and coding
    log-odds at log((1 + floor) / floor): certain probabilities give exactly the cap, never infinity."""
    from genelstm.decode import evidence_arrays
    from genelstm.predict import decoder_options, eukaryote_decoder_options

    n = 6
    region = np.zeros((2, len(REGIONS), n), np.float32)
    region[:, 0] = 1.0  # every base certainly intergenic ...
    region[:, :, 0] = 0.0
    region[:, REGIONS.index("cds1"), 0] = 1.0  # ... but the first, certainly coding
    events = np.zeros((2, len(EVENTS), n), np.float32)
    events[:, EVENTS.index("start"), 0] = 1.0
    cod, start, stop, choice = evidence_arrays(Probs(0, n, region, events), floor)
    assert choice is None  # a model without a start-choice head
    cap = np.log(1 + floor) - np.log(floor)
    np.testing.assert_allclose(start[:, 0], cap, rtol=1e-6)
    np.testing.assert_allclose(start[:, 1:], -cap, rtol=1e-6)
    np.testing.assert_allclose(stop, -cap, rtol=1e-6)
    np.testing.assert_allclose(cod[:, 0, 0], cap, rtol=1e-6)  # codon position 1 at the coding base
    np.testing.assert_allclose(cod[:, 0, 1:], -cap, rtol=1e-6)
    ck = {"decoder": {"prob_floor": floor, "inner_start_penalty": 3.0}}
    assert decoder_options(ck)["prob_floor"] == eukaryote_decoder_options(ck)["prob_floor"] == floor


def test_coding_floor_keeps_long_genes_from_being_scored_out_by_the_genome_term():
    """Self-training's dicodon term (Evidence.coding_extra) is a sum over a gene's codons; with a floor
    (length, f) a gene at least ``length`` long loses at most -f from it, shorter genes keep the full sum."""
    from dataclasses import replace

    g = synthetic.make(3, records=1, length=9000, genes_per_record=6)
    seq = g.sequences["synth1"]
    codes, _ = encode(seq)
    ev = strand_evidence(oracle(label_record(len(seq), g.transcripts), noise=0.05))

    def calls(evidence):
        got = decode_evidence(codes, evidence, "synth1", block_start=0, record_length=len(seq))
        return {(c.transcript.strand, c.transcript.cds): c.score for c in got}

    def with_extra(floor):  # -0.5 per codon; choice_share 0 so the starts chosen stay the same
        return tuple(replace(e, coding_extra=np.full(len(e), -0.5), choice_share=0.0, extra_floor=floor) for e in ev)

    plain = calls(ev)
    length = {key: key[1][0][1] - key[1][0][0] for key in plain}
    assert len(plain) == 6
    cut = (min(length.values()) + max(length.values())) / 2
    penalised, floored = calls(with_extra(None)), calls(with_extra((cut, -7.0)))
    assert penalised.keys() == floored.keys() == plain.keys()
    for key, score in plain.items():
        full = -0.5 * length[key] / 3
        assert penalised[key] == pytest.approx(score + full)
        assert floored[key] == pytest.approx(score + (max(full, -7.0) if length[key] >= cut else full))
    assert any(floored[k] > penalised[k] + 1 for k in plain) and any(floored[k] == penalised[k] for k in plain)
