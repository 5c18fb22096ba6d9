#!/usr/bin/env bash
# Everything one short GPU lease (about 9 minutes of one H100/H200) is used for, in one go:
#   1. encode the corpus (train + val genomes only; the test genomes are not even copied);
#   2. training throughput of every architecture variant alone, and of the default at several batch sizes;
#   3. at the same time: stage 3 of the bundled model (continues genelstm/models/prokaryote.pt with long
#      windows and big batches, epochs chosen by gene-level F1 on the validation genomes) and the
#      architecture comparison (benchmarks/architecture.py train, three streams sharing the GPU);
#   4. prediction speed on the GPU (Paracoccus, 87 contigs), with the stage breakdown.
#
#   OUT=/path DATA=gpu_data/prokaryotes bash benchmarks/gpu_session.sh
# DATA holds the split's train and val genome files. At most 8 files are written to OUT.
set -u -o pipefail
OUT=${OUT:?set OUT}
DATA=${DATA:-gpu_data/prokaryotes}
SPLIT=${SPLIT:-benchmarks/splits/prokaryotes.tsv}
MAIN_MIN=${MAIN_MIN:-6.3}
ARCH_MIN=${ARCH_MIN:-1.4}
ARCH_STEPS=${ARCH_STEPS:-400}
DEVICE=${DEVICE:-cuda}
SPEED_BS=${SPEED_BS:-256}
BASE_BS=${BASE_BS:-32 128 512}
MAIN_BS=${MAIN_BS:-64}
ARCH_BS=${ARCH_BS:-256}
export GENELSTM_CACHE=${GENELSTM_CACHE:-/tmp/glcache} PYTHONUNBUFFERED=1
CACHE=$GENELSTM_CACHE/corpus
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

python3 - "$SPLIT" "$DATA" "$CACHE" <<'EOF' 2>>"$OUT/log.txt" || exit 1
import sys
from genelstm.corpus import cache_all, read_split
cache_all([e for e in read_split(sys.argv[1]) if e.role != "test"], sys.argv[2], sys.argv[3])
EOF
say "corpus cached"

common=(--split "$SPLIT" --data-dir "$DATA" --cache-dir "$CACHE" --device "$DEVICE" --threads 2)
python3 benchmarks/architecture.py speed "${common[@]}" --variants all --batch-sizes "$SPEED_BS" --steps 5 \
  --out "$OUT/speed.jsonl" 2>>"$OUT/log.txt"
python3 benchmarks/architecture.py speed "${common[@]}" --variants baseline --batch-sizes $BASE_BS --steps 5 \
  --out "$OUT/speed.jsonl" 2>>"$OUT/log.txt"
say "speed measured"

# steps per epoch: about 45 s of training alone per epoch at the measured rate
RATE=$(python3 -c "
import json
r = [json.loads(l) for l in open('$OUT/speed.jsonl')]
print(max(x['bases_per_s'] for x in r if x['variant'] == 'baseline' and x['batch_size'] == $SPEED_BS))")
SPE=$(python3 -c "print(max(2, int($RATE * 45 / ($MAIN_BS * 8100))))")
say "baseline ${RATE} bases/s at $SPEED_BS x 2700; stage 3 with ${SPE} steps per epoch"

python3 -m genelstm -v train --corpus "$SPLIT" --data-dir "$DATA" --cache-dir "$CACHE" \
  --init genelstm/models/prokaryote.pt --epochs 8 --steps-per-epoch "$SPE" --batch-size "$MAIN_BS" --window 8100 \
  --lr 1e-3 --seed 2 --device "$DEVICE" --threads 2 --max-minutes "$MAIN_MIN" --no-progress \
  -o "$OUT/stage3.pt" --metrics "$OUT/stage3.metrics.jsonl" >"$OUT/stage3.log" 2>&1 &
MAIN=$!
for stream in peephole,baseline,offset-heads cifg,gru,hidden256 pool3,cnn64x3,attention16; do
  python3 benchmarks/architecture.py train "${common[@]}" --variants "$stream" --steps "$ARCH_STEPS" \
    --batch-size "$ARCH_BS" --lr 3e-3 --max-minutes "$ARCH_MIN" --work /tmp/arch --out "$OUT/arch.jsonl" \
    >>"$OUT/arch.log" 2>&1 &
done
wait $MAIN
say "stage 3 finished with exit code $?"
wait
say "architecture streams finished"

for adapt in --no-adapt --adapt; do
  [ "$adapt" = --adapt ] && adapt=""
  s=$(date +%s.%N)
  python3 -m genelstm -v predict "$DATA/Paracoccus_sp_SCN_68-21.gb.gz" -o /tmp/p.gff3 --device "$DEVICE" \
    --threads 2 $adapt >>"$OUT/predict_gpu.log" 2>&1
  echo "predict ${adapt:-(self-training)}: exit $?, $(python3 -c "import time; print(round(time.time() - $s, 1))") s wall" \
    >>"$OUT/predict_gpu.log"
done
say "done"
