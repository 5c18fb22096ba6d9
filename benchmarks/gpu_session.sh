#!/usr/bin/env bash
# Everything one short GPU lease (about 8 minutes of one H100/H200) is used for, in one go. The first
# lease (stages 3-4 of the bundled model, throughput of every variant, the first architecture table) is in
# benchmarks/results/gpu/; this is the second:
#   1. the bundled model's validation gene F1 measured on this machine (the bar for step 2);
#   2. stage 5: the bundled model grown with offset heads (they start at zero, so it starts from exactly
#      the bundled model) and fine-tuned on the corpus, epochs chosen by gene-level F1 on the validation
#      genomes;
#   3. at the same time, the architecture comparison from scratch with many small steps: each cuDNN variant
#      2,000 steps of 64 x 2,700 bases (346 M bases), validated twice, the baseline at two seeds so the
#      seed-to-seed spread says which differences are real. The hand-written peephole and CIFG cells train
#      25-50x slower (benchmarks/results/gpu/speed.jsonl) and cannot get the same steps in this lease.
#
#   OUT=/path DATA=gpu_data/prokaryotes bash benchmarks/gpu_session.sh
# DATA holds the split's train and val genome files (the test genomes are not even copied). At most 8
# files are written to OUT.
. "$(dirname "$0")/gpu_common.sh"  # OUT, DATA, SPLIT, DEVICE, CACHE, LOGS, say; corpus cached
MAIN_MIN=${MAIN_MIN:-6.3}
ARCH_MIN=${ARCH_MIN:-3.1}
ARCH_STEPS=${ARCH_STEPS:-2000}

python3 - "$SPLIT" "$DATA" "$DEVICE" >"$OUT/bundled_val.json" 2>"$LOGS/bundled_val.log" <<'EOF' &
import json, sys
import torch
from genelstm import checkpoint
from genelstm.corpus import read_split
from genelstm.device import pick_device
from genelstm.validation import gene_metrics, load_val_genome
torch.set_num_threads(2)
split, data, dev = sys.argv[1:]
device = pick_device(dev)
model, _, _ = checkpoint.load_model("genelstm/models/prokaryote.pt")
val = [load_val_genome(f"{data}/{e.file}", e.table, e.name) for e in read_split(split) if e.role == "val"]
print(json.dumps(gene_metrics(model.to(device), val, device=device)))
EOF
VAL=$!

python3 -m genelstm -v train --corpus "$SPLIT" --data-dir "$DATA" --cache-dir "$CACHE" \
  --init genelstm/models/prokaryote.pt --offset-heads --epochs 12 --steps-per-epoch 500 --batch-size 64 \
  --window 8100 --lr 4e-4 --seed 4 --device "$DEVICE" --threads 2 --max-minutes "$MAIN_MIN" --no-progress \
  -o "$OUT/stage5.pt" --metrics "$OUT/stage5.metrics.jsonl" >"$LOGS/stage5.log" 2>&1 &
MAIN=$!

common=(--split "$SPLIT" --data-dir "$DATA" --cache-dir "$CACHE" --device "$DEVICE" --threads 2
        --steps "$ARCH_STEPS" --batch-size 64 --lr 2e-3 --evals 2 --max-minutes "$ARCH_MIN" --work /tmp/arch
        --out "$OUT/arch.jsonl")
i=0
for stream in "baseline,hidden256 --seed 0" "attention16,gru --seed 0" "offset-heads,pool3 --seed 0" \
              "cnn64x3 --seed 0" "baseline --seed 1"; do
  i=$((i + 1))
  # shellcheck disable=SC2086
  python3 benchmarks/architecture.py train "${common[@]}" --variants $stream >"$LOGS/arch$i.log" 2>&1 &
done
wait $VAL
say "bundled model on validation: $(cat "$OUT/bundled_val.json" | head -c 300)"
wait $MAIN
say "stage 5 finished with exit code $?"
wait
say "architecture streams finished"
tar -czf "$OUT/logs.tgz" -C "$LOGS" . 2>/dev/null
say "done"
