"""The translation table read from each genome (genelstm/genetic_code.py) against the one it uses.

    python benchmarks/genetic_code.py [--split benchmarks/splits/prokaryotes.tsv] [--roles train,val] [EXTRA...]

Per genome of the split (training and validation genomes by default: the rule's two thresholds were set on
them) and per extra file: the share of the first SAMPLE bases inside open frames of LONG_ORF bases or more
with TGA as a stop and with TGA read through, their ratio, the table chosen and the table the split says.
"""
from __future__ import annotations

import argparse
import os

from common import add_split_args  # noqa: E402  (also puts ROOT on sys.path)

from genelstm import genetic_code  # noqa: E402
from genelstm.corpus import read_split  # noqa: E402
from genelstm.sequence import read_sequences  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    add_split_args(ap)
    ap.add_argument("--roles", default="train,val")
    ap.add_argument("extra", nargs="*", help="more genomes (no table known)")
    args = ap.parse_args()
    roles = set(args.roles.split(","))
    rows = [(e.name, e.role, e.table, os.path.join(args.data_dir, e.file))
            for e in read_split(args.split) if e.role in roles]
    rows += [(os.path.basename(p), "extra", None, p) for p in args.extra]
    print(f"# open frames of {genetic_code.LONG_ORF} bp or more, first {genetic_code.SAMPLE:,} bases; table 4 where "
          f"the ratio is >= {genetic_code.RATIO} and the read-through cover >= {genetic_code.MIN_COVER}")
    print("genome\trole\tcover (TGA a stop)\tcover (TGA read through)\tratio\tchosen\ttable")
    wrong = 0
    for name, role, table, path in rows:
        chosen, standard, through = genetic_code.choose(read_sequences(path))
        wrong += table is not None and chosen != table
        print(f"{name}\t{role}\t{standard:.3f}\t{through:.3f}\t{through / max(standard, 1e-9):.2f}\t{chosen}\t"
              f"{'' if table is None else table}", flush=True)
    print(f"# {wrong} genome(s) of known table chosen wrong")


if __name__ == "__main__":
    main()
