"""genelstm (eukaryote mode) vs AUGUSTUS on held-out annotated loci.

    python benchmarks/eukaryote_accuracy.py LOCI.gbk[.gz] -m MODEL.pt [--records ID,ID,...] [--species fly]

Writes the chosen records (default: the model's validation records) as FASTA, runs
`genelstm predict --mode eukaryote` and `augustus --species SPECIES --gff3=on` on them, and scores both
with genelstm's evaluator against the GenBank annotation. AUGUSTUS's fly parameters were trained on
Drosophila genes and may include these very loci: it is a yardstick, not a blind comparison.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from genelstm import checkpoint  # noqa: E402
from genelstm.annotation import read_genome  # noqa: E402
from genelstm.evaluate import evaluate, reference_models  # noqa: E402
from genelstm.sequence import open_text  # noqa: E402


def subset_genbank(src: str, ids: set[str], out: Path) -> None:
    from Bio import BiopythonParserWarning, SeqIO

    with open_text(src) as fh, warnings.catch_warnings():
        warnings.simplefilter("ignore", BiopythonParserWarning)
        recs = [r for r in SeqIO.parse(fh, "genbank") if r.name in ids]
    for r in recs:
        r.annotations.setdefault("molecule_type", "DNA")
    SeqIO.write(recs, str(out), "genbank")


def row(name: str, res: dict, wall: float) -> str:
    f = lambda k: f"{res[k]['sensitivity']:.3f} {res[k]['precision']:.3f} {res[k]['f1']:.3f}"  # noqa: E731
    return f"{name:10s} {f('gene_structure'):19s}   {f('exon'):19s}   {f('base'):19s}  {wall:6.1f}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("loci")
    ap.add_argument("-m", "--model", required=True)
    ap.add_argument("--records")
    ap.add_argument("--species", default="fly")
    args = ap.parse_args()
    ids = set(args.records.split(",")) if args.records else set(checkpoint.read(args.model)["data"]["val_records"])
    with tempfile.TemporaryDirectory() as tmp:
        gb = Path(tmp) / "heldout.gbk"
        subset_genbank(args.loci, ids, gb)
        genome, _ = read_genome(gb)
        fa = Path(tmp) / "heldout.fa"
        with open(fa, "w") as fh:
            for r in genome:
                fh.write(f">{r.id}\n{genome.fetch(r.id)}\n")
        print(f"{len(genome)} held-out records, {sum(r.length for r in genome):,} bp")
        print(f"{'':10s} {'exact genes S/P/F1':19s}   {'CDS exons S/P/F1':19s}   {'coding bases S/P/F1':19s}  {'wall s':>6s}")
        ours = Path(tmp) / "genelstm.gff3"
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "genelstm", "predict", str(gb), "-m", args.model, "--mode", "eukaryote",
                        "-o", str(ours), "--no-progress"], check=True)
        g, r, p, _ = reference_models(gb, None, ours)
        print(row("genelstm", evaluate(g, r, p), time.perf_counter() - t0))
        if shutil.which("augustus"):
            aug = Path(tmp) / "augustus.gff3"
            t0 = time.perf_counter()
            with open(aug, "w") as fh:
                subprocess.run(["augustus", f"--species={args.species}", "--gff3=on", str(fa)], stdout=fh,
                               stderr=subprocess.DEVNULL, check=True)
            wall = time.perf_counter() - t0
            g, r, p, _ = reference_models(gb, None, aug)
            print(row("augustus", evaluate(g, r, p), wall))


if __name__ == "__main__":
    main()
