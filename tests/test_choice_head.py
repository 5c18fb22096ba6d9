"""The start-choice head: fitted to choose among an ORF's starts, installed where the engine reads it,
used by the decoder only to choose a stop's start."""
import numpy as np
import torch

from genelstm.choice_head import TAPS, conditional_logit, groups, install, orf_starts, windows, without_head
from genelstm.config import ModelConfig
from genelstm.decode import Evidence, decode_evidence
from genelstm.model import GeneLSTM
from genelstm.train import _grown, grow_from

ACGT = "ACGT"


def _codes(seq: str) -> np.ndarray:
    return np.array([ACGT.index(b) for b in seq], np.uint8)


def test_orf_starts_are_the_offered_start_codons_with_their_stop():
    #          0  3  6  9  12 15 18 21
    seq = "ATGAAAGTGAAACTGTTGAAATAA" + "ATG" + "CCC" * 40 + "TGA"
    at, end = orf_starts(_codes(seq), 11, min_length=9)
    got = dict(zip(at.tolist(), end.tolist()))
    assert got[0] == 24 and got[6] == 24 and got[15] == 24  # ATG, GTG, TTG in frame 0 share the TAA
    assert 12 not in got  # CTG: a table-11 start, but not one the decoder offers
    assert got[24] == 24 + 3 + 120 + 3
    assert 9 not in orf_starts(_codes(seq), 11, min_length=16)[0]  # 9 bases to the stop: too short


def test_conditional_logit_recovers_a_planted_choice_rule():
    rng = np.random.default_rng(0)
    d, true_w = 12, rng.normal(size=12)
    x = rng.normal(size=(6000, d)).astype(np.float32) * 2 + 1  # not standardised: the fit must undo it
    grp = []
    for g in range(1000):
        idx = np.arange(6 * g, 6 * g + 6)
        p = np.exp(x[idx] @ true_w)
        grp.append((idx, int(rng.choice(6, p=p / p.sum()))))
    w = conditional_logit(x, grp, l2=1e-5)
    assert np.corrcoef(w, true_w)[0, 1] > 0.95
    chosen = [int(np.argmax(x[i] @ w)) for i, _ in grp]
    best = [int(np.argmax(x[i] @ true_w)) for i, _ in grp]
    assert np.mean(np.equal(chosen, best)) > 0.9


def test_groups_keep_genes_whose_frame_offers_a_choice():
    at, end = np.array([0, 6, 30, 50]), np.array([90, 90, 200, 300])
    assert [(i.tolist(), h) for i, h in groups(at, end, [(6, 90), (50, 300), (3, 90)])] == [([0, 1], 1)]


def test_installed_head_scores_each_start_from_its_own_strand_window():
    """What the network's choice head gives at a start codon equals the fitted weights applied to the window
    the fit read, on both strands (the reverse strand's taps run right to left in record coordinates)."""
    torch.manual_seed(0)
    model = GeneLSTM(ModelConfig(hidden=8, conv_channels=4, mix=6)).eval()
    rng = np.random.default_rng(1)
    w = [rng.normal(size=6 * TAPS).astype(np.float32) for _ in range(2)]
    install(model, w)
    assert model.cfg.choice_head and model.choice_head is not None
    n = 50
    mixed = rng.normal(size=(6, n)).astype(np.float32)
    with torch.no_grad():
        out = model.choice_head(torch.from_numpy(mixed)[None])[0].numpy()
    at = np.array([0, 1, 7, 25, 48, 49])  # strand-oriented positions, ends included (zero padding)
    for strand in (0, 1):
        g = at if strand == 0 else n - 1 - at
        np.testing.assert_allclose(out[strand, g], windows(mixed, at, strand) @ w[strand], rtol=1e-5, atol=1e-5)


def test_choice_logits_choose_the_start_and_the_start_event_still_scores_the_gene():
    seq = "TAA" + "ATG" + "CCC" * 10 + "ATG" + "CCC" * 40 + "TAA"  # one ORF, two starts: 3 and 36
    codes = _codes(seq)
    n = len(seq)
    cod = np.full((3, n), -1.0, np.float32)
    cod[(np.arange(n) - 3) % 3, np.arange(n)] = 0.5  # coding in this ORF's frame only
    start = np.full(n, -5.0, np.float32)
    start[3], start[36] = 2.0, 1.0  # the start event prefers the longer ORF
    choice = np.zeros(n, np.float32)
    choice[36] = 3.0  # the choice head the shorter one
    fwd = Evidence(cod, start, np.zeros(n, np.float32), start_choice=choice)
    rev = Evidence(np.full((3, n), -5.0, np.float32), np.full(n, -5.0, np.float32), np.full(n, -5.0, np.float32))
    kw = dict(block_start=0, record_length=n, min_length=60, start_weight=10.0)
    plain = decode_evidence(codes, (fwd, rev), "r", **kw)
    assert [c.transcript.cds for c in plain] == [((3, n),)]  # choice_weight 0: the head is ignored
    chosen = decode_evidence(codes, (fwd, rev), "r", choice_weight=10.0, **kw)
    assert [c.transcript.cds for c in chosen] == [((36, n),)]
    # the gene's score: coding from its start on, plus the start event's log-odds (not the choice logit)
    assert np.isclose(chosen[0].score, 0.5 * (n - 36) + 10.0 * 1.0)


def test_fine_tuning_drops_the_head():
    torch.manual_seed(0)
    init = GeneLSTM(ModelConfig(hidden=8, conv_channels=4, mix=6)).eval()
    install(init, [np.ones(6 * TAPS, np.float32)] * 2)
    cfg = _grown(ModelConfig(**{**init.cfg.__dict__}), ModelConfig())
    assert not cfg.choice_head
    model = GeneLSTM(cfg)
    grow_from(model, init)  # no complaint about the head's weights
    assert model.choice_head is None
    assert without_head(init).choice_head is None and not init.cfg.choice_head


def test_a_network_without_the_head_gets_no_choice_weight_from_its_decoder_settings():
    """adapt and train --init keep the decoder settings of a model whose head they dropped: the weight, and
    the network-only per-codon term chosen beside it, must not reach the decoder (or the GFF3 header) then."""
    from genelstm.predict import PredictOptions, _decoder_summary, decoder_options

    dec = {"choice_weight": 64.0, "small": {"choice_weight": 128.0, "choice_per_codon": 5.0, "min_score": 0.0}}
    with_head = decoder_options({"config": {"model": {"choice_head": True}}, "decoder": dec})
    assert with_head["choice_weight"] == 64.0 and with_head["small"]["choice_weight"] == 128.0
    assert with_head["small"]["choice_per_codon"] == 5.0
    without = decoder_options({"config": {"model": {"choice_head": False}}, "decoder": dec})
    assert "choice_weight" not in without and set(without["small"]) == {"min_score"}
    opts = PredictOptions(**without)
    assert "start-choice head" not in _decoder_summary(opts, 1000)
    assert "per codon" not in _decoder_summary(opts, 1000)
    assert "start-choice head" in _decoder_summary(PredictOptions(**with_head), 1000)
    assert "5 per codon" in _decoder_summary(PredictOptions(**with_head), 1000)
