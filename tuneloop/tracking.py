"""MLflow set-up (SQLite store by default) and the per-trial nested runs."""

from __future__ import annotations

import json
import queue
import threading
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


def setup(cfg: MlflowConfig, root: Path) -> str:
    """Point MLflow at the configured store; return the experiment id (created if needed)."""
    import mlflow

    from tuneloop import promotion

    promotion.STORE_ATTEMPTS = cfg.store_retries
    uri = resolve_uri(cfg.tracking_uri, root)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    try:
        # Opening the store runs MLflow's migrations: a locked store fails here already.
        client = promotion.with_retries(mlflow.MlflowClient)
        exp = promotion.with_retries(lambda: client.get_experiment_by_name(cfg.experiment))
        if exp is None:
            artifacts = (root / cfg.artifact_root).resolve()
            artifacts.mkdir(parents=True, exist_ok=True)
            experiment_id = promotion.with_retries(lambda: client.create_experiment(
                cfg.experiment, artifact_location=artifacts.as_uri()))
        else:
            experiment_id = exp.experiment_id
        mlflow.set_experiment(experiment_id=experiment_id)
    except TuneloopError:
        raise
    except Exception as exc:  # a store that cannot be opened, migrated or written
        raise promotion.store_error(exc, f"open the tracking store (mlflow.tracking_uri "
                                         f"{cfg.tracking_uri})") from None
    return experiment_id


def flat_params(params: dict[str, Any]) -> dict[str, str]:
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}


class TrialLog:
    """Logs each finished trial as a nested run under the study's parent run.

    Called by the study runner on its own thread, so MLflow is never written concurrently.
    """

    def __init__(self, experiment_id: str, parent_run_id: str,
                 extra_tags: dict[str, str] | None = None) -> None:
        import mlflow

        self._client = mlflow.MlflowClient()
        self._experiment_id = experiment_id
        self._parent = parent_run_id
        self._extra_tags = dict(extra_tags or {})  # e.g. lineage: which data, code, params

    def __call__(self, outcome: TrialOutcome) -> None:
        from mlflow.entities import Metric, Param, RunTag

        tags = {**self._extra_tags,
                "mlflow.parentRunId": self._parent, "tuneloop.trial_id": str(outcome.id),
                "tuneloop.status": outcome.status, "tuneloop.attempt": str(outcome.attempt)}
        if outcome.rung is not None:
            tags["tuneloop.rung"] = str(outcome.rung)
        if outcome.refines is not None:
            tags["tuneloop.refines"] = str(outcome.refines)
        run = self._client.create_run(self._experiment_id, run_name=f"trial-{outcome.id}",
                                      tags=tags)
        params = {**flat_params(outcome.params), "seed": str(outcome.seed)}
        metrics = [Metric(k, float(v), 0, 0)
                   for k, v in {**outcome.metrics, "duration_s": outcome.seconds}.items()]
        if outcome.value is not None:
            metrics.append(Metric("value", float(outcome.value), 0, 0))
        # Intermediate scores at each rung, as the history of one metric stepped by
        # rounds/epochs, so the MLflow UI draws the learning curve the pruner saw.
        metrics += [Metric("rung_value", float(v), 0, int(step))
                    for step, v in outcome.intermediate]
        run_tags = [RunTag("tuneloop.error", outcome.error[:4000])] if outcome.error else []
        self._client.log_batch(run.info.run_id, metrics=metrics,
                               params=[Param(k, v) for k, v in params.items()], tags=run_tags)
        status = {"ok": "FINISHED", "pruned": "KILLED"}.get(outcome.status, "FAILED")
        self._client.set_terminated(run.info.run_id, status)


_STOP = object()


class BackgroundTrialLog:
    """Hands each finished trial to `log` on one background thread, in order.

    Why: a trial's MLflow run costs ~20 ms of SQLite writes; on the runner's thread that delays
    the next proposal by as much, which was half of the tune stage's own overhead. close()
    waits until everything is logged and re-raises the first logging error, so nothing is lost
    or failed silently; after an error the rest is still journalled but no longer logged.
    """

    def __init__(self, log: Callable[[TrialOutcome], None]) -> None:
        self._log = log
        self._queue: queue.Queue[Any] = queue.Queue()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._drain, name="trial-log", daemon=True)
        self._thread.start()

    def __call__(self, outcome: TrialOutcome) -> None:
        self._queue.put(outcome)

    def _drain(self) -> None:
        while (item := self._queue.get()) is not _STOP:
            if self._error is None:
                try:
                    self._log(item)
                except BaseException as exc:  # re-raised by close() on the caller's thread
                    self._error = exc

    def close(self, raise_error: bool = True) -> None:
        self._queue.put(_STOP)
        self._thread.join()
        if self._error is not None and raise_error:
            raise self._error
