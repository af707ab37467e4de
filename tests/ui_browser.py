"""Open the MLflow UI in headless Chromium: the code path of the browser test and of the
README's screenshot (``docs/leaderboard.png``).

Why: that the Leaderboard view's tag is written says nothing about whether MLflow's UI
reads it. Only a real browser running the UI's JavaScript against a real ``mlflow
server`` shows what a user sees. No driver library is needed: Chromium's own headless
mode prints the rendered DOM (``--dump-dom``) or saves a PNG (``--screenshot``) after
letting the page's scripts and requests run (``--virtual-time-budget``).

Regenerate the screenshot (demo corpus, about four minutes on 2 cores)::

    python tests/ui_browser.py docs/leaderboard.png [--keep DIR]
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

HOST = "127.0.0.1"  # loopback only
ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
SERVER_START_S = 120  # a cold `mlflow server` imports for 15-40 s on 2 busy cores
WINDOW = (1920, 800)  # room for the Leaderboard's columns beside MLflow's assistant panel


def find_chromium() -> str | None:
    """``$ARNEWS_CHROMIUM``, or the first Chromium-family browser on PATH."""
    named = os.environ.get("ARNEWS_CHROMIUM")
    if named:
        return shutil.which(named) or (named if Path(named).is_file() else None)
    return next((found for found in map(shutil.which, CHROMIUM_NAMES) if found), None)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def quiet_env(**extra: str) -> dict[str, str]:
    """The environment for child processes: no sweep parent, no telemetry, no job runner."""
    env = {k: v for k, v in os.environ.items() if k not in ("ARNEWS_PARENT_RUN_ID", "PYTEST_CURRENT_TEST")}
    env.update(MLFLOW_DISABLE_TELEMETRY="true", MLFLOW_SERVER_ENABLE_JOB_EXECUTION="false", **extra)
    return env


@contextmanager
def mlflow_server(folder: Path, backend_uri: str, artifacts: Path | None = None, port: int | None = None):
    """``mlflow server`` on ``port`` (default: a free loopback port), as the README starts
    it; yields its URL. Starting one again on the same port is a server restart.

    The whole process group (the server and its uvicorn worker) is stopped on exit.
    """
    port = port or free_port()
    url = f"http://{HOST}:{port}"
    log_path = folder / "server.log"
    cmd = [sys.executable, "-m", "mlflow", "server", "--host", HOST, "--port", str(port),
           "--workers", "1", "--backend-store-uri", backend_uri]
    if artifacts is not None:
        cmd += ["--artifacts-destination", str(artifacts)]
    with open(log_path, "a") as log:
        proc = subprocess.Popen(cmd, cwd=folder, env=quiet_env(), stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        deadline = time.monotonic() + SERVER_START_S
        while True:
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"mlflow server on {url} did not answer /health within {SERVER_START_S}s "
                                   f"(exit code {proc.poll()}):\n{log_path.read_text()[-3000:]}")
            time.sleep(0.5)
        yield url
    finally:
        stop_group(proc)


def stop_group(proc: subprocess.Popen) -> None:
    """SIGTERM the process group of ``proc`` (started with ``start_new_session``), then SIGKILL."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _chromium(binary: str, profile: Path, *args: str, timeout: float) -> subprocess.CompletedProcess:
    """One headless Chromium invocation in its own session and throwaway profile."""
    cmd = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
           "--no-first-run", "--no-default-browser-check", "--disable-extensions",
           "--hide-scrollbars", "--mute-audio", f"--user-data-dir={profile}",
           f"--window-size={WINDOW[0]},{WINDOW[1]}", *args]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        stop_group(proc)
        out, err = proc.communicate()
    finally:
        if proc.poll() is None:
            stop_group(proc)
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def render(binary: str, url: str, needles: list[str], screenshot: Path | None = None,
           budgets_ms: tuple[int, ...] = (15000, 30000, 60000)) -> str:
    """The page's DOM once every string in ``needles`` is in it (longer waits on each try).

    With ``screenshot``, also save a PNG of the page as it was when the DOM matched.
    Raises AssertionError with the missing strings and the end of the DOM otherwise.
    """
    dom, missing = "", needles
    with tempfile.TemporaryDirectory(prefix="arnews-chromium-") as tmp:
        for budget in budgets_ms:
            result = _chromium(binary, Path(tmp) / "profile", f"--virtual-time-budget={budget}",
                               "--dump-dom", url, timeout=budget / 1000 + 90)
            dom = result.stdout
            missing = [n for n in needles if n not in dom]
            if not missing:
                break
        if missing:
            raise AssertionError(f"{url}: never rendered {missing} (chromium exit {result.returncode}); "
                                 f"stderr: {result.stderr[-1500:]}\nDOM end: {dom[-3000:]}")
        if screenshot is not None:
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            _chromium(binary, Path(tmp) / "profile", f"--virtual-time-budget={budget}",
                      f"--screenshot={screenshot.resolve()}", url, timeout=budget / 1000 + 90)
            if not screenshot.is_file():
                raise AssertionError(f"chromium wrote no screenshot to {screenshot}")
    return dom


def train(folder: Path, tracking_uri: str, *overrides: str) -> subprocess.Popen:
    """Start ``python train.py <overrides>`` logging to ``tracking_uri`` (not waited for)."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f"train-{len(list(folder.glob('train-*.log')))}.log", "w") as log:
        return subprocess.Popen(
            [sys.executable, str(ROOT / "train.py"), *overrides, f"tracking.uri={tracking_uri}",
             # a sweep folder named by time, as by default: the parent run is named after it
             f"hydra.sweep.dir={folder / 'multirun'}/${{now:%Y-%m-%d_%H-%M-%S}}",
             f"hydra.run.dir={folder / 'run'}", "hydra.sweep.subdir=${hydra.job.num}"],
            cwd=folder, env=quiet_env(ARNEWS_CACHE_DIR=str(folder / "cache")), stdout=log,
            stderr=subprocess.STDOUT)


def wait_all(procs: list[subprocess.Popen], timeout: float = 900) -> None:
    deadline = time.monotonic() + timeout
    for proc in procs:
        try:
            proc.wait(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(map(str, proc.args))} exited {proc.returncode}")


def main(argv: list[str]) -> int:
    """The issue's scenario on the demo corpus, in a fresh store: a two-job sweep
    (TF-IDF and majority baselines) and a default run (the shipped compact BERT, about
    three minutes on 2 cores); then the Leaderboard view through ``mlflow server``,
    checked and saved as a PNG."""
    from mlflow.tracking import MlflowClient

    from arnews.summary import leaderboard_link

    keep = argv.index("--keep") if "--keep" in argv else None
    folder_arg = argv[keep + 1] if keep is not None else None
    args = [a for i, a in enumerate(argv) if keep is None or i not in (keep, keep + 1)]
    out = Path(args[0] if args else ROOT / "docs" / "leaderboard.png")
    binary = find_chromium()
    if binary is None:
        print("error: no Chromium found (apt-get install -y chromium, or set ARNEWS_CHROMIUM)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="arnews-screenshot-") as tmp:
        folder = Path(folder_arg or tmp)  # --keep DIR: the store and the runs' logs stay there
        uri = f"sqlite:///{folder / 'mlflow.db'}"
        wait_all([train(folder / "sweep", uri, "-m", "model=tfidf_logreg,majority")])
        wait_all([train(folder / "default", uri)])
        client = MlflowClient(uri)
        experiment = client.get_experiment_by_name("arnews-topic-demo")
        names = [r.info.run_name for r in client.search_runs([experiment.experiment_id])
                 if "mlflow.parentRunId" not in r.data.tags]  # the rows shown without expanding
        with mlflow_server(folder, uri) as url:
            render(binary, leaderboard_link(url, experiment.experiment_id), [*names, "dev/macro_f1"],
                   screenshot=out)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
