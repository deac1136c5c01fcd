"""The continuous-tuning loop as a Prefect flow. Orchestration only: each step is a stage.

ingest (new batch files) -> dataset (training window) -> drift (decide each new batch) ->
version -> [when a decision asks for a retrain: split -> tune (a refit of the champion's
configuration, a warm re-tune from it, or cold) -> evaluate -> promote -> plots -> record;
a re-tune refused is followed by the refit, gated in turn -> record the retrain]
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NONE as NO_CACHE
from prefect.exceptions import TerminationSignal

from flows.naming import from_root
from flows.trials import PrefectTrialExecutor
from stages import dataset, drift, evaluate, ingest, plots, promote, split, tune, version
from tuneloop import alerts, history, lineage, preflight, run_summary, trigger
from tuneloop.config import PARAMS_FILE, load_params
from tuneloop.io import read_json
from tuneloop.policy import COLD, NONE, REFIT, WARM, champions_configuration, refit_follows
from tuneloop.project_lock import project_lock
from tuneloop.recovery import recover
from tuneloop.search.journal import utc_now
from tuneloop.verdict import verdict_words


def _stage(fn: Any, name: str) -> Any:
    return task(fn, name=name, cache_policy=NO_CACHE)


ingest_task = _stage(ingest.execute, "ingest")
dataset_task = _stage(dataset.execute, "dataset")
version_task = _stage(version.execute, "version")
split_task = _stage(split.execute, "split")
tune_task = _stage(tune.execute, "tune")
evaluate_task = _stage(evaluate.execute, "evaluate")
promote_task = _stage(promote.execute, "promote")
drift_task = _stage(drift.execute, "drift")
plots_task = _stage(plots.execute, "plots")
record_task = _stage(version.commit_and_push, "record")
record_retrain_task = _stage(drift.record_retrain, "record retrain")
carried_out_task = _stage(drift.carried_out, "carried out")
champion_task = _stage(drift.champion_configuration, "champion")
can_gate_task = _stage(promote.check_can_gate, "can gate")
gate_blocker_task = _stage(promote.gate_blocker, "gate blocker")
recover_task = _stage(recover, "recover")
preflight_task = _stage(preflight.check, "preflight")
history_task = _stage(history.record, "history")
alerts_task = _stage(alerts.notify, "alerts")
retag_task = _stage(lineage.retag_recorded, "lineage")



@flow(name="tuneloop", log_prints=True, flow_run_name=from_root)
def tuneloop_flow(root: str = ".", params_file: str = PARAMS_FILE, resume: bool = False,
                  force: bool = False) -> dict[str, Any]:
    """Run the loop on the project at `root`; return a summary of what it decided.

    New batch files in the incoming folder are ingested first (a rejected one stops the run
    before anything is trained or promoted); each new batch is decided once by the drift stage
    and the retraining policy. A retrain runs only when a decision asks for one (or with
    `force`: a cold re-tune); otherwise the window still advances to hold the new batches.
    """
    project = Path(root).resolve()
    params = load_params(project / params_file)
    # One loop per project: a second run (a drift event delivered twice, the cron plus a
    # manual run) waits loop.lock_wait_s, then is refused naming the holder.
    with project_lock(project, "tuneloop run (flow)", params.loop.lock_wait_s):
        started = utc_now()
        try:
            summary = _loop(params, project, resume, force)
        except (Exception, KeyboardInterrupt, TerminationSignal) as exc:
            # A failed run is a row of the history too (`tuneloop history`), with its error;
            # so is one stopped by Ctrl-C or SIGTERM (Prefect raises TerminationSignal here).
            _record(params, project, started, error=exc)
            raise
        _record(params, project, started, summary=summary)
        return summary


def _record(params: Any, project: Path, started: str, **outcome: Any) -> None:
    """The run's history record, then its alerts. Neither may fail or hide the run's own
    outcome (it is decided and versioned by now): a failure here is one warning line."""
    try:
        alerts_task(params, project, history_task(params, project, started, **outcome))
    except Exception as exc:  # noqa: BLE001 - see above
        get_run_logger().warning("this run was not recorded in %s or not alerted (%s)",
                                 params.paths.runs, type(exc).__name__)


def _loop(params: Any, project: Path, resume: bool, force: bool) -> dict[str, Any]:
    logger = get_run_logger()
    # Under the lock, whatever a killed run left (unfinished writes, RUNNING MLflow runs, a
    # registered version without a decision) is its own: put right before anything reads it.
    preflight_task(params, project)  # a store or remote it cannot write: one line, now
    recovered = recover_task(params, project)
    arrived = ingest_task(params, project, stop=False)
    for source, kept in {**arrived.rejected_before, **arrived.withdrawn_before}.items():
        # Not "seen before" only: a file left there was refused (or withdrawn), and each run
        # meets it again (sweep 53b: said as seen, exit 0, where `tuneloop ingest` names it).
        how = "rejected" if source in arrived.rejected_before else \
            "accepted, then withdrawn (`tuneloop data withdraw`)"
        logger.warning("%s: already decided (same content): %s, kept in %s; not decided "
                       "again (fix it and send the fixed file, or `tuneloop ingest --retry %s` "
                       "after changing params; a file not meant for the window can leave the "
                       "incoming folder)",
                       source, how, kept, source)
    stopped = ingest.rejection(arrived)
    if stopped is not None:
        if arrived.accepted:
            # The batches accepted beside a rejected one are versioned before the stop, as
            # `tuneloop ingest` versions them: stored but not versioned, `dvc status` said
            # modified until the next run (sweep 25).
            dataset_task(params, project)
            version_task(params, project)
        raise stopped
    logger.info("ingest: %d new batch(es) accepted from the incoming folder, %d file(s) there "
                "seen before (batches `tuneloop ingest` stored are in the window either way)",
                len(arrived.accepted), len(arrived.skipped))
    rows = dataset_task(params, project)
    check = drift_task(params, project)
    if check.report is not None:
        create_markdown_artifact(
            (project / params.paths.drift_report).with_suffix(".md").read_text("utf-8"),
            key="tuneloop-batch-check", description="the newest batch's statistics and decision")
    action = COLD if force else check.retrain
    dataset_version = version_task(params, project)
    logger.info("dataset version %s (%d rows)", dataset_version, rows)
    summary: dict[str, Any] = {"dataset_version": dataset_version, "task": params.data.task,
                               "check": check.to_dict(), "retrain": action,
                               "recovered": recovered}
    page = {"project": project.name, "trigger": trigger.current(),
            "dataset_version": dataset_version, "rows": rows, "check": summary["check"]}
    if action == NONE:
        # The model stages' outputs stay those of the last retrain: only the check is recorded
        # (dvc status then shows them stale against the new window, which they are).
        plots_task(params, project)
        record_task(project, ("drift", "plots"), push=True, params=params)
        logger.info("no retrain: %s", "; ".join(d["reason"] for d in check.to_dict()["decided"])
                    or "no new batch")
        if check.decided:
            summary["warnings"] = drift.window_notes(params, project, check.report)
        _post_summary(run_summary.markdown(**page, action=NONE))
        if resume:
            # Nothing owed: there is no study of a retrain to resume (a forced re-tune that
            # stopped is resumed with --force --resume).
            summary["note"] = ("--resume: no retrain is owed, so there is no study to resume "
                               "(a stopped forced re-tune: tuneloop run --force --resume)")
        elif not check.decided and champion_task(params, project) is None:
            # Sweep 29: params edited after the gate refused the first model, and the run
            # said only "no new batch"; the way on was in `run --help` alone.
            summary["note"] = ("no retrain: no new batch, and no champion yet (the gate "
                               "refused the last model): `tuneloop run --force` tunes again "
                               "with the current params.yaml")
        return summary
    done = None if force else carried_out_task(params, project, check)
    if done is not None:
        # A run stopped after promoting and before its last record: version what it left on
        # disk and close the decision, as it would have (chaos test, round "record").
        logger.info("retrain of %s already carried out by a stopped run (v%s champion): "
                    "recording it", ", ".join(e["batch"] for e in check.pending),
                    done["promoted"])
        plots_task(params, project)
        commit = record_task(project, version.MODEL_STAGES, push=True, params=params)
        retag_task(params, project, str(done["promoted"]), commit)
        record_retrain_task(params, project, check,
                            dataset.window_files(params.data, project / params.data.batches),
                            **done)
        _post_summary(run_summary.markdown(**page, action=NONE))
        return {**summary, "retrain": NONE, "recorded_after_stop": done["promoted"]}
    if force:
        can_gate_task(params, project)  # before the study, not after it
    else:
        blocker = gate_blocker_task(params, project)
        if blocker is not None:
            # A batch that arrived late (older than the champion's newest) asked for a
            # retrain, but the holdout a retrain would be gated on is one the champion learnt.
            # The decision stays pending: the next batch later in time carries it out, and
            # the late batch is in the window it trains on.
            reason = f"retrain deferred until a batch later in time arrives: {blocker}"
            plots_task(params, project)
            record_task(project, ("drift", "plots"), push=True, params=params)
            logger.info(reason)
            _post_summary(run_summary.markdown(**page, action=NONE))
            return {**summary, "retrain": NONE, "deferred": reason}
    serving = None if force else champion_task(params, project)
    champion = None if action == COLD else serving
    # refit: the champion's configuration on the new window, no trials; warm: a re-tune seeded
    # with it (so the refit competes as a trial); cold, or no champion to start from: cold.
    mode = COLD if champion is None else action if action in (REFIT, WARM) else WARM
    # A validation set or holdout too small to judge by: said among the run's closing lines
    # (sweep 32: the split's warning was one line of the flow's log).
    summary["warnings"] = split_task(params, project) or []
    tuned, metrics, decision = _candidate(params, project, mode, champion, resume)
    summary["warnings"] += evaluate.closing_notes(params, project)
    tried = [(tuned, decision)]
    if refit_follows(mode, decision.promoted, serving is not None,
                     champions_configuration(tuned.best_params, tuned.best_iteration, serving),
                     bool(tuned.n_infeasible)):
        logger.info("the %s re-tune's model was not promoted: the champion's configuration "
                    "refit on the window is gated too", tuned.mode)
        # The study's indicators, before the refit's step writes "no study" over them: the
        # run's history row is the study's (trials, compute), its decision the refit's.
        summary["study_sli"] = read_json(project / params.paths.sli)
        refit, metrics, decision = _candidate(params, project, REFIT, serving, False)
        tried.append((refit, decision))  # the last tried speaks for the retrain
    # Last: the ledger says the retrain was carried out only once its outputs are versioned.
    # A kill before this line leaves the decision pending, and the next run retrains again.
    window = dataset.window_files(params.data, project / params.data.batches)
    record_retrain_task(params, project, check, window,
                        decision.version if decision.promoted else None,
                        [{"version": d.version, "promoted": d.promoted, "reason": d.reason,
                          "mode": t.mode} for t, d in tried],
                        sum(t.compute_seconds for t, _ in tried), tuned.mode)
    summary["warnings"] += drift.closing_notes(params, project, check.report, window)
    _post_summary(run_summary.markdown(**page, action=tuned.mode, tuned=tuned, holdout=metrics,
                                       decision=decision,
                                       earlier=[d for _, d in tried if d is not decision]))
    if tuned.n_trials:
        create_table_artifact(
            run_summary.top_trials(project / params.paths.journal, tuned.metric),
            key=run_summary.TOP_TRIALS_KEY,
            description=f"the study's best {run_summary.TOP_TRIALS} trials (completed by "
                        f"validation {tuned.metric}, then pruned ones by their rung score)")
    final = tried[-1][0]
    return {**summary, "best_params": final.best_params, "holdout": metrics,
            "promotion": decision.to_dict(), "mode": tuned.mode, "decided_by": final.mode,
            # a candidate gated before the one that decided (a re-tune before its refit)
            "earlier": [{"mode": t.mode, "promotion": d.to_dict()} for t, d in tried
                        if d is not decision]}


def _candidate(params: Any, project: Path, mode: str, champion: dict[str, Any] | None,
               resume: bool) -> tuple[Any, dict[str, Any], Any]:
    """One candidate of a retrain: tuned (or the champion's configuration, mode refit),
    evaluated, gated, and its outputs recorded (git, DVC) with its version tagged to them."""
    logger = get_run_logger()
    tuned = tune_task(params, project, executor=PrefectTrialExecutor(), resume=resume,
                      mode=mode, seeds=[champion["params"]] if champion else None,
                      champion=champion)
    metrics = evaluate_task(params, project)
    decision = promote_task(params, project)
    plots_task(params, project)
    commit = record_task(project, version.MODEL_STAGES, push=True, params=params)
    if decision.version:  # its git and DVC tags name the commit that holds its outputs
        retag_task(params, project, decision.version, commit)
    logger.info("version %s %s: %s", decision.version,
                verdict_words(decision.promoted),
                decision.reason)
    return tuned, metrics, decision


def _post_summary(markdown: str) -> None:
    create_markdown_artifact(markdown, key=run_summary.SUMMARY_KEY,
                             description="this run: data, decisions, tuning, holdout, promotion")
