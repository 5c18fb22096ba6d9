#!/usr/bin/env bash
# Fine-tunes of genelstm/models/prokaryote.pt sharing one GPU (a lease is about 9 minutes of one H100/H200):
# same data, seed, learning rate and budget, differing only in what VARIANTS names, four words each:
#   name  lm_weight  start_choice_weight  hidden
# lm_weight: the next-base loss's weight (1 today; the tagging losses are a twentieth of it);
# start_choice_weight: the per-gene start-choice loss (objectives.start_choice); hidden: the LSTM size, grown
# from the bundled 128 with train --init --hidden (the new units start unread, so every run starts from
# exactly the bundled model's outputs).
# * third lease (benchmarks/results/gpu3/, the objective): w1 1.0 0 128 (the control: more of today's training),
#   w03 0.3 0 128, w01 0.1 0 128, w1sc 1.0 0.3 128, w03sc 0.3 0.3 128. None beat the bundled model:
#   the network had plateaued.
# * the default now (the capacity question that answer left): the control again beside widened stacks.
# Each keeps its epoch with the best network-alone gene F1 on the validation genomes, decoded with the
# bundled model's own decoder settings (train --init carries them); self-training's F1 is logged beside. The
# choice between them is made afterwards on the same validation genomes (CPU), after fitting each a
# start-choice head (fine-tuning drops it): benchmarks/fit_choice_head.py.
#
#   OUT=/path DATA=gpu_data/prokaryotes bash benchmarks/gpu_finetune.sh
. "$(dirname "$0")/gpu_common.sh"  # OUT, DATA, SPLIT, DEVICE, CACHE, LOGS, say; corpus cached
MINUTES=${MINUTES:-6.3}
STEPS=${STEPS:-250}
BATCH=${BATCH:-64}
WINDOW=${WINDOW:-8100}
VARIANTS=${VARIANTS:-"w1 1.0 0 128 h192 1.0 0 192 h256 1.0 0 256 h256sc 1.0 0.3 256"}

set -- $VARIANTS
while [ $# -ge 4 ]; do
  name=$1 lm=$2 sc=$3 hidden=$4; shift 4
  echo "lm_weight: $lm" >"$LOGS/$name.yaml"
  python3 -m genelstm -v train --corpus "$SPLIT" --data-dir "$DATA" --cache-dir "$CACHE" --config "$LOGS/$name.yaml" \
    --init genelstm/models/prokaryote.pt --hidden "$hidden" --start-choice-weight "$sc" --epochs 40 --steps-per-epoch "$STEPS" \
    --batch-size "$BATCH" --window "$WINDOW" --lr 4e-4 --seed 5 --device "$DEVICE" --threads 2 \
    --max-minutes "$MINUTES" --no-progress -o "$OUT/$name.pt" --metrics "$LOGS/$name.metrics.jsonl" \
    >"$LOGS/$name.log" 2>&1 &
done
wait
say "fine-tunes finished"
python3 - "$LOGS" <<'PY' | tee -a "$OUT/log.txt"
import glob, json, os, sys
print("variant epoch step alone:stop start+stop confusion | self-training:stop start+stop | bits/base")
for f in sorted(glob.glob(os.path.join(sys.argv[1], "*.metrics.jsonl"))):
    for r in map(json.loads, open(f)):
        print(os.path.basename(f).split(".")[0], r["epoch"], r["step"], r.get("val_gene_stop_f1"),
              r.get("val_gene_start_stop_f1"), r.get("val_strand_confusion"), "|", r.get("val_gene_adapt_stop_f1"),
              r.get("val_gene_adapt_start_stop_f1"), "|", r.get("val_bits_per_base"))
PY
for f in "$LOGS"/*.log; do echo "== $f"; grep -E "trained|error|Error" "$f" | tail -3; done | tee -a "$OUT/log.txt"
tar -czf "$OUT/logs.tgz" -C "$LOGS" . 2>/dev/null
say "done"
