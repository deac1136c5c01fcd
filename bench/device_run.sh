#!/usr/bin/env bash
# One call on a borrowed GPU machine (no network): install the wheels carried in .whl/, print
# versions, then run the CUDA check and/or the tuning benchmark. Run from the repository root:
#
#   bash bench/device_run.sh gpu [gpu_check args...]     # bench.gpu_check -> $OUT/gpu_check.json,
#                                                        #   then pytest tests/test_torch_gpu.py
#   bash bench/device_run.sh bench [tuning_bench args...]  # bench.tuning_bench (--out defaults
#                                                          #   to $OUT/tuning.json)
#   bash bench/device_run.sh all [tuning_bench args...]    # both, in that order
#
# Logs are tee'd into $OUT (default /tmp/device_out). The wheels are what the machine lacks:
# lightgbm, scikit-optimize, optuna, pydantic and their dependencies; bench/fetch_wheels.sh
# downloads them into .whl/ (carry it with the call).
set -euo pipefail

OUT="${OUT:-/tmp/device_out}"
SITE="${SITE:-/tmp/site}"
mkdir -p "$OUT"
mode="${1:-gpu}"
[[ $# -gt 0 ]] && shift

export PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 MPLBACKEND=Agg
# Telemetry off (tuneloop sets these on import too; the benchmark may import others first).
export DO_NOT_TRACK=1 MLFLOW_DISABLE_TELEMETRY=true PREFECT_SERVER_ANALYTICS_ENABLED=false \
  DVC_NO_ANALYTICS=1 GX_ANALYTICS_ENABLED=false HF_HUB_DISABLE_TELEMETRY=1
# OpenMP threads wait passively (LightGBM trials share the cores); thread counts are set per
# trial by the code (torch.set_num_threads, LightGBM num_threads), so none are capped here.
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"

{
  echo "== install $(ls .whl/*.whl | wc -l) wheels into $SITE"
  if python3 -m pip --version >/dev/null 2>&1; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
      --disable-pip-version-check --target "$SITE" .whl/*.whl
  else  # no pip: a wheel is a zip laid out for site-packages
    mkdir -p "$SITE"
    for w in .whl/*.whl; do python3 -m zipfile -e "$w" "$SITE"; done
  fi
} 2>&1 | tee "$OUT/install.log"
export PYTHONPATH="$SITE:$PWD${PYTHONPATH:+:$PYTHONPATH}"

# lightgbm's library needs libgomp.so.1 from the system; without one, point the loader at the
# copy that torch or scikit-learn vendor.
if ! python3 -c 'import ctypes; ctypes.CDLL("libgomp.so.1")' 2>/dev/null; then
  gomp="$(python3 - <<'EOF'
import glob, importlib.util, os
for mod in ("torch", "sklearn"):
    spec = importlib.util.find_spec(mod)
    if spec is None or not spec.origin:
        continue
    site = os.path.dirname(os.path.dirname(spec.origin))
    for pat in ("torch/lib/libgomp*.so*", "torch.libs/libgomp*.so*",
                "scikit_learn.libs/libgomp*.so*"):
        hits = sorted(glob.glob(os.path.join(site, pat)))
        if hits:
            print(hits[0])
            raise SystemExit(0)
EOF
)"
  if [[ -n "$gomp" ]]; then
    mkdir -p "$SITE/_gomp" && ln -sf "$gomp" "$SITE/_gomp/libgomp.so.1"
    export LD_LIBRARY_PATH="$SITE/_gomp${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    echo "== no system libgomp.so.1: using $gomp" | tee -a "$OUT/install.log"
  else
    echo "== WARNING: no libgomp.so.1 found; lightgbm will not import" | tee -a "$OUT/install.log"
  fi
fi

python3 - <<'EOF' 2>&1 | tee "$OUT/versions.log"
import importlib, os, platform, sys
print(f"python {platform.python_version()} at {sys.executable}; {os.cpu_count()} cpus")
for name in ("torch", "numpy", "pandas", "pyarrow", "scipy", "sklearn", "lightgbm", "skopt",
             "optuna", "pydantic", "sqlalchemy", "narwhals", "threadpoolctl"):
    try:
        mod = importlib.import_module(name)
        print(f"{name:<14} {getattr(mod, '__version__', '?'):<16} {mod.__file__}")
    except Exception as exc:  # report every missing piece, not just the first
        print(f"{name:<14} IMPORT FAILED: {type(exc).__name__}: {exc}")
try:
    import torch
    print(f"torch.version.cuda {torch.version.cuda}; cuda available {torch.cuda.is_available()}")
    if torch.cuda.is_available():
        print(f"device 0: {torch.cuda.get_device_name(0)}, capability "
              f"{torch.cuda.get_device_capability(0)}, "
              f"{torch.cuda.get_device_properties(0).total_memory / 2**30:.0f} GiB")
except Exception as exc:
    print(f"torch/cuda query failed: {type(exc).__name__}: {exc}")
EOF
command -v nvidia-smi >/dev/null && nvidia-smi -L 2>&1 | tee -a "$OUT/versions.log" || true

run_gpu() {  # the check, then the pytest of the same properties; the first failure's status
  local rc=0
  echo "== bench.gpu_check $*"
  python3 -m bench.gpu_check --out "$OUT/gpu_check.json" "$@" 2>&1 \
    | tee "$OUT/gpu_check.log" || rc=$?
  echo "== pytest tests/test_torch_gpu.py"
  python3 -m pytest -q -rs tests/test_torch_gpu.py 2>&1 | tee "$OUT/pytest_gpu.log" \
    || rc=$((rc ? rc : $?))
  return "$rc"
}

run_bench() {
  local args=("$@")
  [[ " ${args[*]-} " == *" --out "* || " ${args[*]-} " == *" --out="* ]] \
    || args+=(--out "$OUT/tuning.json")
  echo "== bench.tuning_bench ${args[*]}"
  python3 -m bench.tuning_bench "${args[@]}" 2>&1 | tee "$OUT/bench.log"
}

case "$mode" in
  gpu) run_gpu "$@" ;;
  bench) run_bench "$@" ;;
  all)
    rc=0
    run_gpu || rc=$?
    run_bench "$@" || rc=$((rc ? rc : $?))
    exit "$rc"
    ;;
  *) echo "usage: bash bench/device_run.sh gpu|bench|all [args...]" >&2; exit 2 ;;
esac
