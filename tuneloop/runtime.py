"""Process defaults, applied on import unless the user set the variable themselves."""

import faulthandler
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

_DEFAULTS = {
    # Telemetry of the stack off: users expect no phoning home.
    "DO_NOT_TRACK": "true",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DVC_NO_ANALYTICS": "1",
    "GX_ANALYTICS_ENABLED": "false",
    "GIT_PYTHON_REFRESH": "quiet",
    # LightGBM's OpenMP threads spin while waiting; when anything else wants the cores (a second
    # trial, a Prefect server, another job) a 0.2 s fit was measured here taking 72 s.
    # Passive waiting costs little when the cores are free and avoids that collapse.
    "OMP_WAIT_POLICY": "PASSIVE",
    # The ephemeral Prefect API migrates a fresh database on first start; on 2 busy cores that
    # was seen to exceed Prefect's 20 s default and fail the run.
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
    # Prefect's server records task runs from their events; by default it writes each event in
    # its own statement (batch size 1), which cost its server ~23 ms of CPU per trial at 64
    # trials a second (bench/scale.py), more than the flow's own orchestration. Batched, it
    # costs ~9 ms; a task run's state reaches the UI within the flush interval (1 s).
    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_BATCH_SIZE": "100",
    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_FLUSH_INTERVAL": "1",
    # MLflow draws a tqdm bar for every artifact download (loading the champion): in a log
    # file that is a line of carriage returns per load.
    "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
}


def apply_defaults() -> None:
    for name, value in _DEFAULTS.items():
        os.environ.setdefault(name, value)
    home = os.environ.get("PREFECT_HOME")
    if home:
        # Prefect creates its home but not the folders above it: with a missing parent the
        # ephemeral server's database could not be opened, and a run retried for 2 minutes
        # before a traceback. A folder that cannot be made is left to Prefect to report.
        try:
            os.makedirs(os.path.expanduser(home), exist_ok=True)
        except OSError:
            pass


def enable_crash_traces() -> None:
    """For the command-line entry points: a native crash (a segmentation fault in a compiled
    library) prints every thread's Python stack before the process dies, instead of only the
    shell's "Segmentation fault"; MLflow's deprecation warnings are not shown. Not done on
    import: a library user's process is theirs."""
    if not faulthandler.is_enabled():
        faulthandler.enable()
    # Deprecations inside MLflow are its maintainers' to fix, not the user's: a run printed
    # pandas' Pandas4Warning from MLflow's own select_dtypes call (sweep 45a).
    for category in (DeprecationWarning, FutureWarning):
        warnings.filterwarnings("ignore", category=category, module=r"mlflow(\.|$)")


def settle_temporary_server(api_url: str | None) -> None:
    """Before a command's temporary Prefect server stops: wait out the task-run recorder's
    flush interval, so the last events of the flow it just ran are written. Stopped 14 ms after
    the flow finished, the server cancelled a flush mid-way: "Error flushing 13 events", an
    80-line traceback after a run that succeeded, and those task runs' last states missing
    from Prefect's history (sweep 21, about 1 run in 15). `api_url`: configured_api_url() as
    it was before the flow started; a server of one's own keeps running, and nothing is waited
    for."""
    import time

    if api_url:
        return
    try:
        interval = float(os.environ.get(
            "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_FLUSH_INTERVAL", "1"))
    except ValueError:
        interval = 1.0
    # The client's events reach the server within about a second; then one whole interval.
    time.sleep(1.0 + min(interval, 10.0))


def configured_api_url() -> str | None:
    """The Prefect API a flow will report to (environment or profile), or None: a temporary
    server, started for the command and stopped with it."""
    try:
        from prefect.settings import get_current_settings

        return get_current_settings().api.url or None
    except Exception:  # noqa: BLE001 - a settings error is Prefect's to report, in the flow
        return os.environ.get("PREFECT_API_URL") or None


@contextmanager
def temporary_server_settled() -> Iterator[None]:
    """Around the flow a command runs: the API it reports to is read before the flow starts
    (configured_api_url), and once the flow returns or fails with an error, a temporary server
    is given its flush interval (settle_temporary_server). An interrupt exits at once."""
    api_url = configured_api_url()
    try:
        yield
    except Exception:
        settle_temporary_server(api_url)
        raise
    settle_temporary_server(api_url)
