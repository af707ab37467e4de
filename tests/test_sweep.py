"""Sweeps as MLflow parent and child runs (src/arnews/sweep.py).

The end-to-end tests run real ``python train.py -m ...`` subprocesses on the tiny
fixtures, so Hydra callbacks, launchers and the optuna sweeper run exactly as for a user.
All of them start together in one module fixture: each process mostly waits on its own
imports, so two cores finish them in about the time of the slowest.

    python -m pytest tests/test_sweep.py -q
"""
from __future__ import annotations

import json
import os
import pickle
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from arnews.sweep import MlflowSweepCallback, model_space
from arnews.tracking import PARENT_RUN_ENV
from conftest import CONF, ROOT, TINY_BERT

EXPERIMENT = "arnews-topic-jsonl"
TIMEOUT = 420  # seconds per subprocess: generous for a loaded CI machine

pytestmark = pytest.mark.slow


@dataclass
class Sweep:
    folder: Path
    proc: subprocess.Popen

    @property
    def uri(self) -> str:
        return f"sqlite:///{self.folder / 'mlflow.db'}"

    @property
    def log(self) -> str:
        return (self.folder / "log.txt").read_text(errors="replace")

    def wait(self) -> "Sweep":
        try:
            self.proc.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            pytest.fail(f"sweep in {self.folder} still running after {TIMEOUT}s:\n{self.log[-3000:]}")
        return self


def launch(folder: Path, data_dir: Path, *overrides: str) -> Sweep:
    """Start ``python train.py <overrides>`` in ``folder`` with its own SQLite store."""
    folder.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items()
           # A stray parent id would nest these runs; PYTEST_CURRENT_TEST switches on
           # MLflow's test-only session checks, which a user's run never has.
           if k not in (PARENT_RUN_ENV, "PYTEST_CURRENT_TEST")}
    env.update(ARNEWS_CACHE_DIR=str(folder / "cache"), MLFLOW_DISABLE_TELEMETRY="true",
               HYDRA_FULL_ERROR="1")
    args = [sys.executable, str(ROOT / "train.py"), *overrides, "data=jsonl", f"data.path={data_dir}",
            "tracking.log_model=false", f"tracking.uri=sqlite:///{folder / 'mlflow.db'}",
            f"hydra.sweep.dir={folder / 'multirun'}", f"hydra.run.dir={folder / 'run'}",
            # Job folders named by number: the default name joins every override, and
            # with these long tmp paths it can pass the 255-character file name limit.
            "hydra.sweep.subdir=${hydra.job.num}"]
    with open(folder / "log.txt", "w") as log:
        proc = subprocess.Popen(args, cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT)
    return Sweep(folder, proc)


def wait_for_line(sweep: Sweep, text: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while text not in sweep.log:
        if sweep.proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"never logged {text!r}:\n{sweep.log[-3000:]}")
        time.sleep(0.5)


@pytest.fixture(scope="module")
def sweeps(tmp_path_factory, tiny_topic_dir) -> dict[str, Sweep]:
    """Five invocations, run at once; each test reads back the store of one of them."""
    base = tmp_path_factory.mktemp("sweeps")
    started = {
        # Basic launcher, jobs in this process: the target command of the README.
        "optuna": launch(base / "optuna", tiny_topic_dir, "-m", "hparams_search=optuna",
                         "model=tfidf_logreg"),
        # Two worker processes writing to one SQLite file at the same time.
        "joblib": launch(base / "joblib", tiny_topic_dir, "-m", "hydra/launcher=joblib",
                         "hydra.launcher.n_jobs=2", "model=majority", "seed=1,2,3,4"),
        # The second job raises inside its run (sklearn rejects a negative C).
        "failing": launch(base / "failing", tiny_topic_dir, "-m", "model=tfidf_logreg",
                          "model.pipeline.C=1,-1"),
        # Four workers on an empty cache, all needing the same compact model at once.
        "cold": launch(base / "cold", tiny_topic_dir, "-m", "hydra/launcher=joblib",
                       "hydra.launcher.n_jobs=4", *TINY_BERT, "trainer.num_threads=1",
                       "model.training.num_train_epochs=1",
                       "model.training.learning_rate=1e-3,2e-3,3e-3,4e-3"),
        "killed": launch(base / "killed", tiny_topic_dir, "-m", "model=majority", "seed=1,2"),
        "single": launch(base / "single", tiny_topic_dir, "model=majority"),
    }
    try:
        wait_for_line(started["killed"], "MLflow parent run")
        started["killed"].proc.send_signal(signal.SIGTERM)
        return {name: sweep.wait() for name, sweep in started.items()}
    finally:
        for sweep in started.values():
            if sweep.proc.poll() is None:
                sweep.proc.kill()
                sweep.proc.wait()


def runs(sweep: Sweep) -> tuple[object, list]:
    """(parent run, child runs) of the one sweep in a store; fails unless both exist."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient(sweep.uri)
    experiment = client.get_experiment_by_name(EXPERIMENT)
    assert experiment is not None, sweep.log[-3000:]
    every = client.search_runs([experiment.experiment_id], max_results=1000)
    parents = [r for r in every if "mlflow.parentRunId" not in r.data.tags]
    assert len(parents) == 1, (len(parents), sweep.log[-3000:])
    children = [r for r in every if r.data.tags.get("mlflow.parentRunId") == parents[0].info.run_id]
    assert len(children) == len(every) - 1, "a run belongs to no parent"
    return parents[0], children


def test_optuna_sweep_is_one_parent_with_a_child_per_trial(sweeps):
    sweep = sweeps["optuna"]
    assert sweep.proc.returncode == 0, sweep.log[-3000:]
    parent, children = runs(sweep)
    assert parent.info.status == "FINISHED"
    assert parent.info.run_name.startswith("sweep-topic-jsonl-")
    assert parent.data.tags["sweeper"] == "optuna"
    assert "hparams_search=optuna" in parent.data.tags["overrides"]
    assert "model.pipeline.C" in json.loads(parent.data.tags["sweep_params"])
    assert [c.info.status for c in children] == ["FINISHED"] * 4
    assert len({c.data.params["model.pipeline.C"] for c in children}) == 4, "trials repeat C"


def test_optuna_logs_the_best_trial_on_the_parent(sweeps):
    parent, children = runs(sweeps["optuna"])
    best_child = max(children, key=lambda c: c.data.metrics["dev/macro_f1"])
    assert parent.data.metrics["best/dev/macro_f1"] == pytest.approx(best_child.data.metrics["dev/macro_f1"])
    searched = {c.data.params["model.pipeline.C"] for c in children
                if c.data.metrics["dev/macro_f1"] == best_child.data.metrics["dev/macro_f1"]}
    assert parent.data.params["best.model.pipeline.C"] in searched
    results = OmegaConf.load(sweeps["optuna"].folder / "multirun" / "optimization_results.yaml")
    assert float(parent.data.params["best.model.pipeline.C"]) == pytest.approx(results.best_params["model.pipeline.C"])


def test_the_parent_carries_its_best_child(sweeps):
    # Same keys as the children, so the parent row lines up in the runs table's columns.
    sweep = sweeps["optuna"]
    parent, children = runs(sweep)
    best = next(c for c in children if c.info.run_id == parent.data.tags["best_run_id"])
    assert best.data.metrics["dev/macro_f1"] == max(c.data.metrics["dev/macro_f1"] for c in children)
    for key in ("dev/macro_f1", "test/macro_f1", "test/f1_cybersecurity"):
        assert parent.data.metrics[key] == best.data.metrics[key]
    assert parent.data.params["model.pipeline.C"] == best.data.params["model.pipeline.C"]
    assert parent.data.tags["model"] == "tfidf_logreg" and parent.data.tags["sweep_parent"] == "true"
    note = parent.data.tags["mlflow.note.content"]
    ranked = sorted(children, key=lambda c: -c.data.metrics["dev/macro_f1"])
    assert f"| 1 | [{best.info.run_name}](#/experiments/{parent.info.experiment_id}/runs/{best.info.run_id}" in note
    assert note.count("](#/experiments/") == len(ranked)
    # The terminal ends with the sweep's summary and the command to compare its runs.
    assert f"Sweep {parent.info.run_name} ({parent.info.run_id})" in sweep.log
    assert f"best by dev macro-F1: {best.info.run_name} ({best.info.run_id})" in sweep.log
    assert f"next:        python compare.py --parent {parent.info.run_id} --tracking-uri {sweep.uri}" in sweep.log


def test_parallel_joblib_jobs_lose_no_run(sweeps):
    sweep = sweeps["joblib"]
    assert sweep.proc.returncode == 0, sweep.log[-3000:]
    assert "database is locked" not in sweep.log
    parent, children = runs(sweep)
    assert parent.info.status == "FINISHED"
    assert parent.data.tags["launcher"] == "joblib"
    assert sorted(c.data.tags["seed"] for c in children) == ["1", "2", "3", "4"]
    assert all(c.info.status == "FINISHED" for c in children)
    # Every child wrote all of its metrics, not just its first batch.
    assert all("test/macro_f1" in c.data.metrics for c in children)


def test_parallel_cold_starts_build_the_shared_model_once(sweeps):
    sweep = sweeps["cold"]
    assert sweep.proc.returncode == 0, sweep.log[-3000:]
    parent, children = runs(sweep)
    assert parent.info.status == "FINISHED"
    assert len(children) == 4 and all(c.info.status == "FINISHED" for c in children)
    # One finished model folder, no half-written staging folder left behind.
    cache = sweep.folder / "cache"
    assert len(list(cache.glob("compact_bert-*"))) == 1
    assert not list(cache.glob(".compact_bert-*"))


def test_a_failing_job_marks_the_parent_failed(sweeps):
    sweep = sweeps["failing"]
    assert sweep.proc.returncode != 0
    parent, children = runs(sweep)
    assert parent.info.status == "FAILED", sweep.log[-3000:]
    assert {c.data.params["model.pipeline.C"]: c.info.status for c in children} == {
        "1": "FINISHED", "-1": "FAILED"}


def test_sigterm_marks_the_parent_killed(sweeps):
    parent, _ = runs(sweeps["killed"])
    assert parent.info.status == "KILLED", sweeps["killed"].log[-3000:]


def test_a_single_run_has_no_parent(sweeps):
    from mlflow.tracking import MlflowClient

    sweep = sweeps["single"]
    assert sweep.proc.returncode == 0, sweep.log[-3000:]
    client = MlflowClient(sweep.uri)
    (run,) = client.search_runs([client.get_experiment_by_name(EXPERIMENT).experiment_id])
    assert run.info.status == "FINISHED"
    assert "mlflow.parentRunId" not in run.data.tags
    assert "sweep_params" not in run.data.tags


def test_workers_get_the_parent_from_the_pickled_callback(monkeypatch):
    # Loky reuses worker processes across sweeps in one Python session: their environment
    # is a copy from when they started, so the id must travel with the pickled callback.
    callback = MlflowSweepCallback()
    callback.parent_run_id = "abc123"
    in_worker = pickle.loads(pickle.dumps(callback))
    monkeypatch.delenv(PARENT_RUN_ENV, raising=False)
    in_worker.on_job_start(OmegaConf.create())
    assert os.environ[PARENT_RUN_ENV] == "abc123"


def test_single_runs_do_not_set_a_parent(monkeypatch):
    monkeypatch.delenv(PARENT_RUN_ENV, raising=False)
    MlflowSweepCallback().on_job_start(OmegaConf.create())
    assert PARENT_RUN_ENV not in os.environ


def _optuna_cfg(model: str):
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        return compose("train", [f"model={model}", "hparams_search=optuna"], return_hydra_config=True)


@pytest.mark.parametrize("model", sorted(p.stem for p in (CONF / "model").glob("*.yaml")))
def test_every_model_composes_with_a_search_space(model):
    cfg = _optuna_cfg(model)
    assert cfg.hydra.sweeper.custom_search_space == "arnews.sweep.model_search_space"
    space = model_space(cfg.model)
    if model == "majority":
        assert space == {}
    elif cfg.model.kind == "transformer":
        assert set(space) == {"model.training.learning_rate", "model.training.per_device_train_batch_size"}
        lr = cfg.model.training.learning_rate
        assert space["model.training.learning_rate"] == f"tag(log, interval({lr / 5:g}, {lr * 5:g}))"
    else:
        assert set(space) == {"model.pipeline.C"}


def test_the_search_space_reaches_optuna_trials():
    import optuna

    from arnews.sweep import model_search_space

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    trial = optuna.create_study(direction="maximize").ask()
    model_search_space(_optuna_cfg("tfidf_logreg"), trial)
    assert 0.01 <= trial.params["model.pipeline.C"] <= 100
    # Nothing to tune: refuse rather than run n identical trials.
    with pytest.raises(ValueError, match="no search space"):
        model_search_space(_optuna_cfg("majority"), optuna.create_study().ask())
