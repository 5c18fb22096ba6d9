"""The start-choice loss against a codon walk written out by hand."""
import math

import numpy as np
import pytest
import torch

from genelstm.alphabet import encode, reverse_complement_codes
from genelstm.annotation import load
from genelstm.config import TrainConfig
from genelstm.dataset import Batch
from genelstm.labels import EVENTS, labels_by_record
from genelstm.objectives import losses, start_choice
from conftest import TEST_DATA

START = EVENTS.index("start")


def _codon(codes, i):
    c = codes[i : i + 3]
    return "".join("ACGTN"[x] for x in c) if len(c) == 3 else ""


def _walked(logits, codes, target, known):
    """Per annotated start: walk its frame both ways to the nearest stop codons, softmax over the starts met."""
    out = []
    for s in np.flatnonzero(target & known):
        members = [s]
        for step in (-3, 3):
            j = s + step
            while 0 <= j < len(codes) and _codon(codes, j) not in ("TAA", "TAG", "TGA"):
                members.append(j)
                j += step
        cands = [j for j in members if known[j] and (_codon(codes, j) in ("ATG", "GTG", "TTG") or target[j])]
        lse = math.log(sum(math.exp(logits[j]) for j in cands))
        out.append(lse - logits[s])
    return out


def _random_batch(rng, b, w):
    codes = rng.choice(5, size=(b, w), p=[0.24, 0.24, 0.24, 0.24, 0.04])
    events = np.zeros((b, 2, len(EVENTS), w), np.float32)
    for i in range(b):
        for t in range(2):
            strand = codes[i] if t == 0 else reverse_complement_codes(codes[i].astype(np.uint8))
            for _ in range(4):
                p = int(rng.integers(0, w))
                if _codon(strand, p) not in ("TAA", "TAG", "TGA"):
                    events[i, t, START, p if t == 0 else w - 1 - p] = 1
    mask = rng.random((b, 2, w)) < 0.1
    return Batch(torch.from_numpy(codes).long(), torch.zeros(b, w, dtype=torch.bool),
                 torch.zeros(b, 2, w, dtype=torch.long), torch.from_numpy(events), torch.from_numpy(mask))


@pytest.mark.parametrize("seed", range(5))
def test_start_choice_equals_a_codon_walk_on_both_strands(seed):
    rng = np.random.default_rng(seed)
    b, w = 3, 301 + seed  # widths that are and are not multiples of 3
    batch = _random_batch(rng, b, w)
    logits = torch.from_numpy(rng.normal(0, 2, (b, 2, w)).astype(np.float32))
    want = []
    for i in range(b):
        codes = batch.codes[i].numpy()
        for t in range(2):
            lg, tg, kn = logits[i, t].numpy(), batch.events[i, t, START].numpy() > 0.5, ~batch.mask[i, t].numpy()
            if t == 1:
                codes_t = reverse_complement_codes(codes.astype(np.uint8))
                lg, tg, kn = lg[::-1], tg[::-1], kn[::-1]
            else:
                codes_t = codes
            want += _walked(lg, codes_t, tg, kn)
    got = start_choice(logits, batch)
    assert want and float(got) == pytest.approx(np.mean(want), rel=1e-5)


def test_start_choice_pushes_the_annotated_start_up_and_its_rivals_down():
    """An annotated gene whose frame holds other ATGs: the loss falls as its own start's logit rises."""
    seq = "TAA" + "ATG" + "GCT" * 5 + "ATG" + "GCT" * 5 + "TAA"
    codes, _ = encode(seq)
    w = len(codes)
    events = torch.zeros(1, 2, len(EVENTS), w)
    events[0, 0, START, 3] = 1
    batch = Batch(torch.from_numpy(codes).long()[None], torch.zeros(1, w, dtype=torch.bool),
                  torch.zeros(1, 2, w, dtype=torch.long), events, torch.zeros(1, 2, w, dtype=torch.bool))
    logits = torch.zeros(1, 2, w, requires_grad=True)
    loss = start_choice(logits, batch)
    assert float(loss.detach()) == pytest.approx(math.log(2))  # two ATGs share the frame: chance is 1 in 2
    loss.backward()
    assert logits.grad[0, 0, 3] < 0 < logits.grad[0, 0, 21]  # the true start up, the inner ATG down
    assert int((logits.grad != 0).sum()) == 2


def test_start_choice_on_real_labels_matches_the_walk_and_enters_the_total():
    """The Yersinia plasmid's own labels (both strands, real start codons): the loss equals the walk, and
    the configured weight adds exactly weight x loss to the total."""
    ag = load(TEST_DATA / "yersinia_pestis_plasmid_pPCP1_NC_005816.gbk.gz")
    labels = labels_by_record(ag.checked, ag.genome)
    rec = next(iter(ag.genome))
    codes, _ = ag.genome.encode(rec.id)
    lab = labels[rec.id]
    w = rec.length
    batch = Batch(torch.from_numpy(codes).long()[None], torch.zeros(1, w, dtype=torch.bool),
                  torch.from_numpy(lab.region).long()[None], torch.from_numpy(lab.event_array()).float()[None],
                  torch.from_numpy(lab.mask)[None])
    logits = torch.from_numpy(np.random.default_rng(0).normal(0, 1, (1, 2, w)).astype(np.float32))
    want = _walked(logits[0, 0].numpy(), codes, lab.event_array()[0, START] > 0, ~lab.mask[0])
    want += _walked(logits[0, 1].numpy()[::-1], reverse_complement_codes(codes), lab.event_array()[1, START, ::-1] > 0,
                    ~lab.mask[1, ::-1])
    assert len(want) >= 5
    per_gene = float(start_choice(logits, batch))
    assert per_gene == pytest.approx(np.mean(want), rel=1e-5)
    out = {"region": torch.zeros(1, 2, 6, w), "events": logits[:, :, None].expand(1, 2, len(EVENTS), w)}
    plain = losses(out, batch, TrainConfig())["total"]
    weighted = losses(out, batch, TrainConfig(start_choice_weight=0.5))["total"]
    assert float(weighted - plain) == pytest.approx(0.5 * per_gene, rel=1e-4)
