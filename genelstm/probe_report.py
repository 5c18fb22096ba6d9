"""The probe report: report.html (plots embedded), probes.json, probes.tsv and a one-screen summary."""
from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path
from typing import TextIO

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from .probe import PROPERTIES  # noqa: E402
from .representations import GATES  # noqa: E402

DESCRIPTIONS = {p.name: p.description for p in PROPERTIES}


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def _best(rows: list[dict], prop: str) -> dict | None:
    cand = [r for r in rows if r["property"] == prop and r.get("representation")]
    return max(cand, key=lambda r: r["selectivity_onehot"] + r["selectivity_random"]) if cand else None


def ranked(rows: list[dict]) -> list[dict]:
    """Best representation per property, most selective first (selectivity over the strongest control)."""
    best = [b for b in (_best(rows, p.name) for p in PROPERTIES) if b]
    return sorted(best, key=lambda r: -min(r["selectivity_random"], r["selectivity_onehot"], r["selectivity_shuffled"]))


def summary_text(row: dict) -> str:
    ctrl = max(("random weights", row["control_random"]), ("one-hot window", row["control_onehot"]),
               ("shuffled labels", row["control_shuffled"]), key=lambda kv: kv[1])
    metric = "macro-F1" if row["kind"] == "class" else "R^2"
    verdict = ("encoded well beyond every control" if row["score"] - ctrl[1] > 0.1 else
               "encoded, modestly above the strongest control" if row["score"] - ctrl[1] > 0.02 else
               "not encoded beyond what a trivial baseline already gives")
    return (f"{DESCRIPTIONS[row['property']]}: best in {row['representation']} ({metric} {row['score']:.3f} "
            f"+/- {row['se']:.3f}); strongest control: {ctrl[0]} ({ctrl[1]:.3f}); {verdict}.")


def _bars(rows: list[dict], prop: str) -> str:
    rs = [r for r in rows if r["property"] == prop and r.get("representation")]
    fig, ax = plt.subplots(figsize=(max(4, 0.9 * len(rs) + 2), 2.8))
    x = np.arange(len(rs))
    w = 0.2
    for i, (key, label) in enumerate([("score", "model"), ("control_random", "random weights"),
                                      ("control_onehot", "one-hot window"), ("control_shuffled", "shuffled labels")]):
        se = [r["se" if key == "score" else key + "_se"] for r in rs]
        ax.bar(x + (i - 1.5) * w, [r[key] for r in rs], w, yerr=se, label=label, capsize=2)
    ax.set_xticks(x, [r["representation"] for r in rs], rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("macro-F1" if rs and rs[0]["kind"] == "class" else "R^2")
    ax.set_title(prop, fontsize=10)
    ax.legend(fontsize=7, ncol=4, loc="upper left", bbox_to_anchor=(0, -0.35))
    return _png(fig)


def _gates(gates: dict, cell: str) -> str:
    names = GATES[cell]
    events = list(gates)
    if not events:
        return ""
    keys = sorted(next(iter(next(iter(gates.values())).values()))["curves"])
    fig, axes = plt.subplots(len(events), len(keys), figsize=(3.2 * len(keys), 2.2 * len(events)), squeeze=False)
    for i, ev in enumerate(events):
        for j, key in enumerate(keys):
            ax = axes[i, j]
            for strand, d in gates[ev].items():
                for gi, gname in enumerate(names):
                    if gname == "cell":
                        continue
                    y = d["curves"][key][str(gi)]
                    x = np.arange(len(y)) - len(y) // 2
                    ax.plot(x, y, lw=1, ls="-" if strand == "+" else "--",
                            label=f"{gname} ({strand}, n={d['n']})")
            ax.axvline(0, color="grey", lw=0.5)
            ax.set_title(f"{ev} | {key}", fontsize=8)
            ax.tick_params(labelsize=7)
            if i == 0 and j == 0:
                ax.legend(fontsize=6)
    fig.supxlabel("bp from the event, in the gene's direction", fontsize=8)
    return _png(fig)


def _novelty(nov: dict) -> str:
    fig, ax = plt.subplots(figsize=(8, 2))
    ax.plot(nov["trace"], lw=0.8)
    for e in nov["trace_events"]:
        ax.axvspan(e - 0.5, e + 0.5, color="orange", alpha=0.2, lw=0)
    ax.set_xlabel("chunk (first stretch of held-out sequence); orange: near an annotated boundary", fontsize=8)
    ax.set_ylabel("|h_t - h_t-1|", fontsize=8)
    return _png(fig)


def _logos(mots: list[dict], n: int = 8) -> str:
    import logomaker
    import pandas as pd

    top = mots[:n]
    fig, axes = plt.subplots(len(top), 1, figsize=(5, 1.1 * len(top)), squeeze=False)
    for ax, m in zip(axes[:, 0], top):
        pfm = np.array(m["pfm"])
        ic = 2 + (pfm * np.log2(pfm)).sum(1, keepdims=True)
        logomaker.Logo(pd.DataFrame(pfm * ic, columns=list("ACGT")), ax=ax)
        ax.set_ylabel(f"f{m['filter']}", fontsize=7)
        ax.set_xticks([])
        ax.set_title(", ".join(m["names"]) or "", fontsize=7, loc="right")
    return _png(fig)


def write(folder: Path, result: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    rows = result["probes"]
    (folder / "probes.json").write_text(json.dumps(result, indent=1, sort_keys=True) + "\n")
    cols = ["property", "representation", "score", "se", "control_random", "control_onehot", "control_shuffled",
            "selectivity_random", "selectivity_onehot", "selectivity_shuffled", "selectivity_se", "n_fit", "n_test"]
    with open(folder / "probes.tsv", "w") as fh:
        fh.write("\t".join(cols) + "\n")
        for r in rows:
            if r.get("representation"):
                fh.write("\t".join(str(r[c]) for c in cols) + "\n")
    parts = [f"<h1>genelstm probe report</h1><p>{html.escape(result['about'])}</p>", "<h2>Summary</h2><ul>"]
    for r in ranked(rows):
        parts.append(f"<li>{html.escape(summary_text(r))}</li>")
    for r in rows:
        if not r.get("representation"):
            parts.append(f"<li>{r['property']}: skipped ({r['skipped']}).</li>")
    parts.append("</ul><h2>Probes per layer, with controls</h2>")
    parts.append("<p>Score of a linear probe fitted on one set of records and scored on others (macro-F1 for "
                 "classes, R<sup>2</sup> for regressions); error bars: bootstrap standard error.</p>")
    for p in PROPERTIES:
        if any(r["property"] == p.name and r.get("representation") for r in rows):
            parts.append(f"<h3>{p.name}</h3><p>{html.escape(p.description)}</p><img src='{_bars(rows, p.name)}'>")
    parts.append("<table border=1 cellspacing=0 cellpadding=3><tr>" + "".join(f"<th>{c}</th>" for c in cols) + "</tr>")
    for r in rows:
        if r.get("representation"):
            parts.append("<tr>" + "".join(f"<td>{r[c]}</td>" for c in cols) + "</tr>")
    parts.append("</table>")
    if result.get("gates"):
        parts.append("<h2>Gate dynamics</h2><p>Mean gate activation (over units) around annotated events, "
                     f"+/-150 bp; solid: forward-strand genes, dashed: reverse-strand. {html.escape(result['gate_note'])}</p>")
        parts.append(f"<img src='{_gates(result['gates'], result['cell'])}'>")
    nov = result["novelty"]
    parts.append(f"<h2>Novelty</h2><p>Hidden-state change between steps ({nov['layer']}): {nov['peaks']} peaks; "
                 f"{100 * nov['peaks_near_boundary']:.1f}% lie within {nov['near_bases']} bp of an annotated boundary "
                 f"against {100 * nov['chunks_near_boundary']:.1f}% of all steps (enrichment {nov['enrichment']}x).</p>")
    parts.append(f"<img src='{_novelty(nov)}'>")
    parts.append("<h2>Motifs (first convolution layer)</h2><p>Position frequency matrices of the top-activating "
                 "sites of each filter, most informative first; logos in bits.</p>")
    parts.append(f"<img src='{_logos(result['motifs'])}'>")
    parts.append("<table border=1 cellspacing=0 cellpadding=3><tr><th>filter</th><th>information (bits)</th>"
                 "<th>consensus</th><th>resembles</th></tr>")
    for m in result["motifs"]:
        parts.append(f"<tr><td>{m['filter']}</td><td>{m['information']}</td><td><code>{m['consensus']}</code></td>"
                     f"<td>{', '.join(m['names'])}</td></tr>")
    parts.append("</table>")
    page = ("<!doctype html><html><head><meta charset='utf-8'><title>genelstm probe report</title><style>"
            "body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}img{max-width:100%}"
            "table{font-size:12px;border-collapse:collapse}</style></head><body>" + "\n".join(parts) + "</body></html>")
    (folder / "report.html").write_text(page)


def screen(fh: TextIO, result: dict) -> None:
    fh.write(f"{'property':16s} {'best layer':12s} {'score':>6s} {'+/-':>5s} {'random':>6s} {'onehot':>6s} "
             f"{'shuffl':>6s}\n")
    for r in ranked(result["probes"]):
        fh.write(f"{r['property']:16s} {r['representation']:12s} {r['score']:6.3f} {r['se']:5.3f} "
                 f"{r['control_random']:6.3f} {r['control_onehot']:6.3f} {r['control_shuffled']:6.3f}\n")
    nov = result["novelty"]
    fh.write(f"novelty peaks near boundaries: {100 * nov['peaks_near_boundary']:.1f}% vs "
             f"{100 * nov['chunks_near_boundary']:.1f}% expected\n")
    named = [m for m in result["motifs"] if m["names"]]
    fh.write("motif filters: " + ("; ".join(f"f{m['filter']} {m['consensus']} ({', '.join(m['names'])})"
                                            for m in named[:5]) or "none resemble known motifs") + "\n")
