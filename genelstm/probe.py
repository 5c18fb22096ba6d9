"""Linear-probe interpretability: what the frozen hidden states encode, beyond trivial baselines.

For each representation (CNN front-end, each recurrent layer forward, backward and both) and each
property (in-CDS per strand, codon position, intron, near a start/stop/donor/acceptor, local GC,
distance to the nearest gene start, next base), a linear model is fitted on positions of one set of
records and scored on positions of other records. Three controls on the same positions: the same
architecture with random weights, a one-hot window of the surrounding bases, and the real
representation with shuffled training labels. Selectivity = score - control; the uncertainty is a
bootstrap standard error over the scored positions.
"""
from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, RidgeCV
from sklearn.metrics import f1_score, r2_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from .alphabet import N_CODE
from .dataset import Tracks
from .labels import ACCEPTOR, CDS1, CDS3, DONOR, INTRON, START, STOP
from .model import GeneLSTM
from .representations import Collected

log = logging.getLogger(__name__)
EVENT_BITS = {"start": START, "stop": STOP, "donor": DONOR, "acceptor": ACCEPTOR}


@dataclass
class Property:
    name: str
    kind: str  # "class" or "regression"
    description: str


PROPERTIES = [
    Property("cds_plus", "class", "base is in a CDS on the forward strand"),
    Property("cds_minus", "class", "base is in a CDS on the reverse strand"),
    Property("codon_position", "class", "codon position 1/2/3 (coding bases on the forward strand)"),
    Property("intron", "class", "base is in an intron (either strand)"),
    Property("near_start", "class", "a start codon within +/-K bp (either strand)"),
    Property("near_stop", "class", "a stop codon within +/-K bp (either strand)"),
    Property("near_donor", "class", "a splice donor within +/-K bp"),
    Property("near_acceptor", "class", "a splice acceptor within +/-K bp"),
    Property("gc_local", "regression", "GC fraction of the surrounding 101 bp"),
    Property("dist_gene_start", "regression", "log10(1 + distance to the nearest gene start)"),
    Property("next_base", "class", "the first base the forward state has not seen (forward halves only)"),
]


def _near(bits: np.ndarray, k: int) -> np.ndarray:
    """True where an event lies within +/-k bases."""
    hit = bits.astype(np.int64)
    c = np.concatenate([[0], np.cumsum(hit)])
    n = len(bits)
    lo = np.clip(np.arange(n) - k, 0, n)
    hi = np.clip(np.arange(n) + k + 1, 0, n)
    return (c[hi] - c[lo]) > 0


def _dist_to(bits: np.ndarray) -> np.ndarray:
    pos = np.flatnonzero(bits)
    n = len(bits)
    if not len(pos):
        return np.full(n, np.nan)
    idx = np.searchsorted(pos, np.arange(n))
    left = np.abs(np.arange(n) - pos[np.clip(idx - 1, 0, len(pos) - 1)])
    right = np.abs(pos[np.clip(idx, 0, len(pos) - 1)] - np.arange(n))
    return np.minimum(left, right).astype(float)


def labels_for(t: Tracks, a: int, b: int, *, k: int, pool: int, radius: int) -> dict[str, np.ndarray]:
    """Every property for bases [a, b) of a track; NaN / -1 where undefined."""
    region, events, codes = t.region[:, a:b], t.events[:, a:b], t.codes
    n = b - a
    either = events[0] | events[1]
    out: dict[str, np.ndarray] = {}
    out["cds_plus"] = ((region[0] >= CDS1) & (region[0] <= CDS3)).astype(float)
    out["cds_minus"] = ((region[1] >= CDS1) & (region[1] <= CDS3)).astype(float)
    cp = np.where(out["cds_plus"] > 0, region[0].astype(np.int64) - CDS1, -1).astype(float)
    out["codon_position"] = np.where(cp >= 0, cp, np.nan)
    out["intron"] = ((region[0] == INTRON) | (region[1] == INTRON)).astype(float)
    for name, bit in EVENT_BITS.items():
        out[f"near_{name}"] = _near((either & bit) > 0, k).astype(float)
    gc = np.isin(codes, (1, 2)).astype(float)
    c = np.concatenate([[0], np.cumsum(gc)])
    lo, hi = np.clip(np.arange(a, b) - 50, 0, t.length), np.clip(np.arange(a, b) + 51, 0, t.length)
    out["gc_local"] = (c[hi] - c[lo]) / (hi - lo)
    out["dist_gene_start"] = np.log10(1 + _dist_to((either & START) > 0))
    nxt = (np.arange(a, b) // pool + 1) * pool + radius
    ok = nxt < t.length
    target = np.full(n, np.nan)
    target[ok] = codes[nxt[ok]]
    target[target == N_CODE] = np.nan
    out["next_base"] = target
    known = ~(t.mask[0, a:b] | t.mask[1, a:b])
    for key in out:
        out[key] = np.where(known, out[key], np.nan)
    return out


class Stretches:
    """Collected stretches seen as one concatenated run of bases, with lookups by global index."""

    def __init__(self, cols: list[Collected], tracks: dict[str, Tracks], *, k: int, pool: int, radius: int) -> None:
        self.cols, self.tracks, self.pool = cols, tracks, pool
        self.offsets = np.concatenate([[0], np.cumsum([c.end - c.start for c in cols])])
        parts = [labels_for(tracks[c.record], c.start, c.end, k=k, pool=pool, radius=radius) for c in cols]
        self.values = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]} if parts else {}

    def keys(self) -> list[str]:
        keys = ["cnn"]
        for key in self.cols[0].states:
            keys.append(key)
            if key.endswith(".bwd"):
                keys.append(key.replace(".bwd", ".both"))
        return keys

    def _locate(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        which = np.searchsorted(self.offsets, idx, side="right") - 1
        return which, idx - self.offsets[which]

    def gather(self, key: str, idx: np.ndarray, cols: list[Collected] | None = None) -> np.ndarray:
        """Rows of representation ``key`` at global positions ``idx`` (``cols``: another model's states)."""
        cols = cols or self.cols
        which, off = self._locate(idx)
        rows = []
        for w, o in zip(which, off):
            c = cols[w]
            if key == "cnn":
                rows.append(c.cnn[o])
            elif key.endswith(".both"):
                base = key[: -len(".both")]
                j = o // self.pool
                rows.append(np.concatenate([c.states[f"{base}.fwd"][j], c.states[f"{base}.bwd"][j]]))
            else:
                rows.append(c.states[key][o // self.pool])
        return np.asarray(rows, np.float32)

    def onehot(self, idx: np.ndarray) -> np.ndarray:
        which, off = self._locate(idx)
        out = np.zeros((len(idx), 84), np.float32)
        for w in np.unique(which):
            sel = which == w
            c = self.cols[w]
            out[sel] = onehot_window(self.tracks[c.record], c.start + off[sel])
        return out


def probe_all(fit: Stretches, test: Stretches, fit_random: list[Collected], test_random: list[Collected], *,
              max_positions: int, seed: int, properties: list[str] | None = None,
              representations: list[str] | None = None, progress=None) -> list[dict]:
    """Every (property, representation) probe with its three controls."""
    rng = np.random.default_rng(seed)
    rows: list[dict] = []
    keys = [k for k in fit.keys() if not representations or k in representations]
    for prop in PROPERTIES:
        if properties and prop.name not in properties:
            continue
        itr = sample_positions(fit.values, max_positions // 2, rng, prop)
        ite = sample_positions(test.values, max_positions // 2, rng, prop)
        ytr, yte = fit.values[prop.name][itr], test.values[prop.name][ite]
        if len(itr) < 20 or len(ite) < 20 or (prop.kind == "class" and (len(np.unique(ytr)) < 2 or
                                                                          len(np.unique(yte)) < 2)):
            rows.append({"property": prop.name, "representation": None, "skipped": "too few positions or one class"})
            continue
        if prop.kind == "class":
            ytr, yte = ytr.astype(int), yte.astype(int)
        base, base_se = _fit_score(prop.kind, fit.onehot(itr), ytr, test.onehot(ite), yte, rng)
        for key in keys:
            if prop.name == "next_base" and not key.endswith(".fwd"):
                continue
            xtr, xte = fit.gather(key, itr), test.gather(key, ite)
            score, se = _fit_score(prop.kind, xtr, ytr, xte, yte, rng)
            rnd, rnd_se = _fit_score(prop.kind, fit.gather(key, itr, fit_random), ytr,
                                     test.gather(key, ite, test_random), yte, rng)
            shuf, shuf_se = _fit_score(prop.kind, xtr, rng.permutation(ytr), xte, yte, rng)
            rows.append({
                "property": prop.name, "kind": prop.kind, "representation": key, "n_fit": int(len(itr)),
                "n_test": int(len(ite)), "score": round(score, 4), "se": round(se, 4),
                "control_random": round(rnd, 4), "control_random_se": round(rnd_se, 4),
                "control_onehot": round(base, 4), "control_onehot_se": round(base_se, 4),
                "control_shuffled": round(shuf, 4), "control_shuffled_se": round(shuf_se, 4),
                "selectivity_random": round(score - rnd, 4), "selectivity_onehot": round(score - base, 4),
                "selectivity_shuffled": round(score - shuf, 4),
                "selectivity_se": round(float(np.hypot(se, max(rnd_se, base_se, shuf_se))), 4),
            })
            if progress is not None:
                progress.update()
    return rows


def gate_metaplots(test: Stretches, *, flank: int = 150, max_events: int = 300) -> dict:
    """Mean gate activation around annotated events, in the gene's direction, per strand."""
    out: dict = {}
    pool = test.pool
    offsets = np.arange(-flank, flank + 1)
    for name, bit in EVENT_BITS.items():
        for strand_i, strand in ((0, "+"), (1, "-")):
            hits = []  # (stretch, offset)
            for w, c in enumerate(test.cols):
                ev = test.tracks[c.record].events[strand_i, c.start : c.end]
                for o in np.flatnonzero(ev & bit):
                    hits.append((w, int(o)))
            if not hits:
                continue
            hits = hits[:max_events]
            curves: dict[str, dict[str, list[float]]] = {}
            for key in test.cols[0].gates:
                g = test.cols[0].gates[key].shape[1]
                acc = np.zeros((len(offsets), g))
                cnt = np.zeros(len(offsets))
                for w, o in hits:
                    c = test.cols[w]
                    pos = o + (offsets if strand == "+" else -offsets)
                    ok = (pos >= 0) & (pos < c.end - c.start)
                    acc[ok] += c.gates[key][pos[ok] // pool]
                    cnt[ok] += 1
                mean = acc / np.maximum(cnt, 1)[:, None]
                curves[key] = {str(i): [round(float(v), 4) for v in mean[:, i]] for i in range(g)}
            out.setdefault(name, {})[strand] = {"n": len(hits), "curves": curves}
    return out


def novelty(test: Stretches, *, near_chunks: int = 2) -> dict:
    """Hidden-state change between steps of the top layer, and how its peaks line up with boundaries."""
    pool = test.pool
    top = sorted({k.split(".")[0] for k in test.cols[0].states})[-1]
    vals, near = [], []
    for c in test.cols:
        h = np.concatenate([c.states[f"{top}.fwd"], c.states[f"{top}.bwd"]], axis=1)
        d = np.r_[0.0, np.linalg.norm(np.diff(h, axis=0), axis=1)]
        t = test.tracks[c.record]
        ev = (t.events[0, c.start : c.end] | t.events[1, c.start : c.end]) > 0
        chunk_ev = np.zeros(len(d), bool)
        chunk_ev[np.flatnonzero(ev) // pool] = True
        k = near_chunks
        near_ev = chunk_ev.copy()
        for shift in range(1, k + 1):
            near_ev[shift:] |= chunk_ev[:-shift]
            near_ev[:-shift] |= chunk_ev[shift:]
        vals.append(d)
        near.append(near_ev)
    d, nb = np.concatenate(vals), np.concatenate(near)
    thr = np.quantile(d, 0.95)
    peak = (d >= thr) & (d >= np.r_[d[1:], 0]) & (d >= np.r_[0, d[:-1]])
    frac_peaks = float(nb[peak].mean()) if peak.any() else 0.0
    frac_all = float(nb.mean())
    return {"layer": top, "peaks": int(peak.sum()), "peaks_near_boundary": round(frac_peaks, 4),
            "chunks_near_boundary": round(frac_all, 4),
            "enrichment": round(frac_peaks / frac_all, 3) if frac_all else None,
            "near_bases": near_chunks * pool,
            "trace": [round(float(v), 4) for v in vals[0][:400]] if vals else [],
            "trace_events": [int(i) for i in np.flatnonzero(near[0][:400])] if near else []}


KNOWN_MOTIFS = {
    "start codon": ["ATG"], "stop codon": ["TAA", "TAG", "TGA"], "Shine-Dalgarno": ["AGGAGG", "GGAGG"],
    "splice donor": ["GTAAGT", "GTRAGT"], "splice acceptor": ["TTTCAG", "YAG"],
}
IUPAC = {"A": "A", "C": "C", "G": "G", "T": "T", "R": "AG", "Y": "CT"}


def motifs(model: GeneLSTM, cols: list[Collected], tracks: dict[str, Tracks], *, top: int = 200) -> list[dict]:
    """First-layer filters as position frequency matrices from their top-activating sites."""
    width = model.cnn[0].kernel_size[0]
    half = width // 2
    resp = np.concatenate([c.first_conv for c in cols])  # (L, F)
    seqs = np.concatenate([tracks[c.record].codes[c.start : c.end] for c in cols])
    out = []
    for f in range(resp.shape[1]):
        r = resp[:, f].copy()
        r[:half], r[-half:] = -np.inf, -np.inf
        best = np.argpartition(-r, min(top, len(r) - 1))[:top]
        windows = seqs[best[:, None] + np.arange(-half, half + 1)[None, :]]
        counts = np.zeros((width, 4))
        for i in range(4):
            counts[:, i] = (windows == i).sum(0)
        pfm = (counts + 0.25) / (counts.sum(1, keepdims=True) + 1)
        ic = 2 + (pfm * np.log2(pfm)).sum(1)
        consensus = "".join("ACGT"[i] if ic[j] > 0.5 else "n" for j, i in enumerate(pfm.argmax(1)))
        names = [name for name, pats in KNOWN_MOTIFS.items() if any(_matches(pfm, p) for p in pats)]
        out.append({"filter": f, "information": round(float(ic.sum()), 3), "consensus": consensus,
                    "names": names, "pfm": [[round(float(v), 3) for v in row] for row in pfm]})
    out.sort(key=lambda m: -m["information"])
    return out


def _matches(pfm: np.ndarray, pattern: str, min_prob: float = 0.6) -> bool:
    """Some offset where every pattern letter has at least ``min_prob`` (summed over IUPAC options)."""
    m = len(pattern)
    for o in range(pfm.shape[0] - m + 1):
        if all(sum(pfm[o + j, "ACGT".index(b)] for b in IUPAC[ch]) >= min_prob for j, ch in enumerate(pattern)):
            return True
    return False


def random_twin(model: GeneLSTM, seed: int) -> GeneLSTM:
    """The same architecture with fresh random weights: the 'random representation' control."""
    torch.manual_seed(seed + 7919)
    return GeneLSTM(model.cfg).eval()
def onehot_window(t: Tracks, pos: np.ndarray, half: int = 10) -> np.ndarray:
    """The k-mer window control: one-hot of the 2*half+1 bases around each position."""
    idx = pos[:, None] + np.arange(-half, half + 1)[None, :]
    ok = (idx >= 0) & (idx < t.length)
    codes = np.where(ok, t.codes[np.clip(idx, 0, t.length - 1)], N_CODE)
    oh = np.zeros((len(pos), idx.shape[1], 4), np.float32)
    rows, cols = np.where(codes < 4)
    oh[rows, cols, codes[rows, cols]] = 1
    return oh.reshape(len(pos), -1)


#: regression scores are R^2 floored here: below -1 a probe is simply useless, and unbounded negative
#: values (an unregularised ridge reached -150 on held-out records) squash every plot
R2_FLOOR = -1.0


def _fit_score(kind: str, xtr, ytr, xte, yte, rng: np.random.Generator, n_boot: int = 100) -> tuple[float, float]:
    """(score, bootstrap SE): macro-F1 for classes; for regression R^2 of a ridge whose strength is
    chosen by cross-validation on the training half, floored at R2_FLOOR."""
    if kind == "class":
        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=300, C=1.0))
    else:
        model = make_pipeline(StandardScaler(), RidgeCV(alphas=np.logspace(-2, 5, 15)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(xtr, ytr)
    pred = model.predict(xte)
    metric = (lambda y, p: f1_score(y, p, average="macro")) if kind == "class" else \
        (lambda y, p: max(r2_score(y, p), R2_FLOOR))
    score = float(metric(yte, pred))
    boots = []
    for _ in range(n_boot):
        i = rng.integers(0, len(yte), len(yte))
        if kind == "class" and len(np.unique(yte[i])) < 2:
            continue
        boots.append(metric(yte[i], pred[i]))
    return score, float(np.std(boots)) if boots else float("nan")


def sample_positions(values: dict[str, np.ndarray], n: int, rng: np.random.Generator, prop: Property) -> np.ndarray:
    """Positions with a defined value, stratified by class (classification) or uniform (regression)."""
    y = values[prop.name]
    ok = np.flatnonzero(~np.isnan(y))
    if prop.kind == "regression" or not len(ok):
        return rng.choice(ok, size=min(n, len(ok)), replace=False) if len(ok) else ok
    classes = np.unique(y[ok])
    per = max(1, n // len(classes))
    picks = [rng.choice(ok[y[ok] == c], size=min(per, int((y[ok] == c).sum())), replace=False) for c in classes]
    return np.sort(np.concatenate(picks))


def gate_summary(gates: dict, cell: str) -> dict:
    """Per event and layer/direction: forget (or update) gate just after the event minus far upstream."""
    gi = 1  # forget gate (LSTM) or update gate (GRU)
    out: dict = {}
    for ev, strands in gates.items():
        for strand, d in strands.items():
            for key, curves in d["curves"].items():
                y = np.array(curves[str(gi)])
                mid = len(y) // 2
                out.setdefault(ev, {}).setdefault(key, {})[strand] = {
                    "upstream": round(float(y[: mid - 60].mean()), 4),
                    "at_event": round(float(y[mid - 10 : mid + 30].mean()), 4),
                    "downstream": round(float(y[mid + 60 :].mean()), 4),
                }
    return out


def run(model: GeneLSTM, tracks: list[Tracks], *, max_positions: int = 4000, max_bases: int = 300_000,
        seed: int = 0, k: int = 15, properties: list[str] | None = None, representations: list[str] | None = None,
        progress: bool = True) -> dict:
    """The whole probe analysis on annotated tracks; half the records fit the probes, half score them."""
    import sys

    from tqdm import tqdm

    from .representations import collect
    from .windows import _unit_interval

    ids = sorted((t.record for t in tracks), key=lambda r: _unit_interval(r, seed))
    fit_ids, test_ids = sorted(ids[: len(ids) // 2]), sorted(ids[len(ids) // 2 :])
    if not fit_ids or not test_ids:
        raise ValueError("probing needs at least two annotated records (one to fit probes, one to score them)")
    by_id = {t.record: t for t in tracks}
    fit_t, test_t = [by_id[r] for r in fit_ids], [by_id[r] for r in test_ids]
    twin = random_twin(model, seed)
    bar = tqdm(total=6, desc="probe: representations", file=sys.stderr, disable=not progress, leave=False)
    cols = {}
    for name, m in (("fit", model), ("test", model), ("fit_random", twin), ("test_random", twin)):
        cols[name] = collect(m, fit_t if name.startswith("fit") else test_t, max_bases=max_bases)
        bar.update()
    kw = dict(k=k, pool=model.cfg.pool, radius=model.radius)
    fit, test = Stretches(cols["fit"], by_id, **kw), Stretches(cols["test"], by_id, **kw)
    bar.close()
    n_keys = len([x for x in fit.keys() if not representations or x in representations])
    pbar = tqdm(total=n_keys * len(PROPERTIES), desc="probe: fitting", file=sys.stderr, disable=not progress,
                leave=False)
    rows = probe_all(fit, test, cols["fit_random"], cols["test_random"], max_positions=max_positions, seed=seed,
                     properties=properties, representations=representations, progress=pbar)
    pbar.close()
    gates = gate_metaplots(test)
    return {
        "about": (f"{len(fit_ids)} records fit the probes and {len(test_ids)} other records score them; "
                  f"{sum(c.end - c.start for c in cols['fit']):,} + {sum(c.end - c.start for c in cols['test']):,} "
                  f"bases read; up to {max_positions} positions per property (stratified); events 'near' "
                  f"means within +/-{k} bp; seed {seed}."),
        "fit_records": fit_ids, "test_records": test_ids, "cell": model.cfg.cell,
        "probes": rows, "gates": gates, "gate_summary": gate_summary(gates, model.cfg.cell),
        "gate_note": "Gates are averaged over all hidden units of a layer and direction.",
        "novelty": novelty(test), "motifs": motifs(model, cols["fit"] + cols["test"], by_id),
    }
