"""The eukaryote decoder never emits an impossible gene: property tests on random inputs, and the
two cases that used to break it (an exon that begins with a stop; a stop split by an intron)."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from genelstm.alphabet import EUKARYOTE_STARTS, codon_table, encode, reverse_complement
from genelstm.decode_euk import decode_eukaryote
from genelstm.labels import CDS1, EVENTS, INTERGENIC, INTRON, REGIONS
from genelstm.probs import Probs

_, STOPS = codon_table(1)
STARTS = EUKARYOTE_STARTS  # not the table's alternative initiation codons (TTG, CTG)
MIN_EXON, MIN_INTRON = 3, 20


def _spliced(seq: str, tx) -> str:
    s = "".join(seq[a:b] for a, b in sorted(tx.cds))
    return s if tx.strand == 1 else reverse_complement(s)


def check_transcript(seq: str, tx) -> None:
    cds = _spliced(seq, tx)
    body = cds[tx.phase:]
    codons = [body[i : i + 3] for i in range(0, len(body) - len(body) % 3, 3)]
    inner = codons[:-1] if not tx.partial3 else codons
    assert not any(c in STOPS for c in inner), f"in-frame stop inside {tx.cds} {tx.strand}: {codons}"
    if not tx.partial5:
        assert tx.phase == 0 and codons and codons[0] in STARTS, (tx.cds, codons[:1])
    if not tx.partial3:
        assert len(body) % 3 == 0 and codons[-1] in STOPS, (tx.cds, codons[-1:])
    segs = sorted(tx.cds)
    for a, b in segs:
        assert b - a >= MIN_EXON or len(segs) == 1
    for (_, e1), (s2, _) in zip(segs, segs[1:]):
        intron = seq[e1:s2]
        if tx.strand == -1:
            intron = reverse_complement(intron)
        assert len(intron) >= MIN_INTRON
        assert intron[:2] in ("GT", "GC") and intron[-2:] == "AG", intron[:2] + ".." + intron[-2:]


def _random_probs(rng: np.random.Generator, n: int) -> Probs:
    region = rng.dirichlet(np.ones(len(REGIONS)) * 0.3, size=(2, n)).transpose(0, 2, 1).astype(np.float32)
    events = (rng.random((2, len(EVENTS), n)) ** 3).astype(np.float32)
    return Probs(0, n, region, events)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(60, 900), gc=st.floats(0.2, 0.8),
       penalty=st.sampled_from([0.0, 256.0]))
def test_random_probabilities_give_only_valid_genes(seed, n, gc, penalty):
    rng = np.random.default_rng(seed)
    p = [(1 - gc) / 2, gc / 2, gc / 2, (1 - gc) / 2]
    seq = "".join(rng.choice(list("ACGT"), n, p=p))
    codes, _ = encode(seq)
    calls = decode_eukaryote(codes, _random_probs(rng, n), "r", record_length=n, table=1, min_score=-50.0,
                             min_exon=MIN_EXON, min_intron=MIN_INTRON, inner_start_penalty=penalty)
    for call in calls:
        check_transcript(seq, call.transcript)


def _oracle(n: int, exons: list[tuple[int, int]]) -> Probs:
    """Probabilities that say: exactly these exons (forward strand), with introns between them."""
    region = np.zeros((2, len(REGIONS), n), np.float32)
    region[:, INTERGENIC] = 0.98
    region[:, CDS1] = 0.02
    events = np.full((2, len(EVENTS), n), 1e-4, np.float32)
    k = 0
    for i, (a, b) in enumerate(exons):
        region[0, :, a:b] = 0.0
        for x in range(a, b):
            region[0, CDS1 + k % 3, x] = 1.0
            k += 1
        if i + 1 < len(exons):
            region[0, :, b : exons[i + 1][0]] = 0.0
            region[0, INTRON, b : exons[i + 1][0]] = 1.0
            events[0, EVENTS.index("donor"), b] = 0.99
            events[0, EVENTS.index("acceptor"), exons[i + 1][0] - 1] = 0.99
    events[0, EVENTS.index("start"), exons[0][0]] = 0.99
    events[0, EVENTS.index("stop"), exons[-1][1] - 3] = 0.99
    return Probs(0, n, region, events)


def _gene(exon1: str, intron: str, exon2: str, pad: int = 50):
    seq = "C" * pad + exon1 + intron + exon2 + "C" * pad
    a = pad
    b = a + len(exon1)
    c = b + len(intron)
    return seq, [(a, b), (c, c + len(exon2))]


def test_exon_beginning_with_a_stop_is_never_emitted():
    # phase 0 across the intron: exon 2 begins with TAA, so the planted "gene" is not a gene
    seq, exons = _gene("ATG" + "GCA" * 10, "GT" + "A" * 30 + "AG", "TAA" + "GCA" * 10 + "TAG")
    codes, _ = encode(seq)
    calls = decode_eukaryote(codes, _oracle(len(seq), exons), "r", record_length=len(seq), table=1)
    for call in calls:
        check_transcript(seq, call.transcript)
    # the planted exon 2 would read through its own first codon; a gene may only end at that TAA
    assert not any(tuple(exons) == c.transcript.cds for c in calls)
    assert all(c.transcript.cds[-1][1] - c.transcript.cds[-1][0] == 3 for c in calls
               if len(c.transcript.cds) == 2 and c.transcript.cds[1][0] == exons[1][0])


def test_stop_split_by_an_intron_is_never_emitted():
    # exon 1 ends with "T" (phase 1), exon 2 begins with "AA": the joined codon is TAA
    seq, exons = _gene("ATG" + "GCA" * 10 + "T", "GT" + "C" * 30 + "AG", "AA" + "GCA" * 10 + "TAG")
    codes, _ = encode(seq)
    calls = decode_eukaryote(codes, _oracle(len(seq), exons), "r", record_length=len(seq), table=1)
    for call in calls:
        check_transcript(seq, call.transcript)
    assert not any(len(c.transcript.cds) == 2 for c in calls)


def test_planted_gene_with_split_codon_is_found_exactly():
    # the same shape with a sense codon across the intron (T|CA = TCA) is a real gene and is found
    seq, exons = _gene("ATG" + "GCA" * 10 + "T", "GT" + "C" * 30 + "AG", "CA" + "GCA" * 10 + "TAG")
    codes, _ = encode(seq)
    calls = decode_eukaryote(codes, _oracle(len(seq), exons), "r", record_length=len(seq), table=1)
    assert [c.transcript.cds for c in calls] == [tuple(exons)]
    check_transcript(seq, calls[0].transcript)


def test_a_gene_with_a_long_intron_across_block_boundaries_is_found_whole():
    """Eukaryote records are decoded in overlapping blocks: a gene that spans two block boundaries is
    found exactly when the overlap covers it, and cut when it does not (so the test can fail)."""
    import torch

    from genelstm.predict import PredictOptions, predict_record
    from genelstm.sequence import MemoryGenome

    intron = "GT" + "".join(np.random.default_rng(3).choice(list("ACT"), 6000)) + "AG"  # no GT..AG shortcuts
    seq, exons = _gene("ATG" + "GCA" * 200, intron, "GCA" * 200 + "TAG", pad=1500)
    genome = MemoryGenome("g", {"r": seq})
    whole = _oracle(len(seq), exons)

    def calls(overlap):
        opts = PredictOptions(mode="eukaryote", table=1, block=3000, block_overlap=overlap, min_intron=20)
        return predict_record(None, genome, "r", opts, device=torch.device("cpu"), whole=whole)

    assert exons[0][0] < 3000 < 6000 < exons[1][0]  # the gene spans the boundaries at 3 and 6 kb
    assert [c.transcript.cds for c in calls(8000)] == [tuple(exons)]
    assert tuple(exons) not in [c.transcript.cds for c in calls(500)]


def test_genes_start_with_atg_not_the_tables_alternative_initiation_codons():
    """A CTG in frame upstream of the ATG, inside what the network calls coding and with a strong start
    event: table 1 lists CTG as a start, but a eukaryotic gene begins at the ATG."""
    pad = 50
    seq = "C" * (pad - 3) + "TAG" + "CTG" + "GCA" * 10 + "ATG" + "GCA" * 30 + "TAG" + "C" * pad
    n = len(seq)
    ctg, atg, end = pad, pad + 33, n - pad
    probs = _oracle(n, [(ctg, end)])  # coding from the CTG on, the strongest start event there
    probs.events[0, EVENTS.index("start"), atg] = 0.5
    codes, _ = encode(seq)
    calls = decode_eukaryote(codes, probs, "r", record_length=n, table=1)
    assert [c.transcript.cds for c in calls] == [((atg, end),)]


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(3, 400))
def test_inner_starts_agree_with_walking_back_codon_by_codon(seed, n):
    from genelstm.decode_euk import _inner_starts

    rng = np.random.default_rng(seed)
    seq = "".join(rng.choice(list("ACGT"), n, p=[0.3, 0.2, 0.2, 0.3]))
    is_atg = np.array([seq[i : i + 3] == "ATG" for i in range(n)])
    is_stop = np.array([seq[i : i + 3] in STOPS for i in range(n)])
    want = np.zeros(n, bool)
    for x in range(n):
        if seq[x : x + 3] != "ATG":
            continue
        y = x - 3
        while y >= 0 and seq[y : y + 3] not in STOPS:
            if seq[y : y + 3] == "ATG":
                want[x] = True
                break
            y -= 3
    assert (_inner_starts(is_atg, is_stop) == want).all()


def _gene_after_a_weak_stretch():
    """A forward gene from the ATG at 60 to the TAA at 300, an ATG in frame at 30 with nothing but sense
    codons between, and per-base probabilities that call the stretch 30-60 weakly non-coding."""
    n = 360
    seq = ["C"] * n
    for pos, codon in ((30, "ATG"), (60, "ATG"), (300, "TAA")):
        seq[pos : pos + 3] = codon
    seq = "".join(seq)
    region = np.zeros((2, len(REGIONS), n), np.float32)
    region[:, INTERGENIC] = 0.98
    region[:, INTRON] = 0.02
    i = np.arange(30, 303)
    strong = i >= 60
    region[0, INTERGENIC, i] = np.where(strong, 0.05, 0.7)
    region[0, CDS1 + (i - 30) % 3, i] = np.where(strong, 0.93, 0.28)
    events = np.full((2, len(EVENTS), n), 0.001, np.float32)
    events[0, EVENTS.index("start"), [30, 60]] = 0.5
    events[0, EVENTS.index("stop"), 300] = 0.9
    return encode(seq)[0], Probs(0, n, region, events)


def test_inner_start_penalty_moves_a_start_to_the_first_atg_of_its_stretch():
    codes, probs = _gene_after_a_weak_stretch()

    def genes(penalty):
        calls = decode_eukaryote(codes, probs, "r", record_length=len(codes), table=1, inner_start_penalty=penalty)
        return [c.transcript.cds for c in calls if c.transcript.strand == 1]

    assert genes(0.0) == [((60, 303),)]  # the weak stretch costs more than the start gains
    assert genes(256.0) == [((30, 303),)]  # starting at the inner ATG now costs 256
