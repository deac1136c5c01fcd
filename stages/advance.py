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


def execute(params: Params, root: Path, params_file: str) -> Params:
    """Advance the window by one month in root/params_file; return the new params."""
    from ruamel.yaml import YAML

    path = root / params_file
    batch = params.ingest.batch_month
    if batch != params.ingest.last_month + 1:
        raise ConfigError(f"{path}: ingest.batch_month ({batch}) is not the month after "
                          f"ingest.last_month ({params.ingest.last_month}); cannot advance")
    if batch >= 12:
        raise ConfigError(f"{path}: ingest.batch_month is {batch}: no later month to advance to")
    yaml = YAML()  # round-trip mode keeps the comments that document every knob
    with path.open(encoding="utf-8") as fh:
        doc = yaml.load(fh)
    doc["ingest"]["last_month"] = batch
    doc["ingest"]["batch_month"] = batch + 1
    with atomic_path(path) as tmp, tmp.open("w", encoding="utf-8") as fh:
        yaml.dump(doc, fh)
    return load_params(path)
