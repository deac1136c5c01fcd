"""SIGTERM (a scheduler's stop, `kill`, a container shutting down) stops `tuneloop run` as
Ctrl-C does: one line, exit status 143, the temporary Prefect server it started stopped with
it, and the run a row of `tuneloop history` (status "stopped").

Sweep 7: the default action ended the CLI on the spot; its temporary API server (uvicorn) was
left running with no parent, and the run was missing from the history."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil

from tests.conftest import make_project
from tuneloop import jsonl

TUNELOOP = Path(sys.executable).with_name("tuneloop")


def test_sigterm_stops_the_run_and_its_server_and_is_recorded(tmp_path: Path) -> None:
    # Enough trials that the run is still tuning when the signal comes.
    project = make_project(tmp_path / "project", {"tune.n_trials": 40, "tune.n_workers": 1})
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "PREFECT_"))}
    env.update({"PATH": f"{TUNELOOP.parent}:{os.environ['PATH']}",
                "PREFECT_HOME": str(tmp_path / "prefect-home")})
    err = tmp_path / "run.err"
    with err.open("wb") as stderr:
        proc = subprocess.Popen([str(TUNELOOP), "run", "--root", str(project)],
                                stdout=subprocess.DEVNULL, stderr=stderr, env=env)
        deadline = time.monotonic() + 600
        while "trial 0:" not in err.read_text(errors="replace"):
            assert proc.poll() is None, err.read_text(errors="replace")[-3000:]
            assert time.monotonic() < deadline, "no trial finished in 10 minutes"
            time.sleep(0.5)
        children = psutil.Process(proc.pid).children(recursive=True)
        assert any("uvicorn" in " ".join(c.cmdline()) for c in children)  # the API server
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=120)
    log = err.read_text(errors="replace")
    assert rc == 128 + signal.SIGTERM, log[-3000:]
    assert "\ntuneloop: stopped by SIGTERM\n" in log, log[-3000:]
    assert "Stopping temporary server" in log
    gone, alive = psutil.wait_procs(children, timeout=30)
    assert not alive, [" ".join(p.cmdline()) for p in alive]
    last = jsonl.read(project / ".tuneloop" / "runs.jsonl", "run history")[-1]
    assert last["status"] == "stopped"  # on purpose: no run_failed alert
    assert last["error"] == f"TerminationSignal: stopped by signal {int(signal.SIGTERM)}"
