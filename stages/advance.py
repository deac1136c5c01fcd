"""advance: after drift, move the training window forward to take in the batch that drifted.

`ingest.last_month` becomes the batch month and `ingest.batch_month` the month after it, written
back into params.yaml (comments kept), the way `dvc exp run -S` sets a parameter: `dvc repro`
and the next flow run then see the same window.
"""

from __future__ import annotations

from pathlib import Path

from tuneloop.config import Params, load_params
from tuneloop.errors import ConfigError
from tuneloop.io import atomic_path


def execute(params: Params, root: Path, params_file: str, to_month: int) -> Params:
    """Extend the window in root/params_file to end with `to_month`; return the new params.

    Idempotent: a window that already reaches to_month is left alone, so a drift event
    delivered twice (or a re-tune retried after a failure) never skips a month.
    """
    from ruamel.yaml import YAML

    path = root / params_file
    if to_month <= params.ingest.last_month:
        return params
    if to_month >= 12:
        raise ConfigError(f"{path}: cannot advance to month {to_month}: the drift check needs a "
                          "later month as its batch (ingest.batch_month)")
    yaml = YAML()  # round-trip mode keeps the comments that document every knob
    with path.open(encoding="utf-8") as fh:
        doc = yaml.load(fh)
    doc["ingest"]["last_month"] = to_month
    doc["ingest"]["batch_month"] = to_month + 1
    with atomic_path(path) as tmp, tmp.open("w", encoding="utf-8") as fh:
        yaml.dump(doc, fh)
    return load_params(path)
