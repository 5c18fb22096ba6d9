"""Genome-scale prediction: blocks of a record -> probabilities -> decoded genes -> GFF3 (+ FASTA, tracks).

Records are processed in blocks with generous overlap, so memory depends on the block size, not on
the contig length; a gene is reported by the block whose core holds its start.
"""
from __future__ import annotations

import logging
import sys
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal, TextIO

import numpy as np
import torch
from Bio.Seq import Seq
from tqdm import tqdm

from . import __version__
from .alphabet import codon_table
from .atomic import atomic_text
from . import genetic_code, selftrain
from .decode import (PROB_FLOOR, START_WEIGHT, Call, _ids, decode_evidence, evidence_arrays, oriented,
                     strand_evidence)
from .decode_euk import decode_eukaryote
from .genemodel import wrapped
from .gff3 import escape_seqid, unwrapped_span, write_genes, write_header
from .engine import RecordStream
from .infer import probabilities_whole
from .probs import Probs
from .sequence import Genome, Record, ReverseComplemented
from .labels import CDS1, CDS3, EVENTS
from .model import GeneLSTM

log = logging.getLogger(__name__)


@dataclass
class PredictOptions:
    mode: Literal["prokaryote", "eukaryote"] = "prokaryote"
    #: NCBI translation table; None: chosen from the input (resolve_table)
    table: int | None = 11
    min_score: float = 0.0
    min_length: int = 90
    #: longest overlap (bp) of neighbouring genes on the same strand; on opposite strands with their 3'
    #: ends facing, and with their 5' ends facing (None: as on the same strand)
    max_overlap: int = 60
    overlap_3p: int | None = None
    overlap_5p: int | None = None
    min_exon: int = 3
    min_intron: int = 20
    #: eukaryote mode: cost of a start at an ATG with another ATG in frame upstream in its open stretch
    #: (decode_euk._inner_starts; checkpoint ``decoder.inner_start_penalty``)
    inner_start_penalty: float = 0.0
    #: bases per network block of a long record (engine.RecordStream); results do not depend on it
    window: int = 16200
    batch_size: int = 8
    block: int = 1_000_000
    block_overlap: int = 60_000
    bf16: bool = False
    whole_max: int = 100_000  # records up to this long are read whole, batched with others
    #: treat every record as circular (GenBank/EMBL records say so themselves): genes may cross the origin
    circular: bool = False
    start_weight: float = START_WEIGHT
    #: weight of the network's per-base coding log-odds in a gene's score
    coding_weight: float = 1.0
    #: weight of the network's start-choice logits, which replace the start event's log-odds when a stop's
    #: start is chosen (decode._candidates; 0 or a model without that head: off); checkpoint ``decoder.choice_weight``
    choice_weight: float = 0.0
    #: choosing among a stop's starts, each codon of the gene a start would begin adds this much, where no
    #: dialect is fitted (self-training's rounds use ``adapt_weights.length`` instead); checkpoint
    #: ``decoder.small.choice_per_codon``
    choice_per_codon: float = 0.0
    #: average the network's log-odds with those it gives the reverse-complemented input (2x network time)
    rc_average: bool = False
    #: per-genome self-training (prokaryote mode) for inputs of at least ``adapt_min_bases``
    adapt: bool = True
    adapt_min_bases: int = 20_000
    adapt_weights: selftrain.Weights = field(default_factory=selftrain.Weights)
    #: dialects fitted on the training corpus (checkpoint ``decoder.priors``), for inputs too small to fit
    priors: list = field(default_factory=list)
    prior_k: int = 1  # how many of the closest-GC corpus dialects are averaged
    small_scale: float = 1.0  # a borrowed dialect counts this much of a fitted one
    #: decoder settings for the network without a fitted dialect -- inputs under adapt_min_bases and
    #: --no-adapt (min_score, coding_weight, codon_prior_weight, start_weight; chosen on small pieces of validation
    #: genomes, or kept from before a self-training-only search)
    small: dict = field(default_factory=dict)
    #: start-codon type prior: weight x log(share of the corpus's starts) per translation table
    #: (checkpoint ``decoder.start_codon_usage``: {table: {codon: share}})
    start_codon_usage: dict = field(default_factory=dict)
    codon_prior_weight: float = 0.0
    #: gene-length prior (weight, length): genes shorter than length lose up to weight from their score
    length_prior: tuple[float, float] = (0.0, 1.0)
    #: shorter ORFs offered per stop beside the chosen one, so a gene can still fit between neighbours
    start_alternatives: int = 0
    #: the start codons the prokaryote decoder offers, a subset of the translation table's (empty: all of
    #: them); checkpoint ``decoder.start_codons``
    start_codons: tuple[str, ...] = ()
    #: added to every probability before its log when the decoders turn the network's output into log-odds
    #: (bounds one base's log-odds at about log(1 / prob_floor)); checkpoint ``decoder.prob_floor``
    prob_floor: float = PROB_FLOOR

    def without_dialect(self, bases: int) -> "PredictOptions":
        """The settings for decoding an input of ``bases`` without a fitted dialect (``--no-adapt``, or
        too small to fit one): the model's ``small`` overrides, with reverse-complement averaging taken
        from them only under ``adapt_min_bases``, where the second network pass costs little."""
        plain = replace(self, **self.small)
        return plain if bases < self.adapt_min_bases else replace(plain, rc_average=self.rc_average)

    def codon_bonus(self, table: int) -> np.ndarray | None:
        """(64,) weight x log(corpus share) per start codon of ``table`` (1e-4 for one the corpus never used)."""
        usage = self.start_codon_usage.get(str(table)) or self.start_codon_usage.get(table)
        if not usage or not self.codon_prior_weight:
            return None
        starts, _ = codon_table(table)
        codons = sorted(set(usage) | set(starts))
        bonus = np.zeros(64)
        bonus[_ids(codons)] = [self.codon_prior_weight * np.log(max(usage.get(c, 0.0), 1e-4)) for c in codons]
        return bonus


class Stopwatch:
    """Seconds spent per stage (network, decoding, self-training fit, reading, writing), so the next
    bottleneck is visible: `genelstm -v predict` logs them."""

    def __init__(self) -> None:
        self.times: dict[str, float] = {}

    @contextmanager
    def __call__(self, stage: str):
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.times[stage] = self.times.get(stage, 0.0) + time.perf_counter() - t0

    def summary(self) -> str:
        return ", ".join(f"{k} {v:.2f} s" for k, v in self.times.items())


def decoder_options(ck: dict) -> dict:
    """PredictOptions fields from a checkpoint's ``decoder`` entry (chosen on validation genomes only,
    by benchmarks/tune_decoder.py): the decoder's priors live with the network they were tuned for."""
    dec = ck.get("decoder") or {}
    out: dict = {}
    for key in ("start_weight", "coding_weight", "min_score", "codon_prior_weight", "prob_floor", "choice_weight"):
        if key in dec:
            out[key] = float(dec[key])
    if "rc_average" in dec:
        out["rc_average"] = bool(dec["rc_average"])
    if "length_prior" in dec:
        out["length_prior"] = tuple(float(x) for x in dec["length_prior"])
    for key in ("max_overlap", "overlap_3p", "overlap_5p", "start_alternatives"):
        if key in dec:
            out[key] = int(dec[key])
    default = selftrain.Weights()
    out["adapt_weights"] = selftrain.Weights(coding=float(dec.get("adapt_coding", default.coding)),
                                             start=float(dec.get("adapt_start", default.start)),
                                             skip=int(dec.get("adapt_skip", default.skip)),
                                             rounds=int(dec.get("adapt_rounds", default.rounds)),
                                             choice_ref=float(dec.get("adapt_choice_ref", default.choice_ref)),
                                             tandem=float(dec.get("adapt_tandem", default.tandem)),
                                             upstream=float(dec.get("adapt_upstream", default.upstream)),
                                             length=float(dec.get("adapt_length", default.length)),
                                             sd_strong=(None if dec.get("adapt_sd_strong") is None
                                                        else tuple(map(float, dec["adapt_sd_strong"]))),
                                             coding_floor=(None if dec.get("adapt_coding_floor") is None
                                                           else float(dec["adapt_coding_floor"])),
                                             start_parts=tuple(float(x) for x in
                                                               dec.get("adapt_start_parts", default.start_parts)))
    if dec.get("priors"):
        out["priors"] = list(dec["priors"])
        out["prior_k"] = int(dec.get("prior_k", 1))
        out["small_scale"] = float(dec.get("small_scale", 1.0))
    if dec.get("small"):
        out["small"] = {k: (bool(v) if k == "rc_average" else tuple(float(x) for x in v) if isinstance(v, list)
                            else float(v)) for k, v in dec["small"].items()}
    if not ((ck.get("config") or {}).get("model") or {}).get("choice_head"):
        # a network without the head (fine-tuned from one that had it: adapt, train --init) keeps the
        # decoder settings but has no start-choice logits to weigh; the network-only per-codon term was
        # chosen beside the head's logits, so it goes too
        out.pop("choice_weight", None)
        for key in ("choice_weight", "choice_per_codon"):
            out.get("small", {}).pop(key, None)
    if dec.get("start_codons"):
        out["start_codons"] = tuple(dec["start_codons"])
    if dec.get("start_codon_usage"):
        out["start_codon_usage"] = dict(dec["start_codon_usage"])
    return out


def eukaryote_decoder_options(ck: dict) -> dict:
    """PredictOptions fields for eukaryote mode from a checkpoint's ``decoder`` entry (a prokaryote model's
    settings, such as its score threshold, do not carry over to the eukaryote decoder)."""
    dec = ck.get("decoder") or {}
    return {key: float(dec[key]) for key in ("inner_start_penalty", "prob_floor") if key in dec}


def _release_memory(bases: int) -> None:
    """Hand the buffers freed after ``bases`` bases back to the OS (glibc keeps them otherwise), so memory
    stays flat along long records. Below RELEASE_MIN it is not worth its few milliseconds: a draft of
    87 contigs spent 0.17 s here."""
    if bases < RELEASE_MIN:
        return
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


#: the fewest bases whose buffers _release_memory hands back
RELEASE_MIN = 1_000_000


def _blocks(length: int, block: int) -> list[tuple[int, int]]:
    return [(s, min(s + block, length)) for s in range(0, length, block)]


def predict_record(model: GeneLSTM, genome: Genome, record: str, opts: PredictOptions, *,
                   device: torch.device, on_probs=None, bar: tqdm | None = None,
                   whole: Probs | None = None) -> list[Call]:
    """Calls for one record, sorted by start (``whole``: its probabilities, already computed)."""
    length = genome.records[record].length
    calls: list[Call] = []
    stream = None if whole is not None else _stream(model, genome, record, opts, device)
    for core_a, core_b in _blocks(length, opts.block):
        a, b = max(0, core_a - opts.block_overlap), min(length, core_b + opts.block_overlap)
        probs = whole.slice(a, b) if whole is not None else stream.probs(a, b)
        if on_probs is not None:
            on_probs(record, probs, core_a, core_b)
        codes, _ = genome.encode(record, a, b)
        if opts.mode == "eukaryote":
            block_calls = decode_eukaryote(codes, probs, record, record_length=length, table=opts.table,
                                           min_score=opts.min_score, min_exon=opts.min_exon,
                                           min_intron=opts.min_intron, inner_start_penalty=opts.inner_start_penalty,
                                           prob_floor=opts.prob_floor)
            calls += [c for c in block_calls if core_a <= c.transcript.start < core_b]
        else:  # the decoder of every other prokaryote path, with all of the options' settings
            calls += _decode_block(record, codes, strand_evidence(probs, opts.prob_floor), a, length,
                                   (core_a, core_b), opts)
        del probs, codes
        _release_memory(b - a)
        if bar is not None:
            bar.update(core_b - core_a)
    calls.sort(key=lambda c: (c.transcript.start, c.transcript.end, c.transcript.strand))
    return calls


class ShortRecords:
    """Records up to ``whole_max`` bases, seen whole and batched by length; their genes are decoded
    as soon as their batch is computed, so only the (small) gene lists wait for their turn in the output."""

    def __init__(self, model: GeneLSTM, genome: Genome, opts: PredictOptions, device: torch.device) -> None:
        self.model, self.genome, self.opts, self.device = model, genome, opts, device
        short = sorted((r for r in genome if r.length <= opts.whole_max), key=lambda r: r.length)
        self.batches: list[list[str]] = []
        cur: list[str] = []
        for r in short:
            if cur and (len(cur) + 1) * r.length > opts.batch_size * opts.window:
                self.batches.append(cur)
                cur = []
            cur.append(r.id)
        if cur:
            self.batches.append(cur)
        self.batch_of = {rid: i for i, b in enumerate(self.batches) for rid in b}
        self.done: dict[str, list[Call]] = {}

    def __contains__(self, record: str) -> bool:
        return record in self.batch_of

    def calls(self, record: str) -> list[Call]:
        if record not in self.done:
            batch = self.batches[self.batch_of[record]]
            for rid, probs in zip(batch, probabilities_whole(self.model, self.genome, batch, device=self.device,
                                                                    bf16=self.opts.bf16)):
                self.done[rid] = predict_record(self.model, self.genome, rid, self.opts, device=self.device,
                                                whole=probs)
        return self.done.pop(record)


class TrackWriter:
    """bedGraph tracks of coding probability and start/stop events per strand, values rounded to 0.01."""

    NAMES = [("coding", None), ("start", EVENTS.index("start")), ("stop", EVENTS.index("stop"))]

    def __init__(self, folder: str | Path, stack: ExitStack) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.handles = {}
        for name, _ in self.NAMES:
            for strand in ("plus", "minus"):
                fh = stack.enter_context(atomic_text(self.folder / f"{name}_{strand}.bedgraph"))
                fh.write(f'track type=bedGraph name="genelstm {name} {strand}"\n')
                self.handles[(name, strand)] = fh

    def __call__(self, record: str, probs: Probs, core_a: int, core_b: int) -> None:
        lo, hi = core_a - probs.start, core_b - probs.start
        seqid = escape_seqid(record)
        for t, strand in enumerate(("plus", "minus")):
            for name, ev in self.NAMES:
                vals = (probs.region[t, CDS1 : CDS3 + 1].sum(0) if ev is None else probs.events[t, ev])[lo:hi]
                _bedgraph(self.handles[(name, strand)], seqid, core_a, np.round(vals, 2))


def _bedgraph(fh: TextIO, seqid: str, offset: int, vals: np.ndarray) -> None:
    if not len(vals):
        return
    change = np.flatnonzero(np.diff(vals)) + 1
    starts = np.r_[0, change]
    ends = np.r_[change, len(vals)]
    keep = vals[starts] != 0
    fh.writelines(f"{seqid}\t{offset + s}\t{offset + e}\t{vals[s]:.2f}\n"
                  for s, e in zip(starts[keep], ends[keep]))


class Circularized(Genome):
    """Circular records seen with ``extra`` bases of the other end added on each side (the same records
    otherwise): a gene across the origin is then found like any other, and nothing near the origin is
    cut at an artificial edge. ``restore`` maps the calls back, one copy of each gene, origin-spanning
    genes as two segments (genemodel's convention)."""

    def __init__(self, genome: Genome, *, extra: int = 30_000, force: bool = False) -> None:
        self.path, self._g = genome.path, genome
        self.extra = {r.id: min(extra, r.length) if (r.circular or force) else 0 for r in genome}
        self.records = {r.id: Record(r.id, r.length + 2 * self.extra[r.id], r.circular or force) for r in genome}

    @property
    def any(self) -> bool:
        return any(self.extra.values())

    def _pieces(self, record: str, start: int, end: int | None):
        """(start, end) slices of the original record that make up view[start:end], in order."""
        n, e = self._g.records[record].length, self.extra[record]
        end = n + 2 * e if end is None else end
        pos = start
        while pos < end:
            a = (pos - e) % n
            take = min(end - pos, n - a)
            yield a, a + take
            pos += take

    def fetch(self, record: str, start: int = 0, end: int | None = None) -> str:
        if not self.extra[record]:
            return self._g.fetch(record, start, end)
        return "".join(self._g.fetch(record, a, b) for a, b in self._pieces(record, start, end))

    def encode(self, record: str, start: int = 0, end: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        if not self.extra[record]:
            return self._g.encode(record, start, end)
        parts = [self._g.encode(record, a, b) for a, b in self._pieces(record, start, end)]
        if not parts:
            return np.zeros(0, np.uint8), np.zeros(0, bool)
        return np.concatenate([c for c, _ in parts]), np.concatenate([s for _, s in parts])

    def restore(self, record: str, calls: list[Call]) -> list[Call]:
        """Calls on the original record: those starting in the middle copy, shifted back."""
        e = self.extra[record]
        if not e:
            return calls
        n = self._g.records[record].length
        out = []
        for c in calls:
            t = c.transcript
            s, end = t.start - e, t.end - e
            if not 0 <= s < n:
                continue  # a copy of a gene reported from the middle copy, or cut at the view's edge
            segs = wrapped([(s, end)], n)
            out.append(Call(replace(t, cds=tuple(segs if t.strand == 1 else segs[::-1])), c.score))
        return out

    def tracks(self, on_probs):
        """A TrackWriter callback of the view, writing the middle copy in the record's coordinates."""
        if on_probs is None:
            return None

        def write(record: str, probs: Probs, core_a: int, core_b: int) -> None:
            e, n = self.extra[record], self._g.records[record].length
            a, b = max(core_a, e), min(core_b, n + e)
            if a < b:
                on_probs(record, replace(probs, start=probs.start - e, end=probs.end - e), a - e, b - e)
        return write


def _mirrored(probs: Probs, length: int) -> Probs:
    """Probabilities computed on the reverse complement, mapped back onto the record's own strands."""
    a, b = length - probs.end, length - probs.start
    return Probs(a, b, np.ascontiguousarray(probs.region[::-1, :, ::-1]),
                 np.ascontiguousarray(probs.events[::-1, :, ::-1]),
                 None if probs.choice is None else np.ascontiguousarray(probs.choice[::-1, ::-1]))


def genome_evidence(model: GeneLSTM, genome: Genome, opts: PredictOptions, *, device: torch.device,
                    on_probs=None, bar: tqdm | None = None, watch: Stopwatch | None = None) -> dict:
    """record -> (codes, (forward, reverse) Evidence) for every record, kept in float16 (20 bytes per
    base, 24 with a start-choice head) so the decoder can run several self-training rounds without the network."""
    return dict(iter_evidence(model, genome, opts, device=device, on_probs=on_probs, bar=bar, watch=watch))


def _stream(model: GeneLSTM, genome: Genome, record: str, opts: PredictOptions, device: torch.device) -> RecordStream:
    return RecordStream(model, genome, record, block=opts.window, batch_size=opts.batch_size, device=device,
                        bf16=opts.bf16)


def _views(genome: Genome, opts: PredictOptions) -> list[Genome]:
    return [genome, ReverseComplemented(genome)] if opts.rc_average else [genome]


def _span_evidence(model: GeneLSTM, views: list[Genome], record: str, a: int, b: int, opts: PredictOptions, *,
                   device: torch.device, watch: Stopwatch, streams: dict, whole: list[dict[str, Probs]] | None = None,
                   on_probs=None, core: tuple[int, int] | None = None):
    """Genome-oriented (cod, start, stop) log-odds and start-choice logits (None without that head) for
    bases [a, b) of a record, averaged over the views
    (the record, and its reverse complement mapped back). Long records are computed exactly as if the
    network saw them whole (``streams``: one engine.RecordStream per view, kept by the caller), so a base
    gets the same values whichever span asks for it."""
    n = views[0].records[record].length
    arrays = []
    for v, view in enumerate(views):
        with watch("network"):
            if whole is not None and record in whole[v]:
                probs = whole[v].pop(record)
            else:
                lo, hi = (a, b) if v == 0 else (n - b, n - a)
                if v not in streams:
                    streams[v] = _stream(model, view, record, opts, device)
                probs = streams[v].probs(lo, hi)
                probs = probs if v == 0 else _mirrored(probs, n)
        if on_probs is not None and v == 0:
            with watch("writing"):
                on_probs(record, probs, *(core or (a, b)))
        with watch("decoding"):
            arrays.append(evidence_arrays(probs, opts.prob_floor))
    return tuple(None if arrays[0][k] is None else np.mean([x[k] for x in arrays], axis=0) for k in range(4))


def iter_evidence(model: GeneLSTM, genome: Genome, opts: PredictOptions, *, device: torch.device,
                  on_probs=None, bar: tqdm | None = None, watch: Stopwatch | None = None, only=None):
    """(record, (codes, evidence)) one record at a time, in the genome's order (see genome_evidence);
    ``only(record)`` picks the records to yield."""
    watch = watch or Stopwatch()
    views = _views(genome, opts)
    short = ShortRecords(model, genome, opts, device)
    whole: list[dict[str, Probs]] = [{} for _ in views]
    for batch in short.batches:
        if only is not None and not any(only(genome.records[rid]) for rid in batch):
            continue
        with watch("network"):
            for v, view in enumerate(views):
                for rid, probs in zip(batch, probabilities_whole(model, view, batch, device=device, bf16=opts.bf16)):
                    whole[v][rid] = probs if v == 0 else _mirrored(probs, view.records[rid].length)
    for rec in genome:
        if only is not None and not only(rec):
            continue
        n = rec.length
        cod = np.zeros((2, 3, n), np.float16)
        start = np.zeros((2, n), np.float16)
        stop = np.zeros((2, n), np.float16)
        choice = np.zeros((2, n), np.float16) if model.choice_head is not None else None
        spans = [(0, n)] if rec.id in whole[0] else _blocks(n, opts.block)  # a whole-read record is one span
        streams: dict = {}
        for core_a, core_b in spans:
            c, a, b, ch = _span_evidence(model, views, rec.id, core_a, core_b, opts, device=device, watch=watch,
                                         streams=streams, whole=whole, on_probs=on_probs)
            cod[:, :, core_a:core_b], start[:, core_a:core_b], stop[:, core_a:core_b] = c, a, b
            if choice is not None:
                choice[:, core_a:core_b] = ch
            if bar is not None:
                bar.update(core_b - core_a)
        with watch("reading"):
            codes, _ = genome.encode(rec.id)
        yield rec.id, (codes, oriented(cod, start, stop, choice, dtype=np.float16))
        del cod, start, stop, choice
        _release_memory(n)


def stream_record(model: GeneLSTM, genome: Genome, record: str, opts: PredictOptions, *, device: torch.device,
                  on_probs=None, bar: tqdm | None = None, watch: Stopwatch | None = None) -> list[Call]:
    """Calls of one long record without keeping its evidence: each block (with its overlap) is computed,
    decoded and freed, so memory depends on the block size, not the record length. The calls equal
    decode_record on the whole record's evidence (same values, same blocks)."""
    watch = watch or Stopwatch()
    views = _views(genome, opts)
    n = genome.records[record].length
    calls: list[Call] = []
    streams: dict = {}
    for core_a, core_b in _blocks(n, opts.block):
        a, b = max(0, core_a - opts.block_overlap), min(n, core_b + opts.block_overlap)
        arrays = _span_evidence(model, views, record, a, b, opts, device=device, watch=watch, on_probs=on_probs,
                                streams=streams, core=(core_a, core_b))
        with watch("reading"):
            codes, _ = genome.encode(record, a, b)
        with watch("decoding"):
            ev = oriented(*(None if x is None else x.astype(np.float16) for x in arrays), dtype=np.float16)
            calls += _decode_block(record, codes, ev, a, n, (core_a, core_b), opts)
        del arrays, codes, ev
        _release_memory(b - a)
        if bar is not None:
            bar.update(core_b - core_a)
    calls.sort(key=lambda k: (k.transcript.start, k.transcript.end, k.transcript.strand))
    return calls


def decode_record(record: str, codes: np.ndarray, evidence, opts: PredictOptions) -> list[Call]:
    """Prokaryote calls of a whole record from its evidence, decoded in overlapping blocks."""
    n = len(codes)
    fwd, rev = evidence
    calls: list[Call] = []
    for core_a, core_b in _blocks(n, opts.block):
        a, b = max(0, core_a - opts.block_overlap), min(n, core_b + opts.block_overlap)
        calls += _decode_block(record, codes[a:b], (fwd.slice(a, b), rev.slice(n - b, n - a)), a, n,
                               (core_a, core_b), opts)
    calls.sort(key=lambda c: (c.transcript.start, c.transcript.end, c.transcript.strand))
    return calls


def _decode_block(record: str, codes: np.ndarray, evidence, a: int, n: int, core: tuple[int, int],
                  opts: PredictOptions) -> list[Call]:
    """Calls of the block starting at ``a`` (record length ``n``) whose start lies in ``core``."""
    block = decode_evidence(codes, evidence, record, block_start=a, record_length=n, table=opts.table,
                            min_length=opts.min_length, min_score=opts.min_score, max_overlap=opts.max_overlap,
                            overlap_3p=opts.overlap_3p, overlap_5p=opts.overlap_5p,
                            start_weight=opts.start_weight, codon_bonus=opts.codon_bonus(opts.table),
                            coding_weight=opts.coding_weight, length_prior=opts.length_prior,
                            alternatives=opts.start_alternatives, start_codons=frozenset(opts.start_codons),
                            choice_weight=opts.choice_weight, choice_per_codon=opts.choice_per_codon)
    return [c for c in block if core[0] <= c.transcript.start < core[1]]


def self_trained(model: GeneLSTM, genome: Genome, opts: PredictOptions, *, device: torch.device, on_probs=None,
                 bar: tqdm | None = None, watch: Stopwatch | None = None, bases: int | None = None,
                 read_table: bool = False, close_call: bool = False
                 ) -> tuple[dict[str, list[Call]], list[str], int]:
    """Calls per record after per-genome self-training, header lines saying what was learned, and the input's
    translation table. ``read_table``: no table was given, so where the records fall into groups of unlike codon
    usage each group's table is read from its own records (genetic_code.choose), and an input under
    ``opts.adapt_min_bases`` is decoded under tables 11 and 4 and read as the one its genes favour
    (genetic_code.by_decoding); so is an input whose table resolve_table found a ``close_call``.

    Inputs under ``opts.adapt_min_bases`` are too small to fit a dialect: they are decoded with the
    model's settings for that case (``opts.small``), borrowing the closest-GC corpus dialects only when
    the model stores them (its tuning found that better) and ``opts.adapt`` is on. With it off (``--no-adapt``)
    such an input comes here too, and so does a close call, for the table to be read the same way; then the
    network alone decodes (``opts.small``), with no fit. ``bases``: the input's size, when ``genome`` is a view
    that shows some bases twice (Circularized).
    """
    watch = watch or Stopwatch()
    total = bases if bases is not None else sum(r.length for r in genome)
    small = opts.without_dialect(total)
    tiny = total < opts.adapt_min_bases  # too small for a dialect of its own
    alone = tiny or not opts.adapt  # decoded with the network-only settings (small), unless a prior is borrowed
    records = genome_evidence(model, genome, small if alone else opts, device=device, on_probs=on_probs, bar=bar,
                              watch=watch)

    def decode(rid, codes, ev, table=None):
        with watch("decoding"):
            return decode_record(rid, codes, ev, opts if table is None else replace(opts, table=table))

    table_notes = []
    if read_table and (tiny or close_call):  # the long-frame rule cannot read it, or could not tell: decode both ways
        with watch("decoding"):
            decided, note = table_by_decoding(records, small if alone else opts)
        opts, small = replace(opts, table=decided.table), replace(small, table=decided.table)
        log_table(note, opts.table)
        table_notes.append(note)
    if tiny and opts.adapt and opts.priors:
        gc = selftrain.gc_of(records)
        prior = selftrain.nearest_by_gc(opts.priors, gc, opts.prior_k)
        note = (f"input of {total} bases (< {opts.adapt_min_bases}): no per-genome fit; corpus prior "
                f"{prior['name']} (GC {prior['gc']:.1%}) matched to the input's GC {gc:.1%}")
        log.warning(note)
        w = opts.adapt_weights
        w = replace(w, coding=w.coding * opts.small_scale, start=w.start * opts.small_scale)
        return selftrain.apply(records, lambda rid, c, ev: decode_record(rid, c, ev, small),
                               selftrain.from_plain(prior), table=opts.table, weights=w), table_notes + [note], \
            opts.table
    if alone:  # the network alone (--no-adapt comes here only for its table)
        if tiny:
            head = ", its start-choice head" if small.choice_weight and model.choice_head is not None else ""
            note = (f"input of {total} bases (< {opts.adapt_min_bases}): too small for a per-genome fit; the "
                    f"network{head} and the corpus start-codon prior decide (score threshold {small.min_score:g})")
            (log.warning if opts.adapt else log.info)(note)  # with --no-adapt no fit was asked for
            table_notes.append(note)
        with watch("decoding"):
            return {rid: decode_record(rid, c, ev, small) for rid, (c, ev) in records.items()}, table_notes, opts.table
    t0 = time.perf_counter()
    before = watch.times.get("decoding", 0.0)
    table_of = (lambda group: genetic_code.choose(genome, set(group))[0]) if read_table else None
    calls, dialects, rounds = selftrain.adapt(records, decode, table=opts.table, weights=opts.adapt_weights,
                                              log=log.info, table_of=table_of)
    watch.times["self-training fit"] = time.perf_counter() - t0 - (watch.times.get("decoding", 0.0) - before)
    if not dialects:
        notes = ["self-training: no calls to learn from"]
    elif len(dialects) == 1:
        notes = [f"self-training: {rounds} round(s); {_learned(dialects[0][1], opts.adapt_weights)}"]
    else:  # records of several genomes: a dialect per group of records alike in codon usage
        notes = [f"self-training: {rounds} round(s); the records fall into {len(dialects)} groups by codon usage, "
                 f"each fitted apart"]
        tables = any(d.table != opts.table for _, d in dialects)  # then each line names its group's table
        for i, (group, d) in enumerate(dialects):
            shown = ", ".join(group[:5]) + (", ..." if len(group) > 5 else "")
            code = f"translation table {d.table} (read from these records); " if tables else ""
            notes.append(f"self-training{selftrain.group_label(dialects, i)} [{shown}]: {code}"
                         f"{_learned(d, opts.adapt_weights)}")
            if d.table != opts.table:
                log.warning("records %s read with translation table %d, the rest with %d: their open frames say so"
                            " (--table overrides)", shown, d.table, opts.table)
    for note in notes:
        log.info(note)
    return calls, table_notes + notes, opts.table


def table_by_decoding(records: dict, opts: PredictOptions) -> tuple[PredictOptions, str]:
    """``opts`` with the table the input reads as when decoded with them under tables 11 and 4
    (genetic_code.by_decoding: the genes' scores above the threshold summed), and a line saying so. For inputs
    the long-frame rule cannot read: under 20 kb, and its close calls. The network's evidence does not depend
    on the table, so this costs one more decode."""
    score = {t: sum(c.score - opts.min_score for rid, (codes, ev) in records.items()
                    for c in decode_record(rid, codes, ev, replace(opts, table=t))) for t in (11, 4)}
    table = genetic_code.by_decoding(score[11], score[4])
    gain = genetic_code.decoding_gain(score[11], score[4])
    note = (f"translation table {table} read from the input by decoding it under both: its genes score "
            f"{gain:+.0%} with TGA read as tryptophan" + (" (the Mycoplasma/Spiroplasma code)" if table == 4 else "")
            + "; --table overrides")
    return replace(opts, table=table), note


def log_table(note: str, table: int, close: bool = False) -> None:
    """Log how the translation table was settled: a warning where it is not the usual 11 or was a close call
    (the user should check it), else information."""
    (log.warning if table != 11 or close else log.info)(note)


def resolve_table(genome: Genome, opts: PredictOptions) -> tuple[PredictOptions, str | None, bool]:
    """``opts`` with its translation table settled, a line saying how when it was chosen, and whether the choice
    was a close call (genetic_code.unsure): a table given stays; otherwise eukaryote mode reads table 1, and a
    prokaryote input of ``adapt_min_bases`` or more gets 11 or 4 from its open reading frames
    (genetic_code.choose); smaller ones, 11 for now: self_trained reads theirs by decoding them under both tables
    (table_by_decoding), which needs the network's evidence."""
    if opts.table is not None:
        return opts, None, False
    if opts.mode != "prokaryote":
        return replace(opts, table=1), None, False
    if sum(r.length for r in genome) < opts.adapt_min_bases:
        return replace(opts, table=11), None, False
    table, standard, read_through = genetic_code.choose(genome)
    close = genetic_code.unsure(standard, read_through)
    note = (f"translation table {table} chosen from the input: open frames of {genetic_code.LONG_ORF} bp or more "
            f"cover {standard:.0%} of it with TGA as a stop, {read_through:.0%} with TGA read as tryptophan"
            + (" (the Mycoplasma/Spiroplasma code)" if table == 4 else "")
            + ("; a close call (too little sequence, or few genes): check it with --table 11 and --table 4"
               if close else "; --table overrides"))
    return replace(opts, table=table), note, close


def _learned(d: selftrain.Dialect, w: selftrain.Weights) -> str:
    """What self-training learned of one genome (or group of records), and how its start choice follows it."""
    return d.summary() + (f"; {w.choice_summary(d)}" if d.genes else "")


def _header_line(model_name: str, opts: PredictOptions, bases: int) -> str:
    return (f"genelstm {__version__}; model {model_name}; mode {opts.mode}; table {opts.table}; "
            + _decoder_summary(opts, bases))


def _decoder_summary(opts: PredictOptions, bases: int) -> str:
    """The decoder settings this input is decoded with, for the GFF3 header: self-trained decoding and
    the network alone (``--no-adapt``, inputs under ``adapt_min_bases``) have their own."""
    trained = opts.mode == "prokaryote" and opts.adapt and bases >= opts.adapt_min_bases
    used = opts if opts.mode != "prokaryote" or trained else opts.without_dialect(bases)
    out = f"min_score {used.min_score:g}"
    if opts.mode == "eukaryote" and used.inner_start_penalty:
        out += f"; inner-start penalty {used.inner_start_penalty:g}"
    if opts.mode == "prokaryote" and used.length_prior[0]:
        out += f"; gene-length prior {used.length_prior[0]:g} below {used.length_prior[1]:g} bp"
    if opts.mode == "prokaryote" and used.start_codons:
        out += f"; start codons {'/'.join(sorted(used.start_codons))}"
    if opts.mode == "prokaryote" and used.choice_weight:
        out += f"; start choice by the start-choice head (weight {used.choice_weight:g})"
    per_codon = used.adapt_weights.length if trained else used.choice_per_codon
    if opts.mode == "prokaryote" and per_codon:
        out += f"; start choice counts {per_codon:g} per codon of the gene"
    return out


def run(model: GeneLSTM, model_name: str, genome: Genome, output: str | Path, opts: PredictOptions, *,
        proteins: str | Path | None = None, cds: str | Path | None = None, tracks: str | Path | None = None,
        device: torch.device = torch.device("cpu"), progress: bool = True) -> int:
    """Predict genes for every record and write the outputs atomically; returns the number of genes."""
    original = genome
    input_bases = sum(r.length for r in original)
    table_given = opts.table
    opts, table_note, close = resolve_table(genome, opts)
    if table_note:
        log_table(table_note, opts.table, close)
    view = Circularized(genome, force=opts.circular) if opts.mode == "prokaryote" else None
    if view is not None and view.any:  # circular records: searched across their origin
        genome = view
    total = sum(r.length for r in genome)
    n_genes = 0
    with ExitStack() as stack:
        gff = stack.enter_context(atomic_text(output))
        faa = stack.enter_context(atomic_text(proteins))
        fna = stack.enter_context(atomic_text(cds))
        on_probs = TrackWriter(tracks, stack) if tracks else None
        if genome is view:
            on_probs = view.tracks(on_probs)
        bar = tqdm(total=total, unit="b", unit_scale=True, desc="predict", file=sys.stderr, disable=not progress)
        header = [_header_line(model_name, opts, input_bases)] + ([table_note] if table_note else [])
        # calls decoded from the whole input at once: self-training, or a table read by decoding
        decided: dict[str, list[Call]] | None = None
        watch = Stopwatch()
        # an input too small for a fit, or a close call, goes there with --no-adapt too: its table is read by
        # decoding it both ways
        if opts.mode == "prokaryote" and (opts.adapt or input_bases < opts.adapt_min_bases or close):
            decided, notes, table = self_trained(model, genome, opts, device=device, on_probs=on_probs, bar=bar,
                                                 watch=watch, bases=input_bases, read_table=table_given is None,
                                                 close_call=close)
            if table != opts.table:  # read by decoding (a small input, or a close call)
                opts = replace(opts, table=table)
                header[0] = _header_line(model_name, opts, input_bases)
            header += notes
        write_header(gff, original, header)
        prok = opts.mode == "prokaryote"
        short = None if on_probs or decided is not None or prok else ShortRecords(model, genome, opts, device)
        plain = opts.without_dialect(input_bases)
        streamed = iter_evidence(model, genome, plain, device=device, on_probs=on_probs, bar=bar, watch=watch,
                                 only=lambda r: r.length <= opts.block) if prok and decided is None else None
        for rec in genome:
            if decided is not None:
                calls = decided.pop(rec.id)
            elif streamed is not None and rec.length > opts.block:  # long: block by block, flat memory
                calls = stream_record(model, genome, rec.id, plain, device=device, on_probs=on_probs, bar=bar,
                                      watch=watch)
            elif streamed is not None:
                rid, (codes, ev) = next(streamed)
                with watch("decoding"):
                    calls = decode_record(rid, codes, ev, plain)
            elif short is not None and rec.id in short:
                with watch("network and decoding"):
                    calls = short.calls(rec.id)
                bar.update(rec.length)
            else:
                with watch("network and decoding"):
                    calls = predict_record(model, genome, rec.id, opts, device=device, on_probs=on_probs, bar=bar)
            if genome is view:
                calls = view.restore(rec.id, calls)
            t_write = time.perf_counter()
            n = original.records[rec.id].length
            txs = []
            for c in calls:
                n_genes += 1
                t = c.transcript
                txs.append(type(t)(**{**t.__dict__, "id": f"{rec.id}_{n_genes}"}))
            write_genes(gff, txs, scores=[c.score for c in calls], lengths={rec.id: n})
            for tx in txs:
                if faa is None and fna is None:
                    break
                nt = tx.spliced_sequence(lambda s, e, r=rec.id: original.fetch(r, s, e))
                first, last = unwrapped_span(tx, n)
                desc = f"{tx.id} {rec.id}:{first + 1}-{last}({'+' if tx.strand == 1 else '-'})"
                if fna is not None:
                    fna.write(f">{desc}\n{nt}\n")
                if faa is not None:
                    body = nt[tx.phase:]
                    body = body[: len(body) - len(body) % 3]
                    aa = str(Seq(body).translate(table=tx.table)).rstrip("*")
                    if not tx.partial5 and aa:
                        aa = "M" + aa[1:]  # alternative start codons are read as Met
                    faa.write(f">{desc}\n{aa}\n")
            watch.times["writing"] = watch.times.get("writing", 0.0) + time.perf_counter() - t_write
        bar.close()
    log.info("time: %s", watch.summary())
    return n_genes
