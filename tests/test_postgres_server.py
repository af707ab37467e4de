"""A team tracking server: ``mlflow server`` on PostgreSQL with proxied artifacts.

The session's ``postgres`` fixture (tests/conftest.py) starts a throwaway PostgreSQL
cluster; this module starts ``mlflow server --backend-store-uri postgresql://...
--artifacts-destination DIR`` on it and drives sweeps against
``tracking.uri=http://127.0.0.1:<port>``, as a team's machines would:

- four parallel joblib workers log at once, and the server is restarted while they do
  (one sweep covers both, to keep the suite short): the jobs wait for it and go on; one
  parent, four FINISHED children, no metric lost or doubled, no run left RUNNING.

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


@pytest.fixture(scope="module")
def restarted_sweep(server, tmp_path_factory, tiny_topic_dir):
    """A 4-worker joblib sweep, with the server restarted once its first child exists."""
    from mlflow.tracking import MlflowClient

    sweep = launch(tmp_path_factory.mktemp("joblib_restart"), tiny_topic_dir, "-m", "hydra/launcher=joblib",
                   "hydra.launcher.n_jobs=4", "model=majority", "seed=1,2,3,4", "trainer.num_threads=1",
                   uri=server.url, env={"OMP_NUM_THREADS": "1"})
    client = MlflowClient(server.url)
    deadline = time.monotonic() + 300
    while True:
        found = client.get_experiment_by_name(EXPERIMENT)
        if found and client.search_runs([found.experiment_id], "tags.mlflow.parentRunId != ''"):
            break
        if sweep.proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"no child run started before the restart:\n{sweep.log[-3000:]}")
        time.sleep(0.5)
    assert sweep.proc.poll() is None, "the sweep ended before the restart"
    server.stop()   # SIGTERM: the jobs now get connection refused ...
    server.start()  # ... until it answers again (15-40 s to start on 2 busy cores)
    return sweep.wait()


def test_a_server_restart_mid_sweep_leaves_no_run_running(server, restarted_sweep):
    from mlflow.tracking import MlflowClient

    client = MlflowClient(server.url)
    every = client.search_runs([client.get_experiment_by_name(EXPERIMENT).experiment_id])
    assert [r.info.run_name for r in every if r.info.status == "RUNNING"] == [], restarted_sweep.log[-3000:]
    # The jobs waited for the server and went on: nothing failed.
    assert restarted_sweep.proc.returncode == 0, restarted_sweep.log[-4000:]


def test_parallel_joblib_sweep_loses_no_metric(server, restarted_sweep):
    from mlflow.tracking import MlflowClient

    sweep = restarted_sweep
    parent, children = runs(sweep, EXPERIMENT)
    assert parent.info.status == "FINISHED" and parent.data.tags["launcher"] == "joblib"
    assert sorted(c.data.tags["seed"] for c in children) == ["1", "2", "3", "4"]
    assert all(c.info.status == "FINISHED" for c in children)
    # Every child has the same, complete set of metrics, each logged once. (system/* are
    # samples taken every few seconds: a child that waited out the restart has more.)
    keys = [{k for k in c.data.metrics if not k.startswith("system/")} for c in children]
    assert all(k == keys[0] for k in keys), f"a child is missing metrics the others have: {keys}"
    assert {"dev/macro_f1", "test/macro_f1", "test/f1_cybersecurity"} <= keys[0]
    client = MlflowClient(server.url)
    for child in children:
        history = client.get_metric_history(child.info.run_id, "test/macro_f1")
        assert [m.value for m in history] == [child.data.metrics["test/macro_f1"]]
    # Artifacts go through the server (proxied) into its own folder, not the client's.
    listed = {f.path for f in client.list_artifacts(children[0].info.run_id)}
    assert "config.yaml" in listed
    assert any(server.folder.glob("artifacts/*/*/artifacts/config.yaml"))
