# Sourced by the GPU lease scripts (gpu_session.sh, gpu_finetune.sh): their shared start. Sets OUT,
# DATA, SPLIT, DEVICE, CACHE and LOGS, defines `say` (timestamped lines to stderr and $OUT/log.txt),
# installs the carried wheels the GPU image lacks, logs the machine, and caches the split's training and
# validation genomes (the test genomes are not even copied).
set -u -o pipefail
OUT=${OUT:?set OUT}
DATA=${DATA:-gpu_data/prokaryotes}
SPLIT=${SPLIT:-benchmarks/splits/prokaryotes.tsv}
DEVICE=${DEVICE:-cuda}
export GENELSTM_CACHE=${GENELSTM_CACHE:-/tmp/glcache} PYTHONUNBUFFERED=1
CACHE=$GENELSTM_CACHE/corpus
LOGS=/tmp/gpu_logs
rm -rf "$LOGS" && mkdir -p "$LOGS"  # a fresh folder: the summaries read every log in it
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
