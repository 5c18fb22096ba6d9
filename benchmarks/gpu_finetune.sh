#!/usr/bin/env bash
# The third GPU lease (about 9 minutes of one H100/H200): which objective should more training of the bundled
# network use? Five fine-tunes of genelstm/models/prokaryote.pt share the GPU, same data, seed, learning rate
# and budget, differing only in the next-base loss's weight (lm_weight: 1 today; the tagging losses are a
# twentieth of it, so the language model takes most of the shared capacity) and the per-gene start-choice
# loss (objectives.start_choice). w1 (lm 1, no start-choice loss) is the control: the same extra training
# with today's objective. Each keeps its epoch with the best network-alone gene F1 on the validation genomes,
# decoded with the bundled model's own decoder settings (train --init carries them); self-training's F1 is
# logged beside. The choice between the five is made afterwards on the same validation genomes (CPU), after
# fitting each a start-choice head (fine-tuning drops it): benchmarks/fit_choice_head.py.
#
#   OUT=/path DATA=gpu_data/prokaryotes bash benchmarks/gpu_finetune.sh
. "$(dirname "$0")/gpu_common.sh"  # OUT, DATA, SPLIT, DEVICE, CACHE, LOGS, say; corpus cached
MINUTES=${MINUTES:-6.3}
STEPS=${STEPS:-250}
BATCH=${BATCH:-64}
WINDOW=${WINDOW:-8100}
VARIANTS=${VARIANTS:-"w1 1.0 0 w03 0.3 0 w01 0.1 0 w1sc 1.0 0.3 w03sc 0.3 0.3"}

set -- $VARIANTS
while [ $# -ge 3 ]; do
  name=$1 lm=$2 sc=$3; shift 3
  echo "lm_weight: $lm" >"$LOGS/$name.yaml"
  python3 -m genelstm -v train --corpus "$SPLIT" --data-dir "$DATA" --cache-dir "$CACHE" --config "$LOGS/$name.yaml" \
    --init genelstm/models/prokaryote.pt --start-choice-weight "$sc" --epochs 40 --steps-per-epoch "$STEPS" \
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
