#!/usr/bin/env bash
# The third GPU lease (about 9 minutes of one H100/H200): does the per-gene start-choice loss
# (objectives.start_choice) teach the bundled model's start head what the decoder asks of it?
# Five fine-tunes of genelstm/models/prokaryote.pt share the GPU, same data, seed and budget, differing
# only in --start-choice-weight (0 is the control: the same extra training without the new loss) and, for
# one, the learning rate. Each keeps its epoch with the best gene-level F1 on the validation genomes; the
# choice between them, with the decoder retuned, is made afterwards on the same validation genomes (CPU).
#
#   OUT=/path DATA=gpu_data/prokaryotes bash benchmarks/gpu_start_choice.sh
set -u -o pipefail
OUT=${OUT:?set OUT}
DATA=${DATA:-gpu_data/prokaryotes}
SPLIT=${SPLIT:-benchmarks/splits/prokaryotes.tsv}
MINUTES=${MINUTES:-6.5}
STEPS=${STEPS:-400}
DEVICE=${DEVICE:-cuda}
export GENELSTM_CACHE=${GENELSTM_CACHE:-/tmp/glcache} PYTHONUNBUFFERED=1
CACHE=$GENELSTM_CACHE/corpus
LOGS=/tmp/gpu_logs
mkdir -p "$LOGS"
T0=$(date +%s)
say() { echo "[$(( $(date +%s) - T0 )) s] $*" | tee -a "$OUT/log.txt" >&2; }

if [ -z "${NO_WHEELS:-}" ] && ls .whl/*.whl >/dev/null 2>&1; then  # biopython and pyfaidx, which the GPU image lacks
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
  export PYTHONPATH=/tmp/site
fi
export PYTHONPATH=${PYTHONPATH:+$PYTHONPATH:}$PWD
{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader; nproc;
  python3 -c "import torch; print('torch', torch.__version__)"; } >>"$OUT/log.txt" 2>&1
say "start"

python3 - "$SPLIT" "$DATA" "$CACHE" <<'PY' 2>>"$OUT/log.txt" || exit 1
import sys
from genelstm.corpus import cache_all, read_split
cache_all([e for e in read_split(sys.argv[1]) if e.role != "test"], sys.argv[2], sys.argv[3])
PY
say "corpus cached"

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
