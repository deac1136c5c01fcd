"""Data commands: `tuneloop validate PATH`, `tuneloop suite init`, `tuneloop data list`,
`tuneloop data withdraw BATCH`, `tuneloop data dismiss FILE`, `tuneloop lineage MODEL`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from tuneloop.config import PARAMS_FILE
from tuneloop.errors import TuneloopError
from tuneloop_cli.common import ParamsFile, Root, fail


def validate(path: Annotated[Path, typer.Argument(
        metavar="FILE", help="batch file (.parquet or .pq, .csv or .tsv, gzipped too)")],
             root: Root = Path("."), params: ParamsFile = PARAMS_FILE,
             suite: Annotated[Path | None, typer.Option(
                 "--suite", help="suite file (default: validate.suite in params.yaml)")]
             = None) -> None:
    """Validate a batch without ingesting it: exit 0 if it passes, 1 if not (one line per
    failed expectation), 2 if it could not be checked (bad params or suite). The project's
    prepare hook runs first, as at ingest."""
    from stages.ingest import accepted_as, check_files, decide, median_history
    from tuneloop.batches import load_hook
    from tuneloop.config import load_params
    from tuneloop.suite import load_suite
    from tuneloop.validation import save_report

    try:
        cfg = load_params(root / params)
        spec = load_suite(suite if suite else root / cfg.validate_.suite)
        if suite is None:  # another suite may be checked against on purpose
            from tuneloop.suite import check_params_columns

            check_params_columns(cfg, spec, root / params)
        project = root.resolve()
        check_files([path])  # no batch to answer about: an error, as ingest says it
        hook = load_hook(cfg.data.prepare, project)
        # As ingest decides it, the checks across accepted batches included (an id or rows
        # already accepted), without storing or quarantining anything; an accepted batch (or
        # the file it was accepted from) is compared with the other accepted batches.
        itself = accepted_as(cfg, project, path)
        if itself is not None:
            typer.echo(f"{path}: accepted batch {itself}: compared with the other accepted "
                       "batches")
        from tuneloop import jsonl
        from tuneloop.batches import withdrawn_now
        from tuneloop.io import file_md5

        gone = withdrawn_now(jsonl.read(project / cfg.paths.arrivals, "batch ledger")).get(
            file_md5(path))
        if gone is not None:  # sweep 30: "passed" said nothing of it
            typer.echo(f"{path}: accepted once, then withdrawn ({gone.get('withdrawn')}; kept "
                       f"in {gone.get('quarantined_in')}): ingest skips it unless --retry")
        from tuneloop.suite import following

        stored = project / cfg.data.batches / itself if itself is not None else None
        now = following(spec, median_history(cfg, project, spec, stored).in_time_order())
        report, frame = decide(path, cfg, project, now, hook, itself=itself)
        report = save_report(report, project / cfg.paths.validation_dir)
    except TuneloopError as exc:
        fail(exc, 2)  # bad params or suite: no answer about the batch
    if report.error:
        typer.echo(f"error: {report.error}", err=True)
    for line in report.lines() if not report.error else []:
        typer.echo(line)
    if not report.error:
        verdict = "passed" if report.success else f"failed {len(report.failures)} check(s)"
        dropped = frame.attrs.get("unlabelled") if frame is not None else None
        untimed = frame.attrs.get("untimed") if frame is not None else None
        typer.echo(f"{path}: {verdict}: {report.rows} rows"
                   + (f" ({dropped} without a target dropped, as ingest drops them)"
                      if dropped else "")
                   + (f" ({untimed} without a time dropped, as ingest drops them)"
                      if untimed else "")
                   + f", {report.evaluated} checks, {report.seconds:.2f} s")
        if frame is not None and frame.attrs.get("new_class"):
            from stages.ingest import new_class_note

            typer.echo(f"note: {new_class_note(frame.attrs)} (as ingest drops them)")
        typer.echo(f"data docs: {report.data_docs}")
    typer.echo(f"result: {report.report}")  # stdout: stderr holds the one error line
    if not report.success:
        raise typer.Exit(1)


def suite_init(source: Annotated[Path, typer.Option(
                   "--from", help="reference batch (.parquet, .csv or .tsv), already prepared")],
               out: Annotated[Path, typer.Option("--out", help="suite file to write")],
               root: Root = Path("."), params: ParamsFile = PARAMS_FILE,
               force: Annotated[bool, typer.Option("--force", help="overwrite OUT")]
               = False) -> None:
    """Write a suite for the project's dataset spec from a reference batch; edit it by hand."""
    from tuneloop.batches import read_batch
    from tuneloop.config import load_params
    from tuneloop.io import atomic_path
    from tuneloop.suite import dump_suite, init_suite

    try:
        if out.exists() and not force:
            raise TuneloopError(f"{out}: already exists; pass --force to overwrite it")
        cfg = load_params(root / params)
        dates = {**({cfg.data.time: "ISO8601"} if cfg.data.time else {}),
                 **cfg.data.date_formats}  # read as ingest reads them
        frame = read_batch(source, dates, missing=cfg.data.missing_values,
                           clock=cfg.data.clock_times)  # as ingest reads them
        text = dump_suite(init_suite(frame, out.stem, cfg.data),
                          f"# Suite bootstrapped by `tuneloop suite init` from {source}.\n")
        with atomic_path(out) as tmp:
            tmp.write_text(text, encoding="utf-8")
    except TuneloopError as exc:
        fail(exc)
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
        fail(exc)
    if not versions:
        typer.echo("no accepted dataset versions yet: run `tuneloop run`")
        return
    for v in versions:
        if as_json:
            typer.echo(json.dumps(v, sort_keys=True))
            continue
        span = f"{v['first']} .. {v['last']}  " if v.get("first") is not None else ""
        typer.echo(f"{v['dataset_version']}  {v['rows']:>8} rows  {v['batches']:>3} batches  "
                   f"{span}versioned {v['versioned_at']}")


def data_withdraw(batch: Annotated[str, typer.Argument(
                      metavar="BATCH", help="an accepted batch: its file in data.batches (name "
                                            "or path), or the file it was accepted from")],
                  reason: Annotated[str, typer.Option(
                      "--reason", help="why (kept with the batch and in the batch ledger)")],
                  root: Root = Path("."), params: ParamsFile = PARAMS_FILE) -> None:
    """Take an accepted batch out of the training window (labels found wrong after it passed
    validation, a duplicate export, a test load): it is kept in quarantine with the reason, the
    window without it becomes a new dataset version (DVC), and the next retrain trains without
    it. The champion is not touched; the same file sent again is skipped as withdrawn
    (`tuneloop ingest --retry FILE` decides it again)."""
    from stages import dataset, version
    from stages import ingest as ingest_stage
    from tuneloop.config import load_params
    from tuneloop.project_lock import project_lock
    from tuneloop.recovery import recover

    try:
        cfg = load_params(root / params)
        project = root.resolve()
        with project_lock(project, "tuneloop data withdraw", cfg.loop.lock_wait_s):
            recover(cfg, project, registry=False)  # what a killed run left on disk, first
            done = ingest_stage.withdraw(cfg, project, batch, reason)
            rows = dataset.execute(cfg, project)
            dataset_version = version.execute(cfg, project)
    except TuneloopError as exc:
        fail(exc)
    if done.already is not None:
        typer.echo(f"{done.batch}: already withdrawn ({done.already}); kept in {done.kept_in}")
    else:
        typer.echo(f"{done.batch}: withdrawn ({done.rows} rows, accepted from {done.source}); "
                   f"kept in {done.kept_in}")
    typer.echo(f"dataset version {dataset_version} ({rows} rows): the next retrain trains "
               "without it; the champion is not touched")
    typer.echo(f"note: {_champion_and_withdrawn(cfg, project)}")
    if done.newest:
        typer.echo("note: it held the window's latest times, the holdout the gate scores on: "
                   "the holdout is now the batch before it, which the champion may have been "
                   "trained on; the next batch to arrive becomes the holdout again")


def data_dismiss(file: Annotated[str, typer.Argument(
                     metavar="FILE", help="a rejected batch file: its path or name, or its "
                                          "quarantine folder's name")],
                 reason: Annotated[str, typer.Option(
                     "--reason", help="why (kept in the batch ledger)")],
                 root: Root = Path("."), params: ParamsFile = PARAMS_FILE) -> None:
    """Set aside a rejected batch file that will not be sent again (its rows came in another
    file, a test load): `status` and the report stop listing it among the files meant for the
    window. It stays in quarantine with its report; the same file sent again is skipped
    unless `tuneloop ingest --retry FILE`."""
    from stages import ingest as ingest_stage
    from tuneloop.config import load_params
    from tuneloop.project_lock import project_lock

    try:
        cfg = load_params(root / params)
        project = root.resolve()
        with project_lock(project, "tuneloop data dismiss", cfg.loop.lock_wait_s):
            done = ingest_stage.dismiss(cfg, project, file, reason)
    except TuneloopError as exc:
        fail(exc)
    said = f"already dismissed ({done.already})" if done.already is not None else "dismissed"
    typer.echo(f"{done.source}: {said}; kept in {done.kept_in}")


def _champion_and_withdrawn(cfg: Any, project: Path) -> str:
    """Whether the champion learnt a withdrawn batch, and what serves instead (sweep 31: the
    advice was `rollback`, which served another version that had learnt it)."""
    import mlflow

    from tuneloop.promotion import CHAMPION, current_alias
    from tuneloop.registry_view import champion_learnt_withdrawn, learnt_advice
    from tuneloop.tracking import setup

    try:
        setup(cfg.mlflow, project)
        client = mlflow.MlflowClient()
        champion = current_alias(client, cfg.promote.model_name, CHAMPION)
        if champion is None:
            return "no champion serves yet"
        learnt = champion_learnt_withdrawn(cfg, project, client, str(champion))
    except Exception as exc:  # noqa: BLE001 - the withdrawal is done; only the note is lost
        return (f"could not tell whether the champion learnt it (the registry: "
                f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})")
    if learnt is None:
        return f"the champion v{champion} was trained without it"
    return learnt_advice(str(champion), learnt, cfg.policy.name)


def lineage(model: Annotated[str, typer.Argument(
                metavar="MODEL", help="NAME@ALIAS, NAME/VERSION or NAME for its champion, "
                                      "e.g. my-project@champion, or a VERSION of the "
                                      "project's model")],
            root: Root = Path("."), params: ParamsFile = PARAMS_FILE,
            restore: Annotated[Path | None, typer.Option(
                "--restore", help="write the model's exact training data to this file")] = None,
            as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")]
            = False) -> None:
    """Print a model version's lineage tags; --restore brings its training data back (DVC)."""
    from tuneloop.config import load_params
    from tuneloop.lineage import DATASET_VERSION, model_lineage, project_model, restore_dataset
    from tuneloop.tracking import setup

    try:
        cfg = load_params(root / params)
        project = root.resolve()
        setup(cfg.mlflow, project)
        info = model_lineage(project_model(model, cfg.promote.model_name))
        if restore is not None:
            restore_dataset(project, info["tags"][DATASET_VERSION], restore.resolve())
    except TuneloopError as exc:
        fail(exc)
    if as_json:
        typer.echo(json.dumps(info, sort_keys=True))
    else:
        typer.echo(f"{info['name']} v{info['version']} (run {info['run_id']})")
        for key, value in info["tags"].items():
            typer.echo(f"  {key}: {value}")
    if restore is not None:
        typer.echo(f"restored {info['tags'][DATASET_VERSION]} to {restore}")


def register(app: typer.Typer) -> None:
    app.command("validate", short_help="Validate a batch without ingesting it.")(validate)
    app.command("lineage", short_help="A model version's lineage and training data.")(lineage)
    suite_app = typer.Typer(help="Validation suites.", no_args_is_help=True, rich_markup_mode=None)
    suite_app.command("init", short_help="Write a suite from a reference table.")(suite_init)
    app.add_typer(suite_app, name="suite")
    data_app = typer.Typer(help="Accepted dataset versions.", no_args_is_help=True,
                           rich_markup_mode=None)
    data_app.command("list", short_help="The accepted dataset versions.")(data_list)
    data_app.command("withdraw", short_help="Take an accepted batch out of the window.")(
        data_withdraw)
    data_app.command("dismiss", short_help="Set aside a rejected batch file.")(data_dismiss)
    app.add_typer(data_app, name="data")
