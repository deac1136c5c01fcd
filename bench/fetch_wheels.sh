#!/usr/bin/env bash
# Fill .whl/ with the Python 3.12 x86-64 wheels that the offline GPU machine lacks (it has torch,
# numpy, pandas, scipy, scikit-learn; not LightGBM, skopt, Optuna, pydantic), at the versions in
# requirements.lock. Run once from the repository root on a machine with network; then pass
# `.whl` as a carried path to the device call (bench/device_run.sh installs them there).
set -euo pipefail

PACKAGES=(lightgbm scikit-optimize pyaml pydantic pydantic_core annotated-types
          typing-inspection typing_extensions optuna SQLAlchemy alembic Mako MarkupSafe colorlog
          greenlet narwhals packaging)
grep -qx '/.whl/' .git/info/exclude 2>/dev/null || echo '/.whl/' >> .git/info/exclude
mkdir -p .whl
for name in "${PACKAGES[@]}"; do
  pin="$(grep -i "^${name//[-_]/[-_]}==" requirements.lock)" \
    || { echo "no pin for $name in requirements.lock" >&2; exit 1; }
  python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
    --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 \
    --platform manylinux_2_24_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux2014_x86_64 -d .whl "$pin"
done
ls -la .whl
