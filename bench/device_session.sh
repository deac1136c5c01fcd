#!/usr/bin/env bash
# Everything the benchmark issue asks of a quiet many-core machine, in one call (the borrowed
# 16-core GPU machine: see bench/README.md). Three jobs run side by side on disjoint cores:
#
#   cores 0-11   the search-quality benchmark: all five tuners, SEEDS fresh seeds from OFFSET,
#                BUDGET rounds per run, one process tree (tuning_bench --jobs 12), 1 thread/trial
#   cores 12-13  the CUDA check of the torch family (bench/gpu_check.py + tests/test_torch_gpu.py)
#   cores 14-15  throughput: tuneloop with 1 worker, then 2 workers, on exactly these 2 cores
#
# Run from the repository root: OUT=/some/dir bash bench/device_session.sh
# Everything lands in $OUT/device_results.tgz (the device tool returns at most 8 files).
set -uo pipefail

FINAL="${OUT:-/tmp/device_out}"
RAW="$FINAL/raw"
mkdir -p "$RAW/gpu" "$RAW/bench" "$RAW/tp"
SEEDS="${SEEDS:-10}" OFFSET="${OFFSET:-5}" BUDGET="${BUDGET:-10000}" MAXR="${MAXR:-2000}"
TUNERS="${TUNERS:-tuneloop,tpe,tpe-hyperband,random,gp}"

pin() {  # pin CORES CMD...: run CMD on those cores (unpinned where that is impossible)
  local cores="$1"; shift
  if command -v taskset >/dev/null && taskset -c "$cores" true 2>/dev/null; then
    taskset -c "$cores" "$@"
  else
    echo "(not pinned to cores $cores)" >&2; "$@"
  fi
}

# Each job installs the wheels into its own site folder: concurrent pip runs must not share one.
(OUT="$RAW/gpu" SITE=/tmp/site_gpu pin 12,13 timeout 300 bash bench/device_run.sh gpu \
  > "$RAW/gpu/run.log" 2>&1; echo "gpu exit $?" >> "$RAW/status") &

(OUT="$RAW/bench" SITE=/tmp/site_bench pin 0-11 timeout 480 bash bench/device_run.sh bench \
  --tuner-module bench.tuneloop_tuner --tuners "$TUNERS" --seeds "$SEEDS" \
  --seed-offset "$OFFSET" --budget-rounds "$BUDGET" --max-rounds "$MAXR" --threads 1 \
  --jobs 12 -q --out "$RAW/bench/quality.json" > "$RAW/bench/run.log" 2>&1
 echo "bench exit $?" >> "$RAW/status") &

(for w in 1 2; do
   OUT="$RAW/tp" SITE=/tmp/site_tp pin 14,15 timeout 240 bash bench/device_run.sh bench \
     --tuner-module bench.tuneloop_tuner --tuners tuneloop --seeds 2 --budget-rounds 5000 \
     --max-rounds 1000 --threads 1 --n-workers "$w" -q --out "$RAW/tp/workers$w.json" \
     > "$RAW/tp/run$w.log" 2>&1
   echo "throughput $w worker(s) exit $?" >> "$RAW/status"
 done) &

wait
cat "$RAW/status"
echo "== gpu check"; tail -n 40 "$RAW/gpu/run.log"
echo "== benchmark"; sed -n '/test AUC of the best/,$p' "$RAW/bench/run.log" | head -n 60
tar czf "$FINAL/device_results.tgz" -C "$RAW" . && rm -rf "$RAW"
ls -la "$FINAL"
