"""The command a tuneloop work pool starts for every flow run:
`python -m deployments.launch --root DIR --params FILE`.

The pool's base job template (`deployments/workpool.py`) holds this command with the project
written into it; no run's job variables can change it. It pins the project in this process's
environment, as `serve()` does in the serving process, then hands over to Prefect's engine
(`python -m prefect.engine`), which reads the run's id from PREFECT__FLOW_RUN_ID and runs the
deployment's flow.
"""

from __future__ import annotations

import argparse
import os
import runpy
import sys
from pathlib import Path

from deployments.pinned import pin
from tuneloop.config import PARAMS_FILE


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, required=True, help="the pinned project directory")
    parser.add_argument("--params", default=PARAMS_FILE, help="params file under --root")
    args = parser.parse_args(argv)
    os.environ.update(pin(args.root, args.params))
    sys.argv = [sys.argv[0]]  # the engine takes a flow run id from argv[1] when one is there
    runpy.run_module("prefect.engine", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
