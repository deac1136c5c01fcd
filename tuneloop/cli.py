"""The `tuneloop` command line. Heavy libraries load inside commands, so --help is instant."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

from tuneloop.config import PARAMS_FILE, load_params
from tuneloop.errors import TuneloopError

app = typer.Typer(help="Continuous hyperparameter tuning: validate, version, tune, evaluate on a "
                       "holdout, promote, and re-tune when the data drifts.",
                  no_args_is_help=True, add_completion=False)

Root = Annotated[Path, typer.Option("--root", help="project directory (holds params.yaml)")]
ParamsFile = Annotated[str, typer.Option("--params", help="params file, relative to --root")]


def _fail(exc: Exception) -> None:
    typer.echo(f"error: {exc}", err=True)
    raise typer.Exit(1)


class _OneLineKnownErrors(logging.Filter):
    """Prefect logs a failing task or flow with its traceback. For tuneloop's own errors (bad
    params, a rejected batch) the message is the whole story: keep it, drop the traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, TuneloopError):
            record.exc_info = None
            record.exc_text = None
        return True


def _quiet_known_errors() -> None:
    for name in ("prefect.task_runs", "prefect.flow_runs", "prefect.task_engine",
                 "prefect.flow_engine"):
        logging.getLogger(name).addFilter(_OneLineKnownErrors())


@app.command()
def run(root: Root = Path("."), params: ParamsFile = PARAMS_FILE,
        resume: Annotated[bool, typer.Option(help="resume the tuning study from its journal")]
        = False,
        advance: Annotated[bool, typer.Option(
            help="first take the next month's batch into the training window (ingest.last_month "
                 "+1 in params.yaml), as the drift-triggered re-tune does")] = False) -> None:
    """Run the whole loop once as a Prefect flow (ephemeral API unless PREFECT_API_URL is set)."""
    try:
        cfg = load_params(root / params)  # a bad params file fails here, before Prefect starts
    except TuneloopError as exc:
        _fail(exc)
    from flows.loop import tuneloop_flow

    _quiet_known_errors()
    try:
        summary = tuneloop_flow(root=str(root), params_file=params, resume=resume,
                                advance_to=cfg.ingest.batch_month if advance else None)
    except TuneloopError as exc:
        _fail(exc)
    decision = summary["promotion"]
    verb = "promoted to champion" if decision["promoted"] else "registered as challenger"
    typer.echo(f"{decision['model_name']} v{decision['version']} {verb}: {decision['reason']}")
    typer.echo(f"holdout: {json.dumps(summary['holdout'], sort_keys=True)}")
    typer.echo(f"drift in the next batch: {'yes, re-tune' if summary['drift'] else 'no'}")


@app.command()
def status(root: Root = Path("."), params: ParamsFile = PARAMS_FILE,
           as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")]
           = False) -> None:
    """The champion in the registry: version, holdout metrics, dataset version, tuned params."""
    from tuneloop.registry_view import champion_status

    try:
        cfg = load_params(root / params)
        info = champion_status(cfg, root.resolve())
    except TuneloopError as exc:
        _fail(exc)
    if as_json:
        typer.echo(json.dumps(info, sort_keys=True))
        return
    champ = info["champion"]
    if champ is None:
        typer.echo("no champion yet: run `tuneloop run`")
        return
    metrics = {k: round(v, 5) for k, v in info["metrics"].items() if v is not None}
    typer.echo(f"champion:   {champ['name']} v{champ['version']}")
    typer.echo(f"holdout:    {json.dumps(metrics, sort_keys=True)}")
    typer.echo(f"dataset:    {info['dataset_version']}")
    typer.echo(f"params:     {json.dumps(info['params'], sort_keys=True)}")
    if info.get("challenger"):
        typer.echo(f"challenger: v{info['challenger']['version']}")
    if info.get("last_decision"):
        last = info["last_decision"]
        typer.echo(f"last:       {last.get('action')} v{last.get('version')} "
                   f"at {last.get('time')}: {last.get('reason')}")


def _register_command_groups() -> None:
    import importlib
    import pkgutil

    import tuneloop.commands

    for module in pkgutil.iter_modules(tuneloop.commands.__path__):
        importlib.import_module(f"tuneloop.commands.{module.name}").register(app)


_register_command_groups()


def main() -> None:  # pragma: no cover - console entry point
    sys.exit(app())
