"""What every stage's `main()` shares: params loading and one-line errors instead of tracebacks."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tuneloop.config import PARAMS_FILE, load_params
from tuneloop.errors import TuneloopError


def stage_parser(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--params", type=Path, default=Path(PARAMS_FILE),
                        help="params file (default: %(default)s)")
    parser.add_argument("--root", type=Path, default=Path("."),
                        help="project directory the params' paths are relative to "
                             "(default: the working directory)")
    return parser


def run_main(execute: Callable[..., Any], parser: argparse.ArgumentParser,
             argv: list[str] | None = None, registry: bool = False, **options: Any) -> int:
    """Parse argv, then run the stage's execute(params, root): root is --root (default: the
    working directory, where dvc.yaml runs it). Flags named in `options` are passed on."""
    from tuneloop import preflight
    from tuneloop.project_lock import project_lock
    from tuneloop.recovery import recover
    from tuneloop.runtime import enable_crash_traces

    enable_crash_traces()
    args = parser.parse_args(argv)
    try:
        params = load_params(args.params)
        extra = {name: getattr(args, attr) for name, attr in options.items()}
        root = args.root.resolve()
        # `dvc repro` runs each stage as this command: it honours the project's loop lock.
        with project_lock(root, f"{parser.prog} (stage command)", params.loop.lock_wait_s):
            # The stages that use the registry (registry=True) check its store first (one
            # line naming it when it is not writable); then what a killed run left is put
            # right (the registry's side by those stages only).
            preflight.check(params, root, store=registry, remote=False)
            recover(params, root, registry=registry)
            execute(params, root, **extra)
    except TuneloopError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0
