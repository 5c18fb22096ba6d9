"""Order-k Markov and two-sided k-mer baselines in bits/base, on the same held-out bases as training.

    python benchmarks/markov_baseline.py --train A.gbk [...] --val B.gbk [--val-max-bases 2000000]

Fits on the training genomes (both strands), scores the first --val-max-bases of the validation
genomes (forward strand, the bases genelstm's validation scores), and picks k on that set.
The two-sided model sees k bases on each side, as genelstm's next-base head does.
"""
from __future__ import annotations

import argparse

import common  # noqa: E402,F401  (puts the repository on sys.path, for genelstm)

from genelstm.alphabet import reverse_complement_codes  # noqa: E402
from genelstm.annotation import load_all  # noqa: E402
from genelstm.markov import MarkovChain, TwoSided, best_order  # noqa: E402


def codes_of(paths: list[str], max_bases: int | None = None) -> list:
    out, total = [], 0
    for ag in load_all(paths):
        for rec in ag.genome:
            c, _ = ag.genome.encode(rec.id)
            if max_bases is not None:
                c = c[: max(0, max_bases - total)]
            if len(c):
                out.append(c)
                total += len(c)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", nargs="+", required=True)
    ap.add_argument("--val", nargs="+", required=True)
    ap.add_argument("--val-max-bases", type=int, default=2_000_000)
    args = ap.parse_args()
    train = codes_of(args.train)
    train = train + [reverse_complement_codes(c) for c in train]
    val = codes_of(args.val, args.val_max_bases)
    print(f"train {sum(map(len, train)) // 2:,} bases (x2 strands); val {sum(map(len, val)):,} bases")
    k, bits, table = best_order(MarkovChain, train, val, range(0, 9))
    print("markov (causal) bits/base by k: " + ", ".join(f"{o}:{b:.4f}" for o, b in table.items()))
    print(f"best order-k Markov chain: k={k} {bits:.4f} bits/base")
    k2, bits2, table2 = best_order(TwoSided, train, val, range(0, 6))
    print("two-sided k-mer bits/base by k: " + ", ".join(f"{o}:{b:.4f}" for o, b in table2.items()))
    print(f"best two-sided context model: k={k2} (each side) {bits2:.4f} bits/base")


if __name__ == "__main__":
    main()
