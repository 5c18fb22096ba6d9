"""Which tool made each reference annotation's genes, and how much of it pyrodigal reproduces.

    python benchmarks/annotation_provenance.py [--split benchmarks/splits/prokaryotes.tsv]

Some GenBank files of ../shared/data/prokaryotes are RAST re-annotations rather than the RefSeq records their
MANIFEST names: each CDS carries /note="rasttk_feature_creation_tool=prodigal" (or glimmer3, ...), the gene
caller that created it. Where most genes were created by Prodigal, pyrodigal (the same algorithm) is scored
against its own calls, and its start+stop F1 there says how closely it reproduces itself, not how right its
starts are. This prints, per genome of the split: its role, CDS count, the share of CDS each creation tool
made (none noted: RefSeq PGAP, INSDC or curated), and pyrodigal's start+stop-exact sensitivity / precision /
F1 against the reference (pyrodigal run as benchmarks/accuracy.py runs it).
"""
from __future__ import annotations

import argparse
import collections
import gzip
import os
import re
import tempfile
from pathlib import Path

from accuracy import pyrodigal_gff  # noqa: E402
from common import PROKARYOTES, SPLIT  # noqa: E402  (also puts ROOT on sys.path)

from genelstm.annotation import read_genome  # noqa: E402
from genelstm.corpus import read_split  # noqa: E402
from genelstm.evaluate import evaluate, reference_models  # noqa: E402

TOOL = re.compile(r'rasttk_feature_creation_tool=([A-Za-z0-9_]*)')
FEATURE = re.compile(r"^ {5}(\S+)\s")


def creation_tools(path: str) -> collections.Counter:
    """Per CDS feature of a GenBank file: the RAST creation tool it names ('' where none is noted)."""
    counts: collections.Counter = collections.Counter()
    opener = gzip.open if path.endswith(".gz") else open
    in_cds, tool = False, None
    with opener(path, "rt") as fh:
        for line in fh:
            m = FEATURE.match(line)
            if m or line.startswith("ORIGIN"):
                if in_cds:
                    counts[tool or ""] += 1
                in_cds, tool = bool(m) and m.group(1) == "CDS", None
            elif in_cds and tool is None:
                t = TOOL.search(line)
                if t:
                    tool = t.group(1) or "unnamed"
    return counts


def prodigal_made(path: str) -> bool:
    """Whether most of a reference's CDS were created by Prodigal (a RAST re-annotation's notes say so)."""
    tools = creation_tools(path)
    return tools["prodigal"] > sum(tools.values()) / 2


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--split", default=str(SPLIT))
    ap.add_argument("--data-dir", default=str(PROKARYOTES))
    args = ap.parse_args()
    print("genome\trole\tCDS\tcreated by (share of CDS)\tpyrodigal start+stop S/P/F1")
    for e in read_split(args.split):
        path = os.path.join(args.data_dir, e.file)
        tools = creation_tools(path)
        n = sum(tools.values())
        made = ", ".join(f"{t or 'none noted'} {c / n:.1%}" for t, c in tools.most_common())
        genome, _ = read_genome(path)
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "pyrodigal.gff3"
            pyrodigal_gff(genome, out, e.table)
            g, r, p, _ = reference_models(path, None, out)
            m = evaluate(g, r, p, tolerance=0)["gene_start_stop"]
        print(f"{e.file.split('.gb')[0]}\t{e.role}\t{n}\t{made}\t"
              f"{m['sensitivity']:.3f} {m['precision']:.3f} {m['f1']:.3f}", flush=True)


if __name__ == "__main__":
    main()
