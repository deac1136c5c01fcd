"""Data commands: `tuneloop validate PATH`, `tuneloop suite init`, `tuneloop data list`,
`tuneloop lineage MODEL`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from tuneloop.config import PARAMS_FILE
from tuneloop.errors import TuneloopError

Root = Annotated[Path, typer.Option("--root", help="project directory (holds params.yaml)")]
ParamsFile = Annotated[str, typer.Option("--params", help="params file, relative to --root")]


def _fail(exc: Exception) -> None:
    typer.echo(f"error: {exc}", err=True)
    raise typer.Exit(1)


def validate(path: Annotated[Path, typer.Argument(help="batch file (.parquet or .csv)")],
             root: Root = Path("."), params: ParamsFile = PARAMS_FILE,
             period: Annotated[str | None, typer.Option(
                 "--period", help="the batch's declared period START..END (ISO dates, UTC); "
                                  "default: the ingest months in params.yaml")] = None,
             suite: Annotated[Path | None, typer.Option(
                 "--suite", help="suite file (default: validate.suite in params.yaml)")]
             = None) -> None:
    """Validate a batch: exit 0 if it passes, 1 if not (one line per failed expectation)."""
    from stages.validate import validate_path
    from tuneloop.config import load_params
    from tuneloop.suite import Period, load_suite

    try:
        cfg = load_params(root / params)
        span = Period.parse(period) if period else Period.of_ingest(cfg.ingest)
        spec = load_suite(suite if suite else root / cfg.validate_.suite)
        report = validate_path(path, spec, cfg.validate_, span, root / cfg.paths.validation_dir)
    except TuneloopError as exc:
        _fail(exc)
    if report.error:
        typer.echo(f"error: {report.error}", err=True)
    for line in report.lines() if not report.error else []:
        typer.echo(line)
    if not report.error:
        verdict = "passed" if report.success else f"failed {len(report.failures)} check(s)"
        typer.echo(f"{path}: {verdict}: {report.rows} rows, {report.evaluated} checks, "
                   f"period {report.period['start']}..{report.period['end']}, "
                   f"{report.seconds:.2f} s")
        typer.echo(f"data docs: {report.data_docs}")
    typer.echo(f"result: {report.report}")
    if not report.success:
        raise typer.Exit(1)


def suite_init(source: Annotated[Path, typer.Option(
                   "--from", help="reference batch (.parquet or .csv)")],
               out: Annotated[Path, typer.Option("--out", help="suite file to write")]
               = Path("data/suites/flights.yaml"),
               name: Annotated[str, typer.Option(help="suite name")] = "flights",
               margin: Annotated[float, typer.Option(
                   help="widen observed numeric ranges by this share of their span")] = 0.1,
               force: Annotated[bool, typer.Option("--force", help="overwrite OUT")]
               = False) -> None:
    """Bootstrap a suite file from a reference batch; edit it by hand afterwards."""
    from tuneloop.batches import read_batch
    from tuneloop.features import TIME
    from tuneloop.io import atomic_path
    from tuneloop.suite import dump_suite, init_suite

    try:
        if out.exists() and not force:
            raise TuneloopError(f"{out}: already exists; pass --force to overwrite it")
        text = dump_suite(init_suite(read_batch(source, (TIME,)), name, margin=margin))
        with atomic_path(out) as tmp:
            tmp.write_text(text, encoding="utf-8")
    except TuneloopError as exc:
        _fail(exc)
    typer.echo(f"wrote {out} from {source}: review it, then point validate.suite at it")


def data_list(root: Root = Path("."), params: ParamsFile = PARAMS_FILE,
              as_json: Annotated[bool, typer.Option("--json", help="one JSON object per line")]
              = False) -> None:
    """The accepted dataset versions: DVC hash, rows, period, when accepted."""
    from stages.version import read_versions
    from tuneloop.config import load_params

    try:
        cfg = load_params(root / params)
        versions = read_versions(root / cfg.paths.data_versions)
    except TuneloopError as exc:
        _fail(exc)
    if not versions:
        typer.echo("no accepted dataset versions yet: run `tuneloop run`")
        return
    for v in versions:
        if as_json:
            typer.echo(json.dumps(v, sort_keys=True))
            continue
        typer.echo(f"{v['md5']}  {v['rows']:>8} rows  {v['first']} .. {v['last']}  "
                   f"accepted {v['accepted_at']}")


def lineage(model: Annotated[str, typer.Argument(
                help="NAME@ALIAS or NAME/VERSION, e.g. tuneloop-flights@champion")],
            root: Root = Path("."), params: ParamsFile = PARAMS_FILE,
            restore: Annotated[Path | None, typer.Option(
                "--restore", help="write the model's exact training data to this file")] = None,
            as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")]
            = False) -> None:
    """Print a model version's lineage tags; --restore brings its training data back (DVC)."""
    from tuneloop.config import load_params
    from tuneloop.lineage import DATASET_MD5, model_lineage, restore_dataset
    from tuneloop.tracking import setup

    try:
        cfg = load_params(root / params)
        project = root.resolve()
        setup(cfg.mlflow, project)
        info = model_lineage(model)
        if restore is not None:
            restore_dataset(project, info["tags"][DATASET_MD5], restore.resolve())
    except TuneloopError as exc:
        _fail(exc)
    if as_json:
        typer.echo(json.dumps(info, sort_keys=True))
    else:
        typer.echo(f"{info['name']} v{info['version']} (run {info['run_id']})")
        for key, value in info["tags"].items():
            typer.echo(f"  {key}: {value}")
    if restore is not None:
        typer.echo(f"restored {info['tags'][DATASET_MD5]} to {restore}")


def register(app: typer.Typer) -> None:
    app.command("validate")(validate)
    app.command("lineage")(lineage)
    suite_app = typer.Typer(help="Validation suites.", no_args_is_help=True)
    suite_app.command("init")(suite_init)
    app.add_typer(suite_app, name="suite")
    data_app = typer.Typer(help="Accepted dataset versions.", no_args_is_help=True)
    data_app.command("list")(data_list)
    app.add_typer(data_app, name="data")
