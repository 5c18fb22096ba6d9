#!/usr/bin/env bash
# The third GPU lease (about 9 minutes of one H100/H200): does the per-gene start-choice loss
# (objectives.start_choice) teach the bundled model's start head what the decoder asks of it?
# Five fine-tunes of genelstm/models/prokaryote.pt share the GPU, same data, seed and budget, differing
# only in --start-choice-weight (0 is the control: the same extra training without the new loss) and, for
# one, the learning rate. Each keeps its epoch with the best gene-level F1 on the validation genomes; the
# choice between them, with the decoder retuned, is made afterwards on the same validation genomes (CPU).
# Fine-tuning drops the bundled model's start-choice head (its input moves): fit a new one on each kept
# checkpoint with benchmarks/fit_choice_head.py before comparing them on the network-only path.
#
#   OUT=/path DATA=gpu_data/prokaryotes bash benchmarks/gpu_start_choice.sh
. "$(dirname "$0")/gpu_common.sh"  # OUT, DATA, SPLIT, DEVICE, CACHE, LOGS, say; corpus cached
MINUTES=${MINUTES:-6.5}
STEPS=${STEPS:-400}

for variant in "w0 0 4e-4" "w01 0.1 4e-4" "w03 0.3 4e-4" "w1 1.0 4e-4" "w03hi 0.3 1e-3"; do
  set -- $variant
  python3 -m genelstm -v train --corpus "$SPLIT" --data-dir "$DATA" --cache-dir "$CACHE" \
    --init genelstm/models/prokaryote.pt --start-choice-weight "$2" --epochs 40 --steps-per-epoch "$STEPS" \
    --batch-size 64 --window 8100 --lr "$3" --seed 5 --device "$DEVICE" --threads 2 --max-minutes "$MINUTES" \
    --no-progress -o "$OUT/$1.pt" --metrics "$LOGS/$1.metrics.jsonl" >"$LOGS/$1.log" 2>&1 &
done
wait
say "fine-tunes finished"
for f in "$LOGS"/*.metrics.jsonl; do
  python3 - "$f" <<'PY' | tee -a "$OUT/log.txt"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
for r in rows:
    print(sys.argv[1].rsplit("/", 1)[-1].split(".")[0], r["epoch"], r["step"], r.get("val_gene_stop_f1"),
          r.get("val_gene_start_stop_f1"), r.get("val_strand_confusion"), r.get("val_start_loss"))
PY
done
tar -czf "$OUT/logs.tgz" -C "$LOGS" . 2>/dev/null
say "done"
