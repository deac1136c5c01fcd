"""Chaos: `tuneloop run` killed with SIGKILL at 10 random moments, each followed by a plain
`tuneloop run`, leaves a consistent project every time (tests/project_checks.py).

The project is the bundled flights one on small slices of real months, policy `every` (each new
batch retrains, so a run goes through every stage). After the first window (months 1-6) one
full run with a new batch is timed (T); then each round drops a new batch (a part of a month
from July on), starts `tuneloop run` in its own session, kills the whole process group (the CLI
and its dvc and git children) after a delay drawn within (0.05 T, 0.95 T), and runs
`tuneloop run` again to completion. The delays are stratified (one drawn in
each tenth of that range, in shuffled order), so the 10 kills spread over the whole run.

Slow (about 20-40 minutes on 2 busy cores). Reproduce a draw with TUNELOOP_CHAOS_SEED=N; the
summary table is printed (pytest -s shows it). Every round runs even after one fails, and the
test fails at the end if any did.
"""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import make_project, month_file, raw_month
from tests.project_checks import problems
from tuneloop import jsonl
from tuneloop.io import file_md5

SEED = int(os.environ.get("TUNELOOP_CHAOS_SEED", "20240613"))
ROUNDS = int(os.environ.get("TUNELOOP_CHAOS_ROUNDS", "10"))  # 10: the figure
TUNELOOP = Path(sys.executable).with_name("tuneloop")
RUN_TIMEOUT_S = 1200
# The flow's tasks in the order a retraining run runs them (flows/loop.py); trials run in tune.
STAGES = ("preflight", "recover", "ingest", "dataset", "drift", "version", "champion", "split",
          "tune", "evaluate", "promote", "plots", "record", "lineage", "record retrain")
FINISHED = re.compile(r"Task run '(?P<task>.+?)-[0-9a-f]{3}' - Finished in state")
TRIAL = re.compile(r"Task run 'trial-\d+'")


# The batches the rounds drop, as (month, first day, last day): July to December in parts of
# ~350-1,100 rows with no flight twice. Parts, not whole months, to have 11 new batches; cut
# where each part passes the suite (the second half of August lacks wind_gust, December's
# parts lack weather rows; each whole month passes).
PARTS = ((7, 1, 15), (7, 16, 31), (8, 1, 10), (8, 11, 31), (9, 1, 15), (9, 16, 30),
         (10, 1, 15), (10, 16, 31), (11, 1, 15), (11, 16, 30), (12, 1, 31))


def write_part(incoming: Path, month: int, first: int, last: int) -> Path:
    raw = raw_month(month)
    part = raw[(raw["day"] >= first) & (raw["day"] <= last)]
    incoming.mkdir(parents=True, exist_ok=True)
    path = incoming / month_file(month).name.replace(".parquet", f"-{first:02d}.parquet")
    part.to_parquet(path, index=False)
    return path


def environment(home: Path, api_url: str) -> dict[str, str]:
    """A plain `tuneloop run` against a running Prefect API (the session's test server), as a
    project with a Prefect server runs it: a temporary server per command would take 10-25 s
    of each run on busy cores, and the kills are meant for the loop's stages. A Prefect home of
    this test's: a killed client then touches nothing shared."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "PREFECT_"))}
    env.update({"PATH": f"{TUNELOOP.parent}:{os.environ['PATH']}", "DVC_NO_ANALYTICS": "1",
                "PREFECT_HOME": str(home), "PREFECT_API_URL": api_url})
    return env


@dataclass
class Run:
    rc: int
    seconds: float
    stdout: str
    stderr: str

    def recovered(self) -> list[str]:
        return [line.split("recovered:", 1)[1].strip() for line in self.stderr.splitlines()
                if "recovered:" in line]


def run_loop(project: Path, env: dict[str, str]) -> Run:
    started = time.monotonic()
    done = subprocess.run([str(TUNELOOP), "run", "--root", str(project)], capture_output=True,
                          text=True, env=env, timeout=RUN_TIMEOUT_S)
    return Run(done.returncode, time.monotonic() - started, done.stdout, done.stderr)


def stage_at(log: str) -> str:
    """The stage a run was in when its log stopped: the one after the last task it finished
    (Prefect logs a task's end, not its start)."""
    if "Beginning flow run" not in log:
        return "startup"
    if re.search(r"Flow run '[^']+' - Finished in state", log):
        return "exiting"
    finished = [m.group("task") for m in FINISHED.finditer(log)]
    last = next((t for t in reversed(finished) if t in STAGES), None)
    if last is None:
        return STAGES[0]
    after = STAGES[STAGES.index(last) + 1] if last != STAGES[-1] else "exiting"
    tail = log[log.rfind(f"Task run '{last}-"):]
    return "tune" if TRIAL.search(tail) else after


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the process group (its own session: the CLI and every child) and reap it."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # children die with it; wait until they are gone
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)


@dataclass
class Round:
    number: int
    batch: str
    delay: float
    stage: str = ""
    killed_rc: str = ""
    follow_rc: int | None = None
    follow_s: float = 0.0
    recovered: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def summary(rounds: list[Round], calibration: float) -> str:
    lines = [f"chaos: seed {SEED}, T = {calibration:.1f} s (one full retraining run), "
             f"kills drawn in ({0.05 * calibration:.1f}, {0.95 * calibration:.1f}) s",
             f"{'#':>2}  {'batch':<30} {'kill s':>6}  {'stage at kill':<15} {'killed':<9} "
             f"{'rc':>3} {'run s':>6}  {'recovered':>9}  consistent"]
    for r in rounds:
        lines.append(f"{r.number:>2}  {r.batch:<30} {r.delay:>6.1f}  {r.stage:<15} "
                     f"{r.killed_rc:<9} {r.follow_rc!s:>3} {r.follow_s:>6.1f}  "
                     f"{len(r.recovered):>9}  {'yes' if not r.failures else 'NO'}")
    for r in rounds:
        for line in r.recovered:
            lines.append(f"  round {r.number} recovered: {line}")
        for line in r.failures:
            lines.append(f"  round {r.number} FAILED: {line}")
    return "\n".join(lines)


@pytest.mark.slow
def test_sigkill_at_random_moments_then_a_plain_run_leaves_a_consistent_project(
        prefect_server: None, tmp_path: Path) -> None:
    from prefect.settings import PREFECT_API_URL

    rng = random.Random(SEED)
    env = environment(tmp_path / "prefect-home", str(PREFECT_API_URL.value()))
    logs = tmp_path / "logs"
    logs.mkdir()
    project = make_project(tmp_path / "project", {"policy.name": "every"})
    incoming = project / "data" / "incoming"
    batches = list(PARTS)

    first = run_loop(project, env)  # the first window, months 1-6: a cold tune
    assert first.rc == 0, first.stderr[-5000:]
    assert (found := problems(project)) == [], found
    # T: a full run of what each round kills: one new batch, decided, warm re-tune, gate.
    write_part(incoming, *batches.pop(0))
    timed = run_loop(project, env)
    assert timed.rc == 0, timed.stderr[-5000:]
    assert "warm tune" in timed.stdout, timed.stdout
    assert (found := problems(project)) == [], found
    calibration = timed.seconds
    edges = [calibration * (0.05 + 0.9 * i / ROUNDS) for i in range(ROUNDS + 1)]
    delays = [rng.uniform(lo, hi) for lo, hi in zip(edges, edges[1:], strict=False)]
    rng.shuffle(delays)

    rounds = []
    for number, delay in enumerate(delays, start=1):
        batch = write_part(incoming, *batches.pop(0))
        this = Round(number, batch.name, delay)
        rounds.append(this)
        out, err = logs / f"{number:02d}-killed.out", logs / f"{number:02d}-killed.err"
        with out.open("wb") as stdout, err.open("wb") as stderr:
            proc = subprocess.Popen([str(TUNELOOP), "run", "--root", str(project)],
                                    stdout=stdout, stderr=stderr, env=env,
                                    start_new_session=True)
            try:
                this.killed_rc = f"exit {proc.wait(timeout=delay)}"  # it finished first
            except subprocess.TimeoutExpired:
                kill_group(proc)
                this.killed_rc = "SIGKILL"
        this.stage = stage_at(err.read_text(errors="replace"))

        follow = run_loop(project, env)
        (logs / f"{number:02d}-follow.err").write_text(follow.stderr)
        this.follow_rc, this.follow_s, this.recovered = follow.rc, follow.seconds, \
            follow.recovered()
        if follow.rc != 0:
            this.failures.append(f"the plain run after the kill exited {follow.rc}:\n"
                                 f"{follow.stdout[-2000:]}\n{follow.stderr[-6000:]}")
        try:
            this.failures += problems(project)
        except Exception as exc:  # noqa: BLE001 - a check that cannot read is a failure too
            this.failures.append(f"the consistency check itself failed: "
                                 f"{type(exc).__name__}: {exc}")
        ledger = jsonl.read(project / "data" / "arrivals.jsonl", "batch ledger")
        md5 = file_md5(batch)
        if not any(e["md5"] == md5 and e["accepted"] for e in ledger):
            this.failures.append(f"{batch.name}: not accepted in the batch ledger after the "
                                 "kill and the plain run")
        print(f"chaos round {number}: kill at {delay:.1f} s in {this.stage} "
              f"({this.killed_rc}); plain run exit {follow.rc} in {follow.seconds:.1f} s; "
              f"{len(this.failures)} problem(s)", flush=True)

    table = summary(rounds, calibration)
    print("\n" + table, flush=True)
    assert not any(r.failures for r in rounds), table
