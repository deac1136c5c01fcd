"""`tuneloop promote VERSION` and `tuneloop rollback`: move the champion alias by hand.

Both take the registry lock and append to the audit log, like the loop's own promotions.
Manual promotion is still gated (same holdout, margin, CI, constraints) unless --force is given
with a --reason, which is recorded.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import typer

from tuneloop.config import PARAMS_FILE
from tuneloop.errors import TuneloopError
from tuneloop_cli.common import ParamsFile, Root, fail

Reason = Annotated[str | None, typer.Option("--reason", help="why; recorded in the audit log")]


def promote(version: Annotated[str, typer.Argument(
        metavar="VERSION", help="registered model version")],
            root: Root = Path("."), params: ParamsFile = PARAMS_FILE,
            force: Annotated[bool, typer.Option("--force", help="skip the gate (needs --reason)")]
            = False, reason: Reason = None) -> None:
    """Make VERSION the champion if it passes the gate on the current holdout: exit 0 when it
    does, 1 when the gate keeps it out (the reason is printed), 2 on an error."""
    from tuneloop.config import load_params
    from tuneloop.promotion import promote_version
    from tuneloop.records import read_splits
    from tuneloop.tracking import setup

    try:
        version = version.strip()
        if not re.fullmatch(r"[0-9]+", version):
            raise TuneloopError(f"VERSION: {version!r} is not a model version number")
        if force and not (reason and reason.strip()):
            raise TuneloopError("--force needs --reason: say why the gate is overridden")
        cfg = load_params(root / params)
        project = root.resolve()
        setup(cfg.mlflow, project)
        holdout = read_splits(project / cfg.paths.splits_dir, ("holdout",))["holdout"]
        decision = promote_version(cfg, project, version, holdout, force=force, reason=reason)
    except TuneloopError as exc:
        fail(exc)
    verb = "is now the champion" if decision.promoted else "not promoted (its aliases unchanged)"
    typer.echo(f"{decision.model_name} v{decision.version} {verb}: {decision.reason}")
    if not decision.promoted:
        raise typer.Exit(1)  # the gate's "no": scripts tell it from success and from errors (2)


def rollback(root: Root = Path("."), params: ParamsFile = PARAMS_FILE,
             reason: Reason = None) -> None:
    """Point the champion alias back at the previous champion."""
    from tuneloop.config import load_params
    from tuneloop.promotion import rollback as do_rollback
    from tuneloop.tracking import setup

    try:
        cfg = load_params(root / params)
        project = root.resolve()
        setup(cfg.mlflow, project)
        entry = do_rollback(cfg, project, reason)
    except TuneloopError as exc:
        fail(exc)
    typer.echo(f"{entry['model_name']}: champion v{entry['champion_before']} -> "
               f"v{entry['champion_after']} ({entry['reason']})")
    try:
        import mlflow

        from tuneloop.registry_view import champion_learnt_withdrawn, learnt_advice

        now = str(entry["champion_after"])
        learnt = champion_learnt_withdrawn(cfg, project, mlflow.MlflowClient(), now)
        if learnt is not None:  # sweep 31: rolled back onto another version that learnt it
            typer.echo(f"warning: {learnt_advice(now, learnt, cfg.policy.name)}", err=True)
    except Exception as exc:  # noqa: BLE001 - the rollback is done; only the warning is lost
        typer.echo(f"note: could not tell whether v{entry['champion_after']} learnt a "
                   f"withdrawn batch ({type(exc).__name__}: "
                   f"{str(exc).splitlines()[0] if str(exc) else ''})", err=True)


def register(app: typer.Typer) -> None:
    app.command(name="promote",
                short_help="Make VERSION the champion if it passes the gate.")(promote)
    app.command(name="rollback")(rollback)
