"""What every command shares: the --root/--params options and the one-line error exit."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import typer

Root = Annotated[Path, typer.Option("--root", help="project directory (holds params.yaml)")]
ParamsFile = Annotated[str, typer.Option("--params", help="params file, relative to --root")]


def fail(exc: Exception, code: int = 1) -> NoReturn:
    typer.echo(f"error: {exc}", err=True)
    raise typer.Exit(code)
