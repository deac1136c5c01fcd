"""What every command shares: the --root/--params options and the one-line error exit."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import typer

Root = Annotated[Path, typer.Option("--root", help="project directory (holds params.yaml)")]
ParamsFile = Annotated[str, typer.Option("--params", help="params file, relative to --root")]


def fail(exc: Exception, code: int = 2) -> NoReturn:
    """One line on stderr, then exit: 2 when the command could not do what was asked (bad
    params, a locked store, a missing file); 1 is kept for a definite "no" (a batch rejected,
    a version the gate keeps out), as grep and diff do."""
    # Each line its own "error: " (ingest tells one per failed check): a script that keeps
    # the lines starting so must not lose all but the first.
    typer.echo("\n".join(f"error: {line}" for line in str(exc).splitlines() or [""]),
               err=True)
    raise typer.Exit(code)
