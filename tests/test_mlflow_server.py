"""A sweep logged to a real ``mlflow server`` over HTTP, read back through the REST API.

Starts ``mlflow server`` on a free loopback port with a SQLite backend and proxied
artifacts, runs a two-job sweep with ``tracking.uri=http://127.0.0.1:<port>``, then reads
the experiment, the parent and child runs, a metric history and an artifact listing with
plain HTTP, as a dashboard or a colleague's script would.

    python -m pytest tests/test_mlflow_server.py -q
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from arnews.tracking import PARENT_RUN_ENV
from conftest import ROOT

HOST = "127.0.0.1"  # loopback only: nothing here listens beyond this machine
STARTUP_S = 90      # a cold `mlflow server` imports for 15-40 s on 2 busy cores
SWEEP_S = 300

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in (PARENT_RUN_ENV, "PYTEST_CURRENT_TEST")}
    # No telemetry calls and no background job runner process: the test needs neither.
    env.update(MLFLOW_DISABLE_TELEMETRY="true", MLFLOW_SERVER_ENABLE_JOB_EXECUTION="false")
    return env


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> str:
    """Base URL of a fresh ``mlflow server``; the whole process group dies at teardown."""
    folder = tmp_path_factory.mktemp("mlflow_server")
    port = _free_port()
    url = f"http://{HOST}:{port}"
    log_path = folder / "server.log"
    with open(log_path, "w") as log:
        # Its own session: the server forks a uvicorn child, and killpg must reach both.
        proc = subprocess.Popen(
            [sys.executable, "-m", "mlflow", "server", "--host", HOST, "--port", str(port),
             "--workers", "1", "--backend-store-uri", f"sqlite:///{folder / 'srv.db'}",
             "--artifacts-destination", str(folder / "artifacts")],
            cwd=folder, env=_env(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + STARTUP_S
        while True:
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"mlflow server on {url} did not answer /health within {STARTUP_S}s "
                            f"(exit code {proc.poll()}):\n{log_path.read_text()[-3000:]}")
            time.sleep(0.5)
        yield url
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=15)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def api(base: str, endpoint: str, body: dict | None = None, **query) -> dict:
    """GET (or POST ``body`` to) ``/api/2.0/mlflow/<endpoint>`` and decode the JSON."""
    url = f"{base}/api/2.0/mlflow/{endpoint}"
    if query:
        url += "?" + urllib.parse.urlencode(query)
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def tags(run: dict) -> dict[str, str]:
    return {t["key"]: t["value"] for t in run["data"].get("tags", [])}


@pytest.fixture(scope="module")
def swept(server, tmp_path_factory, tiny_topic_dir) -> dict:
    """A two-job sweep logged to ``server``; returns the experiment id and the parent run."""
    folder = tmp_path_factory.mktemp("sweep_over_http")
    env = _env() | {"ARNEWS_CACHE_DIR": str(folder / "cache")}
    result = subprocess.run(
        [sys.executable, str(ROOT / "train.py"), "-m", "model=majority", "seed=1,2",
         "data=jsonl", f"data.path={tiny_topic_dir}", "tracking.log_model=false",
         f"tracking.uri={server}", "tracking.experiment=over-http",
         f"hydra.sweep.dir={folder / 'multirun'}", "hydra.sweep.subdir=${hydra.job.num}"],
        cwd=folder, env=env, capture_output=True, text=True, timeout=SWEEP_S)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    experiment = api(server, "experiments/get-by-name", experiment_name="over-http")["experiment"]
    found = api(server, "runs/search", {"experiment_ids": [experiment["experiment_id"]],
                                        "filter": "tags.sweeper = 'basic'"})
    (parent,) = found["runs"]
    return {"experiment_id": experiment["experiment_id"], "parent": parent}


def test_sweep_over_http_is_a_parent_with_two_children(server, swept):
    parent_id = swept["parent"]["info"]["run_id"]
    assert swept["parent"]["info"]["status"] == "FINISHED"
    assert json.loads(tags(swept["parent"])["sweep_params"]) == {"seed": "1,2"}
    children = api(server, "runs/search", {
        "experiment_ids": [swept["experiment_id"]],
        "filter": f"tags.mlflow.parentRunId = '{parent_id}'"})["runs"]
    assert sorted(tags(c)["seed"] for c in children) == ["1", "2"]
    assert {c["info"]["status"] for c in children} == {"FINISHED"}
    for child in children:
        metrics = {m["key"]: m["value"] for m in child["data"]["metrics"]}
        assert 0.0 <= metrics["test/macro_f1"] <= 1.0
        history = api(server, "metrics/get-history", run_id=child["info"]["run_id"],
                      metric_key="test/macro_f1")["metrics"]
        assert [m["value"] for m in history] == [metrics["test/macro_f1"]]


def test_artifacts_are_served(server, swept):
    parent_id = swept["parent"]["info"]["run_id"]
    (child, *_) = api(server, "runs/search", {
        "experiment_ids": [swept["experiment_id"]],
        "filter": f"tags.mlflow.parentRunId = '{parent_id}'"})["runs"]
    listed = {run_id: {f["path"] for f in api(server, "artifacts/list", run_id=run_id).get("files", [])}
              for run_id in (parent_id, child["info"]["run_id"])}
    assert "config.yaml" in listed[child["info"]["run_id"]]
    assert "multirun.yaml" in listed[parent_id]  # the sweep's own config, for reruns
