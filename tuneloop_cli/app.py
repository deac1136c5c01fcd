"""The `tuneloop` command line: init a project, run the loop, ingest batches, see the champion."""

from __future__ import annotations

import json
import logging
import math
import shlex
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from tuneloop.config import PARAMS_FILE, load_params
from tuneloop.errors import ConfigError, TuneloopError, ValidationFailed
from tuneloop.runtime import temporary_server_settled
from tuneloop.verdict import verdict_words
from tuneloop_cli.common import ParamsFile, Root, fail

app = typer.Typer(help="Continuous hyperparameter tuning on your own table: validate each batch, "
                       "version it, tune, evaluate on a holdout, promote only a better model, "
                       "and retrain when a new batch calls for it.",
                  no_args_is_help=True, add_completion=False, rich_markup_mode=None)


class _OneLineKnownErrors(logging.Filter):
    """Prefect logs a failing task or flow with its traceback. For tuneloop's own errors (bad
    params, a rejected batch) the message is the whole story: keep it, drop the traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, TuneloopError):
            record.exc_info = None
            record.exc_text = None
            record.tuneloop_said = True  # the command says it as its own `error:` line
        return True


def _not_said_twice(record: logging.LogRecord) -> bool:
    """The console copy of a known error, which the command prints as its one `error:` line:
    a rejected batch's run wrote it twice to stderr, the second as a repr with `\\n` escapes
    (sweep 27). Prefect's API log handler keeps it, for the UI."""
    return not getattr(record, "tuneloop_said", False)


def _quiet_known_errors() -> None:
    for name in ("prefect.task_runs", "prefect.flow_runs", "prefect.task_engine",
                 "prefect.flow_engine"):
        logging.getLogger(name).addFilter(_OneLineKnownErrors())
    for handler in logging.getLogger().handlers:
        if type(handler).__name__ == "PrefectConsoleHandler" and \
                _not_said_twice not in handler.filters:
            handler.addFilter(_not_said_twice)


@app.command(short_help="Make a ready project from one table.")
def init(directory: Annotated[Path, typer.Argument(
        metavar="DIRECTORY", help="the project folder to create")],
         data: Annotated[Path, typer.Option("--data", help="your table: .csv, .tsv or .parquet/.pq "
                                                    "(.csv.gz and .tsv.gz too)")],
         target: Annotated[str, typer.Option("--target", help="the column to predict")],
         time: Annotated[str | None, typer.Option(
             "--time", help="time column: orders rows and batches (optional)")] = None,
         id_column: Annotated[str | None, typer.Option(
             "--id", help="id column, checked unique, never a feature (optional)")] = None,
         task: Annotated[str | None, typer.Option(
             "--task", help="binary | multiclass | regression (default: inferred)")] = None,
         exclude: Annotated[str | None, typer.Option(
             "--exclude", help="comma-separated columns that are never features")] = None,
         categorical: Annotated[str | None, typer.Option(
             "--categorical", help="comma-separated columns of numbers that are codes, not "
                                   "amounts (an occupation 1-9, a region code): read as "
                                   "categories")] = None,
         forbid: Annotated[str | None, typer.Option(
             "--forbid", help="comma-separated leakage columns: a batch carrying one is "
                              "rejected")] = None,
         batches: Annotated[int | None, typer.Option(
             "--batches", help="cut the table into this many batches, at least 3 (default: "
                               "5-10 by size)")] = None,
         group: Annotated[str | None, typer.Option(
             "--group", help="a column naming units (a patient, a firm, a site) whose rows "
                             "stay in one batch when batches are cut at random, so no unit "
                             "is in training and the holdout alike; not a feature; not with "
                             "--time")] = None,
         positive_class: Annotated[str | None, typer.Option(
             "--positive-class", help="a binary target's class to predict (default: 1, True "
                                      "or yes, else the rarer value)")] = None) -> None:
    """Make a ready project from one table: params.yaml with the dataset spec and defaults
    scaled to the data, dvc.yaml, the validation suite, git + DVC with a local remote, and the
    data laid out as batches. Then: cd DIRECTORY && tuneloop run."""
    from tuneloop.project import init_project

    def _cols(text: str | None) -> list[str]:
        return [c.strip() for c in (text or "").split(",") if c.strip()]

    try:
        result = init_project(directory, data, target, time=time, id_column=id_column,
                              task=task, exclude=_cols(exclude), forbid=_cols(forbid),
                              batches=batches, positive_class=positive_class,
                              categorical=_cols(categorical), group=group,
                              progress=lambda line: typer.echo(line, err=True))
    except TuneloopError as exc:
        fail(exc, 2)
    typer.echo(f"created {result.root}: {result.rows} rows of {data} in {result.batches} "
               f"batches; task {result.task}, target {result.target!r}, "
               f"{len(result.features)} feature{'' if len(result.features) == 1 else 's'}")
    for line in result.inferred:
        typer.echo(f"  inferred: {line}")
    typer.echo(f"next: cd {shlex.quote(str(directory))} && tuneloop run")


@app.command(short_help="Run the loop once: ingest, decide new batches, retrain if due.")
def run(root: Root = Path("."), params: ParamsFile = PARAMS_FILE,
        resume: Annotated[bool, typer.Option(
            "--resume", help="resume the tuning study from its journal")]
        = False,
        force: Annotated[bool, typer.Option(
            "--force", help="a cold re-tune now, whatever the retraining policy decided "
                            "(refused while the champion was trained through the holdout "
                            "batch: a later batch must arrive to judge it)")]
        = False) -> None:
    """Run the loop once as a Prefect flow (ephemeral API unless PREFECT_API_URL is set): new
    files in the incoming folder are ingested, each new batch is decided once by the retraining
    policy (policy.name in params.yaml), and a retrain runs only when a decision asks for one."""
    try:
        cfg = load_params(root / params)  # a bad params file fails here, before Prefect starts
        from stages.ingest import incoming_files
        from tuneloop.suite import check_params_columns, load_suite

        check_params_columns(cfg, load_suite(root / cfg.validate_.suite), root / params)

        if force and not incoming_files(cfg, root.resolve()):
            # A forced re-tune the gate could not judge, refused before Prefect starts (the
            # flow checks again after ingesting, when files are waiting).
            from stages.promote import check_can_gate

            check_can_gate(cfg, root.resolve())
    except TuneloopError as exc:
        fail(exc)
    from flows.loop import tuneloop_flow

    _quiet_known_errors()
    try:
        with temporary_server_settled():
            summary = tuneloop_flow(root=str(root), params_file=params, resume=resume,
                                    force=force)
    except ValidationFailed as exc:
        fail(exc, 1)  # a batch rejected (quarantined with its report): ingest's "no"
    except TuneloopError as exc:
        fail(exc)
    for line in decided_lines(summary["check"]["decided"]):
        typer.echo(line)
    _say_unread(cfg, root)
    for warning in summary.get("warnings", []):
        typer.echo(f"warning: {warning}", err=True)
    if "promotion" not in summary:
        if summary.get("note"):
            typer.echo(summary["note"])
        elif summary.get("deferred"):
            typer.echo(summary["deferred"])
        elif summary.get("recorded_after_stop"):
            typer.echo(f"recorded the retrain a stopped run had carried out (v"
                       f"{summary['recorded_after_stop']} champion)")
        else:
            typer.echo("no retrain: the training window now holds the new batches; the next "
                       "retrain trains on them" if summary["check"]["decided"] else
                       "no retrain: no new batch")
        return
    for earlier in summary.get("earlier", []):
        was = earlier["promotion"]
        typer.echo(f"{earlier['mode']} tune: {was['model_name']} v{was['version']} "
                   f"{verdict_words(False)}: {was['reason']}")
    decision = summary["promotion"]
    verb = verdict_words(bool(decision["promoted"]))
    typer.echo(f"{summary.get('decided_by', summary['mode'])} tune: {decision['model_name']} "
               f"v{decision['version']} {verb}: "
               f"{decision['reason']}")
    holdout = {k: (v if v == v else None) for k, v in summary["holdout"].items()}  # NaN: null
    # A refused challenger's figures are its own, not what serves (sweep 29: read as the
    # champion's AUC 0.54 where v1 at 0.78 still served).
    serving = (f"v{decision['champion_version']} still serves"
               if decision.get("champion_version") else "no champion serves")
    said = "holdout" if decision["promoted"] else \
        f"challenger v{decision['version']} holdout ({serving})"
    typer.echo(f"{said}: {json.dumps(holdout, sort_keys=True)}")


def _say_unread(cfg: Any, root: Path) -> None:
    """Files left unread in the incoming folder, named where the user reads (sweep 31: a
    `.txt` export sat there while the run said "no new batch", its one line among the
    flow's logs)."""
    from tuneloop.batches import not_a_batch_hint, unread_incoming

    for other in unread_incoming(root / cfg.data.incoming):
        typer.echo(f"note: {cfg.data.incoming}/{other.name}: not a batch file, left unread "
                   f"(.parquet, .csv, .tsv, gzipped too): {not_a_batch_hint(other)}", err=True)


def shown_figure(value: float) -> float:
    """A metric to five significant digits, its whole part never rounded: 203805.58 read
    "203810.0" (float of "2.0381e+05"), a figure no run printed (sweep 58a)."""
    if not math.isfinite(value) or value == 0:
        return value
    return round(value, max(0, 4 - math.floor(math.log10(abs(value)))))


def decided_lines(decided: list[dict[str, Any]]) -> list[str]:
    """One line per run of batches decided alike: a first run's ten batches, each "cold (no
    champion yet ...)", read as one line, not ten."""
    lines: list[str] = []
    group: list[dict[str, Any]] = []
    for entry in [*decided, None]:
        if group and (entry is None or (entry["action"], entry["reason"]) !=
                      (group[0]["action"], group[0]["reason"])):
            first = group[0]
            names = f"batch {first['batch']}" if len(group) == 1 else \
                f"batches {first['batch']} .. {group[-1]['batch']} ({len(group)})"
            lines.append(f"{names}: {first['action']} ({first['reason']})")
            group = []
        if entry is not None:
            group.append(entry)
    return lines


@app.command(short_help="Compare retraining policies on the project's own batches.")
def replay(root: Root = Path("."), params: ParamsFile = PARAMS_FILE,
           policies: Annotated[str, typer.Option(
               help="comma-separated: never, every, every:K, auto")] = "never,every,auto",
           start: Annotated[int, typer.Option(
               help="the first START accepted batches are the starting window")] = 4,
           out: Annotated[str, typer.Option(
               help="report JSON, a path inside the project, relative to its root (the plot "
                    "goes beside it, .png)")]
           = "reports/replay.json") -> None:
    """Replay the accepted batches in time order under each retraining policy, side by side:
    each batch is scored by the serving champion before anything trains on it, then the policy
    decides and candidates are trained, gated and promoted (in memory: the project's registry,
    window and stage reports are not touched). Prints a table; writes a per-batch report (--out)
    and a plot beside it."""
    try:
        loaded = load_params(root / params)
        from tuneloop.config import inside_project
        from tuneloop.policy import parse_policy

        names = [p.strip() for p in policies.split(",") if p.strip()]
        if not names:
            raise ConfigError("--policies: name at least one of never, every, every:K, auto")
        for name in names:
            try:
                parse_policy(name)
            except ValueError as exc:
                raise ConfigError(f"--policies: {exc}") from None
        try:
            inside_project(out)
        except ValueError as exc:
            raise ConfigError(f"--out: {exc}") from None
        from flows.replay import check_start
        from tuneloop.batches import accepted_batches

        check_start(loaded, start, len(accepted_batches(root / loaded.data.batches)))
    except TuneloopError as exc:
        fail(exc, 2)
    from flows.replay import replay_flow

    _quiet_known_errors()
    started = time.perf_counter()
    try:
        with temporary_server_settled():
            report = replay_flow(root=str(root), params_file=params, policies=tuple(names),
                                 start=start, out=out)
    except TuneloopError as exc:
        fail(exc)
    typer.echo(report["table"])
    # Both figures: the flow's own, and the wait (sweep 29: "83 s" of a 101 s command, the
    # temporary Prefect server's start and stop being the rest).
    typer.echo(f"report: {root / out}; plot: {(root / out).with_suffix('.png')}; "
               f"{report['wall_s']:.0f} s replaying, {time.perf_counter() - started:.0f} s in "
               "all (the Prefect server's start and stop included)")


@app.command(short_help="Validate batch files; accepted ones become a dataset version.")
def ingest(files: Annotated[list[Path], typer.Argument(
        metavar="FILES", help="batch files (.parquet or .pq, .csv or .tsv, gzipped too)")],
           root: Root = Path("."), params: ParamsFile = PARAMS_FILE,
           retry: Annotated[bool, typer.Option(
               "--retry", help="decide again a file rejected before (after changing the "
                               "suite or validate params); an accepted one is never "
                               "decided twice")] = False) -> None:
    """Validate batch files against the suite: accepted ones become a new dataset version
    (DVC), rejected ones go to quarantine with their report (exit 1). A file is decided once
    (by its content); a rejected one sent again exits 1 unless --retry. Anything else that
    stops it (a missing file, bad params, DVC failing) exits 2. The champion is not touched:
    the next retrain (when the policy asks for one, at a `tuneloop run`) trains on the new
    window."""
    from stages import ingest as ingest_stage
    from tuneloop.project_lock import project_lock
    from tuneloop.recovery import recover

    try:
        cfg = load_params(root / params)
        project = root.resolve()
        with project_lock(project, "tuneloop ingest", cfg.loop.lock_wait_s):
            recover(cfg, project, registry=False)  # what a killed run left on disk, first
            result, sent_again = _ingest(cfg, project, files, retry)
        error = ingest_stage.rejection(result)
    except TuneloopError as exc:
        fail(exc, 2)  # not an answer about the batch: a missing file, bad params, DVC failing
    if error is not None:
        fail(error, 1)  # rejected: quarantined with its report
    if sent_again and not result.accepted and len(sent_again) == len(files):
        # Only rejected files, sent again: still a rejection, not a quiet success. Beside new
        # files (a cron's `ingest incoming/*`, where a rejected file stays) the new ones decide.
        raise typer.Exit(1)


def _ingest(cfg: Any, project: Path, files: list[Path],
            retry: bool = False) -> tuple[Any, list[str]]:
    """Decide the files; version the new window when any was accepted. Also returns the
    files skipped as decided before that were rejected then."""
    from stages import dataset, version
    from stages import ingest as ingest_stage

    result = ingest_stage.run(cfg, project, [f.resolve() for f in files], retry=retry)
    for skipped in result.skipped:
        if skipped in result.rejected_before:
            typer.echo(f"{skipped}: already decided (same content): rejected, kept in "
                       f"{result.rejected_before[skipped]}; skipped (--retry decides it again)",
                       err=True)
        elif skipped in result.withdrawn_before:
            typer.echo(f"{skipped}: already decided (same content): accepted, then withdrawn "
                       f"(`tuneloop data withdraw`), kept in {result.withdrawn_before[skipped]}; "
                       "skipped (--retry decides it again)", err=True)
        else:
            typer.echo(f"{skipped}: already decided (same content); skipped")
    sent_again = [*result.rejected_before, *result.withdrawn_before]
    for a in result.accepted:
        typer.echo(f"{a.source}: accepted, {a.rows} rows, stored as {a.stored_as}")
        if a.note:
            typer.echo(f"note: {a.note}")
    if result.accepted:
        rows = dataset.execute(cfg, project)
        dataset_version = version.execute(cfg, project)
        typer.echo(f"dataset version {dataset_version} ({rows} rows)")
    return result, sent_again


@app.command(short_help="One row per loop run, oldest first.")
def history(root: Root = Path("."), params: ParamsFile = PARAMS_FILE,
            as_json: Annotated[bool, typer.Option(
                "--json", help="print one JSON object: the runs and the promotion rate")]
            = False,
            last: Annotated[int | None, typer.Option(
                min=1, help="only the last N loop runs")] = None) -> None:
    """One row per loop run, oldest first: when, what started it (manual, schedule, drift),
    the dataset version, the retrain it did, trials, why the study stopped, trial success rate,
    best validation and holdout metric, cost, and the gate's decision; then the promotion rate
    over the rows shown."""
    from tuneloop import history as runs_history

    try:
        cfg = load_params(root / params)
        runs = runs_history.read(root.resolve() / cfg.paths.runs, last)
    except TuneloopError as exc:
        fail(exc)
    rate = runs_history.promotion_rate(runs)
    if as_json:
        typer.echo(json.dumps({"runs": runs, "promotion_rate": rate}, sort_keys=True))
        return
    if not runs:
        typer.echo(f"no loop run recorded yet in {cfg.paths.runs}: run `tuneloop run`")
        return
    typer.echo(runs_history.table(runs))
    judged = len(runs_history.candidates(runs))
    typer.echo(f"promotion rate: {'-' if rate is None else f'{rate:.0%}'} "
               f"({judged} candidate(s) judged in {len(runs)} run(s))")


@app.command(short_help="Write the project's report as one HTML page.")
def report(root: Root = Path("."), params: ParamsFile = PARAMS_FILE,
           out: Annotated[Path | None, typer.Option(
               help="the HTML file to write, inside the project; a relative path is read "
                    "from --root (default: reports/tuneloop.html)")] = None) -> None:
    """Write one self-contained HTML page (opens from disk, no server): an overview (holdout
    metric and cost over time, promotions, rollbacks), operations (failures, retries, budget
    burn, gate rejections, drift decisions) and the latest study (optimization history,
    parameter importance, parallel coordinates, a sortable trial table)."""
    from tuneloop.report import write

    try:
        cfg = load_params(root / params)
        project = root.resolve()
        target = (project / (out or Path("reports") / "tuneloop.html")).resolve()
        if not target.is_relative_to(project) or target == project:
            raise ConfigError(f"--out {out}: outside the project {project}; the report is "
                              "written inside it (e.g. --out reports/tuneloop.html)")
        written = write(cfg, project, target)
    except TuneloopError as exc:
        fail(exc)
    typer.echo(f"report: {written}")


@app.command(short_help="The champion, the last batch decision and any retrain owed.")
def status(root: Root = Path("."), params: ParamsFile = PARAMS_FILE,
           as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")]
           = False) -> None:
    """The champion in the registry (version, task, holdout metrics, dataset version, params),
    the policy's last batch decision and any retrain still owed."""
    from tuneloop.registry_view import champion_status

    try:
        cfg = load_params(root / params)
        info = champion_status(cfg, root.resolve())
    except TuneloopError as exc:
        fail(exc)
    if as_json:
        typer.echo(json.dumps(info, sort_keys=True))
        return
    champ = info["champion"]
    batches = info["batches"]
    if info.get("moved_outside_tuneloop"):
        typer.echo(f"warning:    {info['moved_outside_tuneloop']}", err=True)
    if info.get("champion_model_missing"):
        typer.echo(f"warning:    {info['champion_model_missing']}", err=True)
    for said in ("suspected_leaks", "unit_suspects", "unconfirmed_holds", "recoded_in_window"):
        if info.get(said):
            typer.echo(f"warning:    {info[said]}", err=True)
    if info.get("champion_family_better"):
        typer.echo(f"note:       at the champion's evaluation {info['champion_family_better']}: "
                   "policy auto re-tunes (warm) at the next triggered batch rather than refit "
                   "it (a refit keeps its family)", err=True)
    if info.get("champion_learnt_withdrawn") and champ is not None:
        from tuneloop.registry_view import learnt_advice

        advice = learnt_advice(champ["version"], info["champion_learnt_withdrawn"],
                               cfg.policy.name)
        typer.echo(f"warning:    {advice}", err=True)
    rejected = info.get("rejected_files") or {}
    if rejected.get("count"):
        last = rejected["last"]
        typer.echo(f"rejected:   {rejected['count']} batch file(s) kept in quarantine, not "
                   f"accepted since (the last, {Path(last['source']).name}, at "
                   f"{last['decided_at']}: {last['quarantined_in']}, its report beside it); a "
                   "file meant for the window: fix it, or the suite, and `tuneloop ingest "
                   "--retry FILE`; one that is not (its rows came in another file, a test "
                   "load): `tuneloop data dismiss FILE --reason ...`")
    if rejected.get("resent"):
        typer.echo(f"re-sent:    {rejected['resent']} file(s) rejected as copies of accepted "
                   "rows: nothing to fix or retry")
    _say_unread(cfg, root)
    withdrawn = info.get("withdrawn_files") or {}
    if withdrawn.get("count"):
        last = withdrawn["last"]
        typer.echo(f"withdrawn:  {withdrawn['count']} accepted batch(es) taken out of the "
                   f"window (the last, {Path(str(last['source'])).name}, at "
                   f"{last['withdrawn_at']}: {last['reason']}; kept in "
                   f"{last['quarantined_in']})")
    if champ is None:
        last = info.get("last_decision")
        if last:  # a run made a model and the gate kept it out: say so, not "run it"
            typer.echo(f"no champion yet: {last.get('action')} v{last.get('version')} at "
                       f"{last.get('time')}: {last.get('reason')}")
        else:
            from tuneloop import history

            try:
                runs = history.read(root.resolve() / cfg.paths.runs, last=1)
            except TuneloopError as exc:
                fail(exc)
            if runs and runs[-1].get("status") in ("failed", "rejected"):
                # Say what stopped it, not "run it" to someone who just did.
                how = "failed" if runs[-1]["status"] == "failed" else \
                    "stopped at a rejected batch"
                typer.echo(f"no champion yet: the last run (at {runs[-1].get('at')}) {how}: "
                           f"{runs[-1].get('error')}")
            else:
                typer.echo("no champion yet: run `tuneloop run`")
        return
    metrics = {k: shown_figure(v) for k, v in info["metrics"].items() if v is not None}
    typer.echo(f"champion:   {champ['name']} v{champ['version']} ({info['task']})")
    typer.echo(f"holdout:    {json.dumps(metrics, sort_keys=True)} (when it was evaluated; "
               "the gate scores it again on each new holdout)")
    # The champion's, not the newest: read as "my batches were not versioned" (sweep 58b).
    typer.echo(f"dataset:    {info['dataset_version']} (the version the champion was "
               "trained on)")
    typer.echo(f"params:     {json.dumps(info['params'], sort_keys=True)}")
    if info.get("challenger"):
        learnt = info.get("challenger_learnt_withdrawn") or []
        typer.echo(f"challenger: v{info['challenger']['version']}" + (
            f" (trained with withdrawn batch(es) {', '.join(learnt[:3])}: promoting it would "
            "serve them)" if learnt else ""))
    if info.get("last_decision"):
        last = info["last_decision"]
        typer.echo(f"last:       {last.get('action')} v{last.get('version')} "
                   f"at {last.get('time')}: {last.get('reason')}")
    if batches["last"]:
        b = batches["last"]
        typer.echo(f"batch:      {b['batch']} ({batches['decided']} decided): {b['action']} "
                   f"({b['reason']})")
    if batches["undecided"]:
        names = batches["undecided"]
        typer.echo(f"waiting:    {len(names)} accepted batch(es) not decided yet ({names[0]}"
                   f"{', ...' if len(names) > 1 else ''}): `tuneloop run` decides them")
    if batches["pending"]:
        from tuneloop import history

        try:
            runs = history.read(root.resolve() / cfg.paths.runs, last=1)
        except TuneloopError as exc:
            fail(exc)
        # Once a later batch waits, the next run carries the retrain out: say run it.
        deferred = runs[-1].get("deferred") if runs and not batches["undecided"] else None
        # After a run deferred it, "`tuneloop run`" sent the user round in a circle (sweep 25).
        typer.echo(f"pending:    a retrain for {', '.join(batches['pending'])}: "
                   + (f"{deferred} (the last run, at {runs[-1].get('at')})" if deferred
                      else "`tuneloop run`"))


def _register_command_groups() -> None:
    from tuneloop_cli import data, models

    data.register(app)
    models.register(app)


_register_command_groups()


class Terminated(KeyboardInterrupt):
    """SIGTERM (a scheduler's stop, `kill`), raised where the main thread is, as Ctrl-C is:
    the default action ended the process on the spot and left the temporary Prefect server
    running with no parent, and the run out of the history."""


_TERMINATED: list[int] = []


def _terminate(signum: int, frame: Any) -> None:
    _TERMINATED.append(signum)
    raise Terminated


def _invoke() -> Any:
    """The command line, its errors raised to main() (which says each in one line)."""
    return typer.main.get_command(app).main(standalone_mode=False)


def main() -> None:  # pragma: no cover - console entry point
    import signal

    from tuneloop.runtime import enable_crash_traces

    enable_crash_traces()
    signal.signal(signal.SIGTERM, _terminate)
    try:  # typer carries its own click from 0.29 (pinned): its exceptions are those
        from typer._click import exceptions as click
    except ImportError:  # pragma: no cover - an older typer uses click's
        from click import exceptions as click  # type: ignore[no-redef]

    try:
        code: Any = _invoke()
        code = code if isinstance(code, int) else 0
    except click.NoArgsIsHelpError as exc:
        # `tuneloop` alone: the help, on stdout and exit 0 (`tuneloop | less` showed nothing).
        typer.echo(exc.ctx.get_help() if exc.ctx is not None else str(exc))
        code = 0
    except click.UsageError as exc:
        # One line, as every other error: click's "Usage: ... Try ... Error: Missing option"
        # was three, starting `Error:` (sweep 27).
        where = f" (see `{exc.ctx.command_path} --help`)" if exc.ctx is not None else ""
        typer.echo(f"error: {exc.format_message()}{where}", err=True)
        code = exc.exit_code
    except click.ClickException as exc:
        typer.echo(f"error: {exc.format_message()}", err=True)
        code = exc.exit_code
    except typer.Abort:  # an end of input where a prompt read one (click's "Aborted!")
        typer.echo("tuneloop: aborted", err=True)
        code = 1
    except (SystemExit, Terminated) as exc:
        code = getattr(exc, "code", 1)
    if _TERMINATED:  # click turned it into "Aborted!", exit 1: say what stopped it
        typer.echo("tuneloop: stopped by SIGTERM", err=True)
        code = 128 + signal.SIGTERM
    sys.exit(code)
