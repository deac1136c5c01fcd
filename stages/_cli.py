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
    return parser


def run_main(execute: Callable[..., Any], parser: argparse.ArgumentParser,
             argv: list[str] | None = None, **options: Any) -> int:
    """Parse argv, then run the stage's execute(params, root) in the working directory, as
    dvc.yaml runs it. Extra parsed flags named in `options` are passed on."""
    args = parser.parse_args(argv)
    try:
        params = load_params(args.params)
        extra = {name: getattr(args, attr) for name, attr in options.items()}
        execute(params, Path.cwd(), **extra)
    except TuneloopError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0
