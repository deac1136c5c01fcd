"""Screenshots of what a run leaves in the tools users open: the MLflow runs page and registered
model, the Prefect flow run with its artifacts, the Great Expectations Data Docs.

    .venv/bin/python -m bench.screenshots --project DIR --out docs/screenshots

DIR is a project where the loop has run (`make run` / `tuneloop run`). The script starts the
MLflow UI on the project's own store and a Prefect server on the project's Prefect home
(DIR/.tuneloop/prefect, where the Makefile's PREFECT_HOME keeps the ephemeral server's history),
both on 127.0.0.1 and free ports; it drives headless Chromium over the DevTools protocol (the
single-page apps are waited for by what they show, not by a fixed time), stops every process it
started (also on error) and prints one line per PNG written. The project is only read, but for
what the servers do to their own stores on start (migrations, if the stack was upgraded).
Not a test; ~1-2 min on 2 busy cores.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tuneloop.config import PARAMS_FILE, Params, load_params
from tuneloop.errors import TuneloopError
from tuneloop.tracking import SQLITE_PREFIX

BIN = Path(sys.executable).parent
FLOW_NAME = "tuneloop"  # flows/loop.py's flow: its newest run is photographed
TELEMETRY_OFF = {"DO_NOT_TRACK": "true", "MLFLOW_DISABLE_TELEMETRY": "true",
                 "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
# `mlflow server` also starts a job runner and seven huey consumers (GenAI scorers, periodic
# tasks): nothing a page view needs, and a load on two cores.
MLFLOW_SERVER_ENV = {"MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--hide-scrollbars",
                  "--remote-debugging-port=0"]
# The MLflow UI keeps its choices in localStorage (`<key>_v<version>`, JSON values). A fresh
# browser profile would open the GenAI side of the app with the assistant panel auto-opened
# over a third of the page; these are what a user gets after one click on "Model training"
# and closing the panel.
MLFLOW_UI_STORAGE = {"mlflow.workflowType_v1": "machine_learning",
                     "mlflow.assistant.fab.autoOpenedOnFirstLoad_v1": True,
                     "mlflow.assistant.panelOpen_v1": False,
                     "mlflow.detectIssues.guidanceShown_v1": True}
# Trial metrics worth a column of the runs table, in this order, when the trials log them.
TRIAL_COLUMNS = ("value", "rounds_trained", "best_iteration")
STATE_TAG = "tuneloop.state"


class ScreenshotError(TuneloopError):
    """A server did not start, a page is missing or Chromium failed."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_json(url: str, body: dict[str, Any] | None = None, what: str = "") -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"null")
    except urllib.error.HTTPError as err:
        detail = err.read().decode(errors="replace")[:300]
        raise ScreenshotError(f"{what or url}: HTTP {err.code} {detail}") from None


def stop(proc: subprocess.Popen[bytes], grace_s: float = 10.0) -> None:
    """TERM the process group, KILL it if it lingers: both servers and Chromium fork
    children of their own."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=grace_s)
            return
        except subprocess.TimeoutExpired:
            continue


@contextlib.contextmanager
def started(name: str, cmd: list[str], env: dict[str, str], logs: Path) -> Iterator[
        subprocess.Popen[bytes]]:
    with (logs / f"{name}.log").open("wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=logs,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        yield proc
    finally:
        stop(proc)


def wait_healthy(name: str, proc: subprocess.Popen[bytes], url: str, log: Path,
                 timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        if proc.poll() is not None:
            raise ScreenshotError(f"{name} server exited ({proc.returncode}): "
                                  f"{log.read_text(errors='replace')[-800:]}")
        with contextlib.suppress(urllib.error.URLError, ConnectionError, TimeoutError):
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        if time.monotonic() > deadline:
            raise ScreenshotError(f"{name} server: no answer from {url} after "
                                  f"{timeout_s:.0f} s (log: {log})")
        time.sleep(0.5)


class Browser:
    """One headless Chromium page, driven over the DevTools protocol."""

    def __init__(self, proc: subprocess.Popen[bytes], profile: Path, size: tuple[int, int]):
        from websockets.sync.client import connect  # a Prefect dependency

        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.is_file() and port_file.read_text().strip()):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise ScreenshotError("chromium did not open its DevTools port")
            time.sleep(0.1)
        port = port_file.read_text().split()[0]
        pages = [t for t in http_json(f"http://127.0.0.1:{port}/json/list") if t["type"] == "page"]
        self._ws = connect(pages[0]["webSocketDebuggerUrl"], max_size=None, open_timeout=30)
        self._id = 0
        self._seed: str | None = None
        self.call("Page.enable")
        self.call("Emulation.setDeviceMetricsOverride", width=size[0], height=size[1],
                  deviceScaleFactor=1, mobile=False)

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self._id += 1
        self._ws.send(json.dumps({"id": self._id, "method": method, "params": params}))
        while True:  # events arrive in between; only the answer to this call matters
            message = json.loads(self._ws.recv(timeout=60))
            if message.get("id") == self._id:
                if "error" in message:
                    raise ScreenshotError(f"chromium {method}: {message['error']}")
                return message["result"]

    def eval(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")

    def open(self, url: str, storage: dict[str, Any]) -> None:
        """Navigate to `url` with these localStorage entries written before any page script
        runs, so the app reads them on its first render."""
        if self._seed is not None:
            self.call("Page.removeScriptToEvaluateOnNewDocument", identifier=self._seed)
        values = json.dumps({k: json.dumps(v) for k, v in storage.items()})
        self._seed = self.call("Page.addScriptToEvaluateOnNewDocument", source=(
            f"try {{ for (const [k, v] of Object.entries({values})) localStorage.setItem(k, v); "
            "} catch (e) {}"))["identifier"]
        self.call("Page.navigate", url=url)

    def wait_for(self, condition: str, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.eval(f"(() => {{ try {{ return !!({condition}); }} catch (e) "
                         "{ return false; } })()"):
                return True
            time.sleep(0.3)
        return False

    def screenshot(self, png: Path) -> None:
        data = self.call("Page.captureScreenshot", format="png")["data"]
        png.parent.mkdir(parents=True, exist_ok=True)
        png.write_bytes(base64.b64decode(data))

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._ws.close()


@contextlib.contextmanager
def chromium(size: tuple[int, int], logs: Path) -> Iterator[Browser]:
    exe = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"
    with tempfile.TemporaryDirectory(prefix="tuneloop-chromium-") as tmp:
        profile = Path(tmp)  # fresh: no state of an earlier run or of the user's browser
        cmd = [exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
               f"--window-size={size[0]},{size[1]}", "about:blank"]
        with started("chromium", cmd, dict(os.environ), logs) as proc:
            browser = Browser(proc, profile, size)
            try:
                yield browser
            finally:
                browser.close()


@dataclass(frozen=True)
class Shot:
    """A page to photograph: ready when `ready` (a JS expression) holds; `click` (JS) runs
    then, and the picture waits for `then` too."""
    name: str
    url: str
    ready: str
    click: str | None = None
    then: str | None = None
    storage: dict[str, Any] = field(default_factory=dict)
    settle_s: float = 1.5  # charts and late fonts after the content is there


def js_text(text: str) -> str:
    return f"document.body.innerText.includes({json.dumps(text)})"


def mlflow_shots(base: str, params: Params) -> list[Shot]:
    experiment = http_json(f"{base}/api/2.0/mlflow/experiments/get-by-name?"
                           + urllib.parse.urlencode({"experiment_name": params.mlflow.experiment}),
                           what=f"mlflow.experiment {params.mlflow.experiment}")
    experiment_id = experiment["experiment"]["experiment_id"]
    runs = http_json(f"{base}/api/2.0/mlflow/runs/search", {
        "experiment_ids": [experiment_id], "max_results": 1000,
        "order_by": ["attributes.start_time DESC"]}).get("runs", [])
    tags = {r["info"]["run_id"]: {t["key"]: t["value"] for t in r["data"].get("tags", [])}
            for r in runs}
    # The newest study: tagged so by the tune stage, else the parent of the newest trial.
    study = next((rid for rid, t in tags.items() if t.get("tuneloop.run_kind") == "study"),
                 next((t["mlflow.parentRunId"] for t in tags.values()
                       if "mlflow.parentRunId" in t), None))
    children = [r for r in runs if study is not None
                and tags[r["info"]["run_id"]].get("mlflow.parentRunId") == study]
    logged = {m["key"] for r in children for m in r["data"].get("metrics", [])}
    columns = ["attributes.`Dataset`", *(f"metrics.`{m}`" for m in TRIAL_COLUMNS if m in logged)]
    if any(STATE_TAG in tags[r["info"]["run_id"]] for r in children):
        columns.append(f"tags.`{STATE_TAG}`")
    # The runs page's own state (what its Columns menu, row expander and column resizing
    # save): the study run opened so its trials (and the candidate) show under it; run names
    # wide enough to read (widths apply to the columns named in the order).
    page_state = {"selectedColumns": columns, "runsExpanded": {study: True} if study else {},
                  "columnOrder": ["0", "attributes.`Run Name`", "runDateAndNestInfo",
                                  "attributes.`Dataset`", "duration", *columns[1:]],
                  "columnWidths": {"attributes.`Run Name`": 320, "attributes.`Dataset`": 200}}
    runs_shot = Shot(
        "mlflow-runs.png", f"{base}/#/experiments/{experiment_id}/runs",
        ready=(f"document.querySelectorAll('.ag-center-cols-container .ag-row').length >= "
               f"{min(len(runs), 3)}"),
        storage={**MLFLOW_UI_STORAGE,
                 f"MLflowLocalStorage-1.1-ExperimentPage-[\"{experiment_id}\"]-"
                 "ReactComponentState": page_state})
    shots = [runs_shot]
    if study:  # the study run's artifacts, served from the project's file:// artifact root
        plot = study_plot(base, study)
        shots.append(Shot(
            "mlflow-study-run.png",
            f"{base}/#/experiments/{experiment_id}/runs/{study}/artifacts/{plot or ''}",
            ready=("Array.from(document.images).some(i => i.complete && i.naturalWidth > 100)"
                   if plot else js_text(tags[study].get("mlflow.runName", study))),
            storage=MLFLOW_UI_STORAGE))
    model = params.promote.model_name
    registered = http_json(f"{base}/api/2.0/mlflow/registered-models/get?"
                           + urllib.parse.urlencode({"name": model}),
                           what=f"promote.model_name {model}")["registered_model"]
    newest = max((int(v["version"]) for v in registered.get("latest_versions", [])), default=0)
    model_shot = Shot("mlflow-model.png", f"{base}/#/models/{urllib.parse.quote(model)}",
                      ready=js_text(f"Version {newest}") if newest else js_text(model),
                      storage=MLFLOW_UI_STORAGE)
    return [*shots, model_shot]


def study_plot(base: str, run_id: str) -> str | None:
    """The study's tuning-history plot (else its first PNG): the artifact the run page opens."""
    pngs: list[str] = []
    folders = [""]
    for _ in range(20):  # a few folders deep is where plots are; a big tree is not walked
        if not folders:
            break
        folder = folders.pop(0)
        query = urllib.parse.urlencode({"run_id": run_id, **({"path": folder} if folder else {})})
        for item in http_json(f"{base}/api/2.0/mlflow/artifacts/list?{query}").get("files", []):
            if item.get("is_dir"):
                folders.append(item["path"])
            elif item["path"].endswith(".png"):
                pngs.append(item["path"])
    return next((p for p in pngs if "history" in p), pngs[0] if pngs else None)


def prefect_shots(base: str) -> list[Shot]:
    runs = http_json(f"{base}/api/flow_runs/filter", {
        "flows": {"name": {"any_": [FLOW_NAME]}}, "sort": "START_TIME_DESC", "limit": 1})
    if not runs:
        raise ScreenshotError(f"no `{FLOW_NAME}` flow run in the Prefect history (has the loop "
                              "run with this PREFECT_HOME?)")
    run = runs[0]
    artifacts = http_json(f"{base}/api/artifacts/filter", {
        "artifacts": {"flow_run_id": {"any_": [run["id"]]}}, "sort": "CREATED_DESC"})
    tab = "document.querySelector('li.p-tab#artifacts')"
    shots = [Shot(
        "prefect-flow-run.png", f"{base}/runs/flow-run/{run['id']}",
        ready=f"{tab} && {js_text(run['name'])}", click=f"{tab}.click()",
        # each artifact a card, or the tab's empty state
        then=(f"document.querySelectorAll('#artifacts-content .artifact-card').length >= "
              f"{min(len(artifacts), 3)} && document.querySelector('#artifacts-content')"),
        settle_s=2.5)]
    # The run's summary (the newest markdown artifact, one keyed `...summary` first), opened
    # on its own page.
    markdown = [a for a in artifacts if a["type"] == "markdown"]
    summary = next((a for a in markdown if (a.get("key") or "").endswith("summary")),
                   markdown[0] if markdown else None)
    if summary is not None:
        shots.append(Shot("prefect-artifact.png", f"{base}/artifacts/artifact/{summary['id']}",
                          ready="document.querySelector('.markdown-renderer')"))
    return shots


def sqlite_path(uri: str, root: Path) -> Path:
    """mlflow.tracking_uri as a file: a relative SQLite path is relative to the project."""
    if not uri.startswith(SQLITE_PREFIX):
        raise ScreenshotError(f"mlflow.tracking_uri {uri}: only a SQLite store is served here")
    path = Path(uri[len(SQLITE_PREFIX):])
    return path if path.is_absolute() else (root / path).resolve()


def data_docs_index(validation_dir: Path) -> Path:
    """The Data Docs site GX builds in its file-mode project under the validation folder."""
    standard = validation_dir / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
    found = [standard] if standard.is_file() else sorted(
        validation_dir.glob("**/data_docs/*/index.html"))
    if not found:
        raise ScreenshotError(f"{validation_dir}: no Data Docs index.html (has the loop run?)")
    return found[0]


def photograph(browser: Browser, shot: Shot, out: Path, timeout_s: float) -> bool:
    """Take one shot; False when the page never showed what it should (taken anyway, so
    the picture says what went wrong)."""
    browser.open(shot.url, shot.storage)
    ready = browser.wait_for(shot.ready, timeout_s)
    if ready and shot.click:
        browser.eval(shot.click)
        ready = browser.wait_for(shot.then or "true", timeout_s)
    time.sleep(shot.settle_s)
    browser.screenshot(out / shot.name)
    return ready


def take(project: Path, out: Path, prefect_home: Path, size: tuple[int, int],
         timeout_s: float) -> int:
    params = load_params(project / PARAMS_FILE)
    store = sqlite_path(params.mlflow.tracking_uri, project)
    if not store.is_file():
        raise ScreenshotError(f"{store}: no MLflow store (has the loop run?)")
    if not (prefect_home / "prefect.db").is_file():
        raise ScreenshotError(f"{prefect_home}: no Prefect history (prefect.db); pass "
                              "--prefect-home if the loop ran with another PREFECT_HOME")
    docs = data_docs_index(project / params.paths.validation_dir)
    env = {**os.environ, **TELEMETRY_OFF}
    mlflow_base = f"http://127.0.0.1:{free_port()}"
    prefect_base = f"http://127.0.0.1:{free_port()}"
    failed, begun = 0, time.monotonic()
    with tempfile.TemporaryDirectory(prefix="tuneloop-screens-") as tmp, \
            contextlib.ExitStack() as stack:
        logs = Path(tmp)
        # The UI is told where the API is (else it calls the default port 4200); it writes
        # that into a copy of its static files, kept out of the installed package.
        prefect_env = {**env, "PREFECT_HOME": str(prefect_home),
                       "PREFECT_API_URL": f"{prefect_base}/api",
                       "PREFECT_UI_API_URL": f"{prefect_base}/api",
                       "PREFECT_UI_STATIC_DIRECTORY": str(logs / "prefect-ui")}
        # Both start at once (each takes ~10-20 s here); `mlflow server` serves the runs'
        # file:// artifacts itself (--serve-artifacts is its default).
        mlflow = stack.enter_context(started("mlflow", [
            str(BIN / "mlflow"), "server", "--backend-store-uri", SQLITE_PREFIX + str(store),
            "--host", "127.0.0.1", "--port", mlflow_base.rsplit(":", 1)[1], "--workers", "1"],
            {**env, **MLFLOW_SERVER_ENV}, logs))
        prefect = stack.enter_context(started("prefect", [
            str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1",
            "--port", prefect_base.rsplit(":", 1)[1], "--no-services"], prefect_env, logs))
        browser = stack.enter_context(chromium(size, logs))
        wait_healthy("mlflow", mlflow, f"{mlflow_base}/health", logs / "mlflow.log", timeout_s * 2)
        wait_healthy("prefect", prefect, f"{prefect_base}/api/health", logs / "prefect.log",
                     timeout_s * 2)
        print(f"servers up in {time.monotonic() - begun:.0f} s", file=sys.stderr, flush=True)
        shots = [*mlflow_shots(mlflow_base, params), *prefect_shots(prefect_base),
                 Shot("gx-data-docs.png", docs.as_uri(),
                      ready="document.readyState === 'complete'")]
        for shot in shots:
            ok = photograph(browser, shot, out, timeout_s)
            failed += not ok
            print(f"{out / shot.name}: {shot.url}" + ("" if ok else "  (NOT READY: check it)"),
                  flush=True)
    return failed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, default=Path("."))
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    parser.add_argument("--prefect-home", type=Path, default=None,
                        help="default: PROJECT/.tuneloop/prefect (the Makefile's PREFECT_HOME)")
    parser.add_argument("--window", default="1500x1000", help="WIDTHxHEIGHT in pixels")
    parser.add_argument("--timeout", type=float, default=60.0,
                        help="seconds a page may take to show its content")
    args = parser.parse_args()
    project = args.project.resolve()
    width, height = (int(v) for v in args.window.split("x"))
    prefect_home = (args.prefect_home or project / ".tuneloop" / "prefect").resolve()
    started_at = time.monotonic()
    # A TERM (a timeout, a CI cancel) unwinds like Ctrl-C, so the servers are stopped too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("error: terminated"))
    try:
        failed = take(project, args.out.resolve(), prefect_home, (width, height), args.timeout)
    except TuneloopError as err:
        sys.exit(f"error: {err}")
    print(f"done in {time.monotonic() - started_at:.0f} s", file=sys.stderr)
    if failed:
        sys.exit(f"error: {failed} page(s) did not show their content in {args.timeout:.0f} s")


if __name__ == "__main__":
    main()
