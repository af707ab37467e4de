"""A team tracking server: ``mlflow server`` on PostgreSQL with proxied artifacts.

The session's ``postgres`` fixture (tests/conftest.py) starts a throwaway PostgreSQL
cluster; this module starts ``mlflow server --backend-store-uri postgresql://...
--artifacts-destination DIR`` on it and drives sweeps against
``tracking.uri=http://127.0.0.1:<port>``, as a team's machines would:

- four parallel joblib workers log at once: one parent, four FINISHED children, and no
  metric lost or doubled;
- the server is restarted in the middle of a sweep: the jobs wait for it and go on, and
  no run is left RUNNING.

    python -m pytest tests/test_postgres_server.py -q
"""
from __future__ import annotations

import time
from contextlib import ExitStack

import pytest

from conftest import EXPERIMENT, launch, runs
from ui_browser import free_port, mlflow_server

pytestmark = pytest.mark.slow


class Server:
    """An ``mlflow server`` on PostgreSQL that a test can restart on the same port."""

    def __init__(self, folder, backend: str):
        self.folder, self.backend, self.port = folder, backend, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._stack = ExitStack()

    def start(self) -> None:
        try:
            self._stack.enter_context(mlflow_server(self.folder, self.backend, self.folder / "artifacts",
                                                    port=self.port))
        except RuntimeError as exc:  # it never answered: the message holds its log
            pytest.fail(str(exc))

    def stop(self) -> None:
        self._stack.close()


@pytest.fixture(scope="module")
def server(postgres, tmp_path_factory) -> Server:
    running = Server(tmp_path_factory.mktemp("mlflow_on_postgres"), postgres.url)
    running.start()
    try:
        yield running
    finally:
        running.stop()


def test_parallel_joblib_sweep_loses_no_metric(server, tmp_path, tiny_topic_dir):
    from mlflow.tracking import MlflowClient

    sweep = launch(tmp_path, tiny_topic_dir, "-m", "hydra/launcher=joblib", "hydra.launcher.n_jobs=4",
                   "model=majority", "seed=1,2,3,4", "trainer.num_threads=1", uri=server.url,
                   env={"OMP_NUM_THREADS": "1"}).wait()
    assert sweep.proc.returncode == 0, sweep.log[-4000:]
    parent, children = runs(sweep, EXPERIMENT)
    assert parent.info.status == "FINISHED" and parent.data.tags["launcher"] == "joblib"
    assert sorted(c.data.tags["seed"] for c in children) == ["1", "2", "3", "4"]
    assert all(c.info.status == "FINISHED" for c in children)
    # Every child has the same, complete set of metrics, each logged once.
    keys = [set(c.data.metrics) for c in children]
    assert all(k == keys[0] for k in keys), "a child is missing metrics the others have"
    assert {"dev/macro_f1", "test/macro_f1", "test/f1_cybersecurity"} <= keys[0]
    client = MlflowClient(server.url)
    for child in children:
        history = client.get_metric_history(child.info.run_id, "test/macro_f1")
        assert [m.value for m in history] == [child.data.metrics["test/macro_f1"]]
    # Artifacts go through the server (proxied) into its own folder, not the client's.
    listed = {f.path for f in client.list_artifacts(children[0].info.run_id)}
    assert "config.yaml" in listed
    assert any(server.folder.glob("artifacts/*/*/artifacts/config.yaml"))


def test_a_server_restart_mid_sweep_leaves_no_run_running(server, tmp_path, tiny_topic_dir):
    from mlflow.tracking import MlflowClient

    sweep = launch(tmp_path, tiny_topic_dir, "-m", "model=majority", "seed=1,2,3",
                   "tracking.experiment=restart", uri=server.url)
    deadline = time.monotonic() + 300
    while _finished_children_in(sweep, "restart") < 1:
        if sweep.proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"no child finished before the restart:\n{sweep.log[-3000:]}")
        time.sleep(0.5)
    assert sweep.proc.poll() is None, "the sweep ended before the restart"
    server.stop()   # SIGTERM: the jobs now get connection refused ...
    server.start()  # ... until it answers again (15-40 s to start on 2 busy cores)
    sweep.wait()
    client = MlflowClient(server.url)
    every = client.search_runs([client.get_experiment_by_name("restart").experiment_id])
    assert [r.info.run_name for r in every if r.info.status == "RUNNING"] == [], sweep.log[-3000:]
    # The jobs waited for the server and went on: nothing failed, nothing was lost.
    assert sweep.proc.returncode == 0, sweep.log[-4000:]
    parent, children = runs(sweep, "restart")
    assert parent.info.status == "FINISHED"
    assert sorted(c.data.tags["seed"] for c in children) == ["1", "2", "3"]
    assert all(c.info.status == "FINISHED" and "test/macro_f1" in c.data.metrics for c in children)


def _finished_children_in(sweep, experiment: str) -> int:
    from mlflow.tracking import MlflowClient

    client = MlflowClient(sweep.uri)
    found = client.get_experiment_by_name(experiment)
    if found is None:
        return 0
    return len(client.search_runs([found.experiment_id], "attributes.status = 'FINISHED'"))
