"""The translation table read from each genome (genelstm/genetic_code.py) against the one it uses.

    python benchmarks/genetic_code.py [--split benchmarks/splits/prokaryotes.tsv] [--roles train,val] [EXTRA...]
    python benchmarks/genetic_code.py --pieces 3000,5000,10000,20000 [--per-genome 200]
    python benchmarks/genetic_code.py --decoded 5000,10000 [--per-genome 20] [-m MODEL]
    python benchmarks/genetic_code.py --close-calls 20000,50000 [--per-genome 200] [-m MODEL]

Per genome of the split (training and validation genomes by default: the rule's two thresholds were set on
them) and per extra file: the share of the first SAMPLE bases inside open frames of LONG_ORF bases or more
with TGA as a stop and with TGA read through, their ratio, the table chosen and the table the split says.

``--pieces``: the same rule on pieces of each genome of known table (a plasmid's or a contig's worth; evenly
spaced, so deterministic): per piece size and genome, how many pieces get the wrong table; per size, how many
of the wrong and of the right choices are flagged as close calls (genetic_code.unsure: a warning naming --table).

``--decoded``: what predict does with inputs under 20 kb when no table is given -- each piece through the
network as a small input, decoded under tables 11 and 4, read as the one its genes favour
(predict.table_by_decoding, genetic_code.by_decoding) -- and how many pieces get the wrong table.
``--close-calls``: pieces of 20 kb or more as predict reads them with self-training on: the long-frame rule,
and where it is a close call (genetic_code.unsure), decoding under both codes with self-training's round-0
settings; the flagged column counts the close calls (each decided by decoding).
"""
from __future__ import annotations

import argparse
import os

from common import ROOT, add_split_args  # noqa: E402  (also puts ROOT on sys.path)

from genelstm import genetic_code  # noqa: E402
from genelstm.corpus import read_split  # noqa: E402
from genelstm.sequence import MemoryGenome, read_sequences  # noqa: E402


def pieces(genome, size: int, count: int) -> list[MemoryGenome]:
    """Up to ``count`` one-record genomes of ``size`` bases, evenly spaced over the genome's records."""
    spans = [(r.id, a) for r in genome for a in range(0, r.length - size + 1, size)]
    step = max(len(spans) / count, 1.0)
    chosen = [spans[int(i * step)] for i in range(min(count, len(spans)))]
    return [MemoryGenome(f"{rid}:{a}", {f"{rid}:{a}": genome.fetch(rid, a, a + size)}) for rid, a in chosen]


def piece_scan(rows, sizes: list[int], count: int, read, flags: bool) -> None:
    """Per genome and piece size, how many of its pieces ``read(piece, size) -> (table, close call)`` gets wrong;
    per size, the totals (and with ``flags``, how many wrong and right choices were flagged as close calls)."""
    print("genome\trole\ttable\t" + "\t".join(f"{s} bp: wrong/pieces" for s in sizes))
    total = {s: [0, 0, 0, 0] for s in sizes}  # table 11: wrong, pieces; table 4: wrong, pieces
    flagged = {s: [0, 0] for s in sizes}  # flagged among the wrong choices, among the right ones
    for name, role, table, path in rows:
        genome = read_sequences(path)
        cells = []
        for s in sizes:
            ps = pieces(genome, s, count)
            wrong = 0
            for p in ps:
                chosen, close = read(p, s)
                wrong += chosen != table
                flagged[s][chosen == table] += close
            k = 0 if table == 11 else 2
            total[s][k] += wrong
            total[s][k + 1] += len(ps)
            cells.append(f"{wrong}/{len(ps)}")
        print(f"{name}\t{role}\t{table}\t" + "\t".join(cells), flush=True)
    for s in sizes:
        w11, n11, w4, n4 = total[s]
        print(f"# {s} bp: table-11 pieces read as 4: {w11}/{n11} ({w11 / max(n11, 1):.2%}); "
              f"table-4 pieces read as 11: {w4}/{n4} ({w4 / max(n4, 1):.2%})"
              + (f"; flagged as close calls: {flagged[s][0]} of the {w11 + w4} wrong, {flagged[s][1]} of the "
                 f"{n11 + n4 - w11 - w4} right" if flags else ""))


def decoded_table(rows, sizes: list[int], count: int, model_path: str, close_calls: bool = False) -> None:
    import torch

    from genelstm import checkpoint
    from genelstm.predict import PredictOptions, table_by_decoding, decoder_options, genome_evidence

    torch.set_num_threads(2)
    model, _, ck = checkpoint.load_model(model_path)
    opts = PredictOptions(**decoder_options(ck), table=11)

    def read(piece, size):
        use = opts.without_dialect(size) if size < opts.adapt_min_bases else opts  # as predict.self_trained
        if close_calls:
            chosen, standard, through = genetic_code.choose(piece)
            if not genetic_code.unsure(standard, through):
                return chosen, False
        records = genome_evidence(model, piece, use, device=torch.device("cpu"))
        return table_by_decoding(records, use)[0].table, close_calls

    print(("# the long-frame rule, its close calls " if close_calls else "# ")
          + f"decoded under both codes: table 4 where the genes' total score gains more than "
          f"{genetic_code.SMALL_MARGIN:.0%}")
    piece_scan(rows, sizes, count, read, flags=close_calls)


def piece_table(rows, sizes: list[int], count: int) -> None:
    def read(piece, size):
        chosen, standard, through = genetic_code.choose(piece)
        return chosen, genetic_code.unsure(standard, through)

    print(f"# pieces: wrong tables of pieces per genome (rule: ratio >= {genetic_code.RATIO}, "
          f"read-through cover >= {genetic_code.MIN_COVER})")
    piece_scan(rows, sizes, count, read, flags=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    add_split_args(ap)
    ap.add_argument("--roles", default="train,val")
    ap.add_argument("--pieces", help="comma-separated piece sizes: score pieces of each genome instead")
    ap.add_argument("--decoded", help="comma-separated piece sizes: read each piece's table by decoding it")
    ap.add_argument("--close-calls", help="comma-separated piece sizes: the long-frame rule, close calls decoded")
    ap.add_argument("-m", "--model", default=str(ROOT / "genelstm/models/prokaryote.pt"))
    ap.add_argument("--per-genome", type=int, default=200, help="pieces per genome and size")
    ap.add_argument("extra", nargs="*", help="more genomes (no table known)")
    args = ap.parse_args()
    roles = set(args.roles.split(","))
    rows = [(e.name, e.role, e.table, os.path.join(args.data_dir, e.file))
            for e in read_split(args.split) if e.role in roles]
    if args.pieces:
        piece_table(rows, [int(x) for x in args.pieces.split(",")], args.per_genome)
        return
    if args.decoded or args.close_calls:
        sizes = [int(x) for x in (args.decoded or args.close_calls).split(",")]
        decoded_table(rows, sizes, args.per_genome, args.model, close_calls=bool(args.close_calls))
        return
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
