"""MLflow set-up (SQLite store by default) and the per-trial nested runs."""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tuneloop.config import MlflowConfig
from tuneloop.errors import TuneloopError
from tuneloop.search.trial import TrialOutcome

SQLITE_PREFIX = "sqlite:///"


def resolve_uri(uri: str, root: Path) -> str:
    """A relative SQLite path is relative to the project root, not to the working directory."""
    if uri.startswith(SQLITE_PREFIX) and not uri[len(SQLITE_PREFIX):].startswith("/"):
        db = (root / uri[len(SQLITE_PREFIX):]).resolve()
        db.parent.mkdir(parents=True, exist_ok=True)
        return SQLITE_PREFIX + str(db)
    return uri


# The UI opens an experiment without this tag in GenAI mode (traces, prompts): a tuning
# project is classical model development.
EXPERIMENT_KIND = {"mlflow.experimentKind": "custom_model_development"}


def setup(cfg: MlflowConfig, root: Path) -> str:
    """Point MLflow at the configured store; return the experiment id (created if needed)."""
    import mlflow

    from tuneloop import promotion

    promotion.STORE_ATTEMPTS = cfg.store_retries
    # A new store's "Creating initial MLflow database tables..." is MLflow talking to itself.
    for name in ("mlflow.store.db.utils", "alembic.runtime.migration"):
        logging.getLogger(name).setLevel(logging.WARNING)
    uri = resolve_uri(cfg.tracking_uri, root)
    artifacts = (root / cfg.artifact_root).resolve()
    from tuneloop.preflight import lost_store

    lost_store(uri, artifacts)  # before MLflow makes an empty one in its place
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    try:
        # Opening the store runs MLflow's migrations: a locked store fails here already.
        client = promotion.with_retries(mlflow.MlflowClient)
        exp = promotion.with_retries(lambda: client.get_experiment_by_name(cfg.experiment))
        if exp is None:
            artifacts.mkdir(parents=True, exist_ok=True)
            experiment_id = promotion.with_retries(lambda: client.create_experiment(
                cfg.experiment, artifact_location=artifacts.as_uri(), tags=EXPERIMENT_KIND))
        else:
            experiment_id = exp.experiment_id
            if exp.tags.get("mlflow.experimentKind") is None:
                promotion.with_retries(lambda: client.set_experiment_tag(
                    experiment_id, *next(iter(EXPERIMENT_KIND.items()))))
            if exp.artifact_location != artifacts.as_uri():
                from tuneloop.relocation import follow_the_project

                follow_the_project(uri, root, cfg.artifact_root, exp.artifact_location,
                                   artifacts)
        mlflow.set_experiment(experiment_id=experiment_id)
    except TuneloopError:
        raise
    except Exception as exc:  # a store that cannot be opened, migrated or written
        raise promotion.store_error(exc, f"open the tracking store (mlflow.tracking_uri "
                                         f"{cfg.tracking_uri})") from None
    return experiment_id


def name_run(root: Path, kind: str, lineage: dict[str, str], mode: str | None = None) -> str:
    """Name the active run after the project, what it is, the data it saw and what started
    it (e.g. `churn-study-3f2a9c1e-drift`), and tag the trigger for searching."""
    import mlflow

    from tuneloop import trigger
    from tuneloop.lineage import DATASET_VERSION

    started_by = trigger.current()
    name = f"{root.resolve().name}-{kind}-{lineage.get(DATASET_VERSION, 'none')[:8]}-{started_by}"
    mlflow.set_tags({"mlflow.runName": name, "tuneloop.trigger": started_by,
                     "tuneloop.run_kind": kind, **({"tuneloop.tune_mode": mode} if mode else {})})
    return name


def log_inputs(root: Path, splits_dir: str, frames: dict[str, tuple[Any, str]],
               lineage: dict[str, str]) -> None:
    """The data the run saw, as MLflow dataset inputs: one per split file, its digest the
    file's md5 (DVC's hash of it), its source the path in the project, tagged with the
    training window's dataset version."""
    import mlflow
    from mlflow.data import from_pandas

    from tuneloop.io import file_md5
    from tuneloop.lineage import DATASET_VERSION

    for split, (frame, context) in frames.items():
        path = root / splits_dir / f"{split}.parquet"
        digest = file_md5(path) if path.is_file() else None
        source = dvc_source(f"{splits_dir}/{split}.parquet", digest)
        dataset = from_pandas(integer_safe(frame), source=source,
                              name=f"{root.resolve().name}-{split}", digest=digest)
        mlflow.log_input(dataset, context=context,
                         tags={DATASET_VERSION: lineage.get(DATASET_VERSION, "none")})


def dvc_source(path: str, md5: str | None) -> Any:
    """A dataset source that says where the rows are: a file inside the project, versioned by
    DVC under this md5 (`dvc get`/`tuneloop lineage` bring it back). A plain path string would
    be stored as an absolute local-artifact URI and warn that it reads several ways."""
    from mlflow.data.dataset_source import DatasetSource

    class DvcDatasetSource(DatasetSource):
        def __init__(self, path: str, md5: str | None) -> None:
            self.path, self.md5 = path, md5

        @staticmethod
        def _get_source_type() -> str:
            return "dvc"

        def load(self, **kwargs: Any) -> Any:
            raise NotImplementedError("restore the file with DVC (tuneloop lineage)")

        @staticmethod
        def _can_resolve(raw_source: Any) -> bool:
            return False

        @classmethod
        def _resolve(cls, raw_source: Any) -> Any:
            raise NotImplementedError

        def to_dict(self) -> dict[str, Any]:
            return {"path": self.path, "md5": self.md5}

        @classmethod
        def from_dict(cls, source_dict: dict[str, Any]) -> Any:
            return cls(source_dict.get("path", ""), source_dict.get("md5"))

    return DvcDatasetSource(path, md5)


def integer_safe(frame: Any) -> Any:
    """Integer columns as floats for MLflow's schema: an integer column cannot hold a missing
    value, and MLflow warns on every logged schema that has one (new rows may well miss it)."""
    import pandas as pd

    ints = [c for c in frame.columns if pd.api.types.is_integer_dtype(frame[c].dtype)]
    return frame.astype(dict.fromkeys(ints, "float64")) if ints else frame


def flat_params(params: dict[str, Any]) -> dict[str, str]:
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}


# The MLflow run status of each trial state. A pruned trial did what it was asked (the pruner
# stopped it): FINISHED with its state in a tag, never a red KILLED that reads as a crash.
RUN_STATUS = {"ok": "FINISHED", "pruned": "FINISHED", "failed": "FAILED"}
STATE_TAG = "tuneloop.state"  # ok | pruned | failed, the journal's own word
STUDY_TAG = "tuneloop.study_id"  # the study a trial run belongs to (its journal's header)


class TrialLog:
    """Logs each finished trial as a nested run under the study's parent run.

    Called by the study runner on its own thread, so MLflow is never written concurrently.
    The run's start and end are the trial's own (end = when the runner received it, start =
    end - the trial's seconds), not the time of logging, so the UI's duration is the trial's.
    """

    def __init__(self, experiment_id: str, parent_run_id: str,
                 extra_tags: dict[str, str] | None = None, metric: str | None = None) -> None:
        import mlflow

        self._client = mlflow.MlflowClient()
        self._experiment_id = experiment_id
        self._parent = parent_run_id
        self._extra_tags = dict(extra_tags or {})  # e.g. lineage: which data, code, params
        # `value` and `rung_value` are logged in this metric's own terms (the study maximises,
        # a loss negated: a pruned log loss trial's only score read -0.94, sweep 51c F1).
        self._metric = metric

    def __call__(self, outcome: TrialOutcome, finished_at: float | None = None) -> None:
        from mlflow.entities import Metric, Param, RunTag

        end = time.time() if finished_at is None else finished_at
        start_ms, end_ms = int((end - outcome.seconds) * 1000), int(end * 1000)
        tags = {**self._extra_tags,
                "mlflow.parentRunId": self._parent, "tuneloop.trial_id": str(outcome.id),
                STATE_TAG: outcome.status,
                "tuneloop.attempt": str(outcome.attempt)}
        if outcome.rung is not None:
            tags["tuneloop.rung"] = str(outcome.rung)
        if self._metric is not None:
            tags["tuneloop.metric"] = self._metric  # what `value` and `rung_value` measure
        if outcome.refines is not None:
            tags["tuneloop.refines"] = str(outcome.refines)
        run = self._client.create_run(self._experiment_id, run_name=f"trial-{outcome.id}",
                                      start_time=start_ms, tags=tags)
        params = {**flat_params(outcome.params), "seed": str(outcome.seed)}
        metrics = [Metric(k, float(v), end_ms, 0)
                   for k, v in {**outcome.metrics, "duration_s": outcome.seconds}.items()]
        if outcome.value is not None:
            metrics.append(Metric("value", self._own(outcome.value), end_ms, 0))
        # Intermediate scores at each rung, as the history of one metric stepped by
        # rounds/epochs, so the MLflow UI draws the learning curve the pruner saw.
        metrics += [Metric("rung_value", self._own(v), end_ms, int(step))
                    for step, v in outcome.intermediate]
        run_tags = [RunTag("tuneloop.error", outcome.error[:4000])] if outcome.error else []
        self._client.log_batch(run.info.run_id, metrics=metrics,
                               params=[Param(k, v) for k, v in params.items()], tags=run_tags)
        self._client.set_terminated(run.info.run_id, RUN_STATUS.get(outcome.status, "FAILED"),
                                    end_time=end_ms)


    def _own(self, value: float) -> float:
        from tuneloop.metrics import to_maximise

        return float(value) if self._metric is None else to_maximise(self._metric, float(value))


_STOP = object()


class BackgroundTrialLog:
    """Hands each finished trial to `log` on one background thread, in order.

    Why: a trial's MLflow run costs ~20 ms of SQLite writes; on the runner's thread that delays
    the next proposal by as much, which was half of the tune stage's own overhead. close()
    waits until everything is logged and re-raises the first logging error, so nothing is lost
    or failed silently; after an error the rest is still journalled but no longer logged. What
    a killed process still held here is logged when the study resumes (unlogged_trials).
    """

    def __init__(self, log: Callable[[TrialOutcome, float], None]) -> None:
        self._log = log
        self._queue: queue.Queue[Any] = queue.Queue()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._drain, name="trial-log", daemon=True)
        self._thread.start()

    def __call__(self, outcome: TrialOutcome) -> None:
        self._queue.put((outcome, time.time()))  # when the runner received it: the trial's end

    def _drain(self) -> None:
        while (item := self._queue.get()) is not _STOP:
            if self._error is None:
                try:
                    self._log(*item)
                except BaseException as exc:  # re-raised by close() on the caller's thread
                    self._error = exc

    def close(self, raise_error: bool = True) -> None:
        self._queue.put(_STOP)
        self._thread.join()
        if self._error is not None and raise_error:
            raise self._error


def unlogged_trials(experiment_id: str, study_id: str,
                    events: list[dict[str, Any]]) -> list[tuple[TrialOutcome, float]]:
    """The journal's finished trials that have no complete trial run of study `study_id` in
    MLflow, with the time each finished: what a killed study's background log still held (the
    journal has every finished trial; MLflow may miss the last few). A trial run the kill cut
    between its creation and its end (left RUNNING, or KILLED by recovery) is deleted: the
    trial is logged again whole. A resumed study logs these first."""
    from datetime import datetime

    import mlflow

    client = mlflow.MlflowClient()
    logged: set[str] = set()
    token: str | None = None
    while True:
        page = client.search_runs([experiment_id], f"tags.`{STUDY_TAG}` = '{study_id}'",
                                  max_results=5_000, page_token=token)
        for run in page:
            if run.info.status in ("FINISHED", "FAILED"):
                logged.add(str(run.data.tags.get("tuneloop.trial_id")))
            else:
                client.delete_run(run.info.run_id)
        token = page.token
        if not token:
            break
    return [(TrialOutcome.from_dict(e), datetime.fromisoformat(e["at"]).timestamp())
            for e in events
            if e.get("event") == "finished" and str(e["id"]) not in logged and e.get("at")]
