"""genelstm (eukaryote mode) vs AUGUSTUS on held-out annotated sequence.

    python benchmarks/eukaryote_accuracy.py GENOME.fa -a GENES.gff3 -m MODEL.pt --species saccharomyces_cerevisiae_S288C
    python benchmarks/eukaryote_accuracy.py LOCI.gbk[.gz] -m MODEL.pt [--records ID,ID,...] [--species fly]
    python benchmarks/eukaryote_accuracy.py GENOME.fa -a GENES.gff3 ... --exclude orf_classification=Dubious

A FASTA genome with its annotation (-a) is used whole; a GenBank file is cut to ``--records`` (default: the
model's validation records; ``all``: every record, for files the model never trained on). ``-m`` takes a
bundled model's name or a checkpoint. Runs `genelstm predict --mode eukaryote` and `augustus --species SPECIES
--gff3=on` on the same sequence and scores both with genelstm's evaluator: gene-level stop-exact,
start+stop-exact and exact-structure F1, CDS-exon F1, coding-base F1, and wall time. AUGUSTUS's shipped
parameters may have been trained on these very genes (saccharomyces_cerevisiae_S288C on S288C): a yardstick,
not a blind comparison. ``--exclude KEY=VALUE`` drops the GFF3 genes carrying that attribute, with their
transcripts and exons, from the reference (SGD's ``orf_classification=Dubious``: ORFs judged not to encode a
protein, which a gene finder should not call), so both tools are scored without them.
"""
from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import common  # noqa: E402,F401  (puts the repository on sys.path, for genelstm)

from genelstm import checkpoint  # noqa: E402
from genelstm.annotation import read_genome  # noqa: E402
from genelstm.evaluate import evaluate, reference_models  # noqa: E402
from genelstm.models import resolve  # noqa: E402
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
    cols = [res[k]["f1"] for k in ("gene_stop", "gene_start_stop", "gene_structure", "exon", "base")]
    return f"{name:10s} " + " ".join(f"{v:11.3f}" for v in cols) + f" {wall:8.1f}"


def without_genes(annotation: str, key_value: str, out: Path) -> int:
    """Copy a GFF3 annotation without the genes whose attributes hold ``key_value`` and every feature whose
    Parent chain leads to one (parents come before their children in GFF3 as annotators write it);
    returns how many genes were dropped."""
    with open_text(annotation) as fh:
        lines = fh.read().splitlines()
    dropped: set[str] = set()
    genes = 0
    for line in lines:
        f = line.split("\t")
        if len(f) != 9:
            continue
        own = re.findall(r"(?:^|;)ID=([^;]+)", f[8])
        if (f[2] == "gene" and key_value in f[8].split(";")) or _linked(f[8], dropped):
            dropped.update(own)
            genes += f[2] == "gene"
    out.write_text("\n".join(ln for ln in lines if len(ln.split("\t")) != 9 or not _linked(ln.split("\t")[8], dropped))
                   + "\n")
    return genes


def _linked(attributes: str, dropped: set[str]) -> bool:
    """Whether a feature's own ID or one of its Parents is in ``dropped``."""
    ids = re.findall(r"(?:^|;)(?:ID|Parent)=([^;]+)", attributes)
    return any(i in dropped for group in ids for i in group.split(","))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("genome")
    ap.add_argument("-a", "--annotation", help="annotation of a FASTA genome (GFF3/GTF)")
    ap.add_argument("-m", "--model", required=True)
    ap.add_argument("--records")
    ap.add_argument("--species", default="fly")
    ap.add_argument("--exclude", help="KEY=VALUE: drop reference genes (GFF3 -a only) with this attribute")
    args = ap.parse_args()
    model = str(resolve(args.model))
    with tempfile.TemporaryDirectory() as tmp:
        if args.annotation:
            src, ann = args.genome, args.annotation
            if args.exclude:
                ann = str(Path(tmp) / "reference.gff3")
                n = without_genes(args.annotation, args.exclude, Path(ann))
                print(f"reference without {n} genes marked {args.exclude}")
        else:
            if args.records == "all":
                src, ann = args.genome, None
            else:
                ids = set(args.records.split(",")) if args.records else set(checkpoint.read(model)["data"]["val_records"])
                src, ann = str(Path(tmp) / "heldout.gbk"), None
                subset_genbank(args.genome, ids, Path(src))
        genome, _ = read_genome(src)
        fa = Path(tmp) / "heldout.fa"
        with open(fa, "w") as fh:
            for r in genome:
                fh.write(f">{r.id}\n{genome.fetch(r.id)}\n")
        print(f"{len(genome)} records, {sum(r.length for r in genome):,} bp; F1 of:")
        print(f"{'':10s} {'stop-exact':>11s} {'start+stop':>11s} {'structure':>11s} {'CDS exons':>11s} "
              f"{'coding bp':>11s} {'wall s':>8s}")
        ours = Path(tmp) / "genelstm.gff3"
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "genelstm", "predict", str(fa), "-m", model, "--mode", "eukaryote",
                        "-o", str(ours), "--no-progress"], check=True)
        g, r, p, _ = reference_models(ann or src, src if ann else None, ours)
        print(row("genelstm", evaluate(g, r, p), time.perf_counter() - t0))
        if shutil.which("augustus"):
            aug = Path(tmp) / "augustus.gff3"
            t0 = time.perf_counter()
            with open(aug, "w") as fh:
                subprocess.run(["augustus", f"--species={args.species}", "--gff3=on", str(fa)], stdout=fh,
                               stderr=subprocess.DEVNULL, check=True)
            wall = time.perf_counter() - t0
            g, r, p, _ = reference_models(ann or src, src if ann else None, aug)
            print(row("augustus", evaluate(g, r, p), wall))
        else:
            print("augustus not installed: no comparison")


if __name__ == "__main__":
    main()
