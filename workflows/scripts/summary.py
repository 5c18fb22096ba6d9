"""Summary across genomes: one row per sample (genes, coding bases, evaluation F1s) and a bar plot."""
import json
import sys

from genelstm.atomic import atomic_path, atomic_text


def main(sm):
    sys.stderr = open(sm.log[0], "w")
    rows = []
    evals = dict(zip(sm.params.evaluated, sm.input.evaluations))
    for sample, gff in zip(sm.params.samples, sm.input.gff):
        genes = bases = 0
        with open(gff) as fh:
            for line in fh:
                f = line.split("\t")
                if len(f) == 9 and f[2] == "gene":
                    genes += 1
                if len(f) == 9 and f[2] == "CDS":
                    bases += int(f[4]) - int(f[3]) + 1
        row = {"sample": sample, "genes": genes, "coding_bases": bases}
        if sample in evals:
            with open(evals[sample]) as fh:
                res = json.load(fh)
            for key in ("base", "gene_stop", "gene_start_stop", "gene_structure"):
                row[f"{key}_f1"] = res[key]["f1"]
        rows.append(row)
    cols = ["sample", "genes", "coding_bases", "base_f1", "gene_stop_f1", "gene_start_stop_f1", "gene_structure_f1"]
    text = "\t".join(cols) + "\n" + "".join("\t".join(str(r.get(c, "")) for c in cols) + "\n" for r in rows)
    with atomic_text(sm.output.tsv) as fh:
        fh.write(text)

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(max(4, 1.2 * len(rows)), 3))
    keys = ["base_f1", "gene_stop_f1", "gene_start_stop_f1"]
    width = 0.25
    for i, k in enumerate(keys):
        ax.bar([j + (i - 1) * width for j in range(len(rows))], [r.get(k, 0) or 0 for r in rows], width, label=k)
    ax.set_xticks(range(len(rows)), [r["sample"] for r in rows], rotation=20)
    ax.set_ylim(0, 1)
    ax.set_ylabel("F1")
    ax.legend(fontsize=7)
    with atomic_path(sm.output.png) as tmp:
        fig.savefig(tmp, format="png", dpi=100, bbox_inches="tight")


main(snakemake)  # noqa: F821 (provided by snakemake's script directive)
