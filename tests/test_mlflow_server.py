"""A sweep logged to a real ``mlflow server`` over HTTP, read back through the REST API
and shown by MLflow's own UI in headless Chromium.

Starts ``mlflow server`` on a free loopback port with a SQLite backend and proxied
artifacts, runs a two-job sweep and a single run with its model at the same time with
``tracking.uri=http://127.0.0.1:<port>``, then reads the experiment, the parent and child
runs, a metric history and an artifact listing with plain HTTP, as a dashboard or a
colleague's script would, and opens the experiment's Leaderboard view in a browser.

    python -m pytest tests/test_mlflow_server.py -q
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.parse
import urllib.request

import pytest

from arnews.summary import leaderboard_link
from conftest import ROOT
from ui_browser import find_chromium, mlflow_server, quiet_env, render

SWEEP_S = 300

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> str:
    """Base URL of a fresh ``mlflow server`` with proxied artifacts; stopped at teardown."""
    folder = tmp_path_factory.mktemp("mlflow_server")
    try:
        with mlflow_server(folder, f"sqlite:///{folder / 'srv.db'}", folder / "artifacts") as url:
            yield url
    except RuntimeError as exc:  # it never answered: the message holds its log
        pytest.fail(str(exc))


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
    """A two-job sweep and, at the same time, one run with its model (as a default run
    logs), both logged to ``server``; returns the experiment id, the parent and the run."""
    folder = tmp_path_factory.mktemp("sweep_over_http")
    env = quiet_env(ARNEWS_CACHE_DIR=str(folder / "cache"))
    common = ["data=jsonl", f"data.path={tiny_topic_dir}", f"tracking.uri={server}",
              "tracking.experiment=over-http", "hydra.sweep.subdir=${hydra.job.num}"]
    procs = [subprocess.Popen(
        [sys.executable, str(ROOT / "train.py"), *args, *common, f"hydra.sweep.dir={folder / name / 'multirun'}",
         f"hydra.run.dir={folder / name / 'run'}"],
        cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for name, args in (("sweep", ["-m", "model=majority", "seed=1,2", "tracking.log_model=false"]),
                           ("single", ["model=tfidf_logreg"]))]
    outputs = []
    for proc in procs:
        try:
            outputs.append(proc.communicate(timeout=SWEEP_S)[0])
        except subprocess.TimeoutExpired:
            proc.kill()
            outputs.append(proc.communicate()[0])
        assert proc.returncode == 0, outputs[-1][-4000:]
    experiment = api(server, "experiments/get-by-name", experiment_name="over-http")["experiment"]
    found = api(server, "runs/search", {"experiment_ids": [experiment["experiment_id"]],
                                        "filter": "tags.sweeper = 'basic'"})
    (parent,) = found["runs"]
    (single,) = api(server, "runs/search", {"experiment_ids": [experiment["experiment_id"]],
                                            "filter": "tags.model = 'tfidf_logreg'"})["runs"]
    return {"experiment_id": experiment["experiment_id"], "parent": parent, "single": single,
            "experiment": experiment, "log": outputs[0]}


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


def test_the_experiment_and_runs_explain_themselves_over_http(server, swept):
    view = json.loads({t["key"]: t["value"] for t in swept["experiment"]["tags"]}[
        "mlflow.sharedViewState.leaderboard"])
    assert view["name"] == "Leaderboard"
    single = swept["single"]
    run_tags = tags(single)
    assert run_tags["model_uri"] == f"runs:/{single['info']['run_id']}/topic-tfidf_logreg"
    contexts = {d["dataset"]["name"]: {t["key"]: t["value"] for t in d["tags"]}["mlflow.data.context"]
                for d in single["inputs"]["dataset_inputs"]}
    assert contexts == {"jsonl-topic-train": "train", "jsonl-topic-dev": "dev", "jsonl-topic-test": "test"}
    assert "test macro-F1" in run_tags["mlflow.note.content"]
    # The sweep parent repeats its best child's scores, so its row is not empty.
    parent_metrics = {m["key"]: m["value"] for m in swept["parent"]["data"]["metrics"]}
    best = api(server, "runs/get", run_id=tags(swept["parent"])["best_run_id"])["run"]
    assert parent_metrics["dev/macro_f1"] == {m["key"]: m["value"] for m in best["data"]["metrics"]}["dev/macro_f1"]
    assert f"next:        python compare.py --parent {swept['parent']['info']['run_id']} --tracking-uri {server}" \
        in swept["log"]


def test_the_leaderboard_view_renders_in_chromium(server, swept):
    """MLflow's own UI, in a real browser, opens the Leaderboard view with its columns."""
    binary = find_chromium()
    if binary is None:
        if os.environ.get("ARNEWS_REQUIRE_BROWSER") or os.environ.get("CI"):
            pytest.fail("no Chromium on PATH, but this environment requires the browser test "
                        "(.ci/run installs it with apt-get install -y chromium)")
        pytest.skip("no Chromium on PATH: apt-get install -y chromium (or set ARNEWS_CHROMIUM)")
    single, parent = swept["single"]["info"], swept["parent"]["info"]
    url = leaderboard_link(server, swept["experiment_id"])
    dom = render(binary, url, [single["run_name"], parent["run_name"], "dev/macro_f1", "test/macro_f1"])
    # The scores show on the rows themselves, the parent's too, without clicking anything
    # (the table prints a metric's full value, as JavaScript writes the number).
    for run in (swept["single"], swept["parent"]):
        dev = {m["key"]: m["value"] for m in run["data"]["metrics"]}["dev/macro_f1"]
        shown = str(int(dev)) if dev == int(dev) else repr(dev)  # JavaScript writes 0.0 as 0
        assert f">{shown}<" in dom, f"dev macro-F1 {shown} of {run['info']['run_name']} not in the table"
    assert 'col-id="metrics.`test/macro_f1`"' in dom and 'col-id="tags.`model`"' in dom
    assert "Leaderboard" in dom  # the view's name, in the views menu
