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

import pytest
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from arnews.sweep import MlflowSweepCallback, sweep_params
from arnews.tracking import PARENT_RUN_ENV
from conftest import CONF, EXPERIMENT, TINY_BERT, Sweep, launch, runs, wait_for_line

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def sweeps(tmp_path_factory, tiny_topic_dir) -> dict[str, Sweep]:
    """Seven invocations, run at once; each test reads back the store of one of them."""
    base = tmp_path_factory.mktemp("sweeps")
    started = {
        # Basic launcher, jobs in this process: the target command of the README.
        "optuna": launch(base / "optuna", tiny_topic_dir, "-m", "hparams_search=tfidf",
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
        # Ctrl-C. A shell without job control starts background commands with SIGINT
        # ignored, and Python then keeps ignoring it: give this one the default back.
        "ctrl_c": launch(base / "ctrl_c", tiny_topic_dir, "-m", "model=majority", "seed=1,2",
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL)),
        "single": launch(base / "single", tiny_topic_dir, "model=majority"),
    }
    try:
        for name, signum in (("killed", signal.SIGTERM), ("ctrl_c", signal.SIGINT)):
            wait_for_line(started[name], "MLflow parent run")
            started[name].proc.send_signal(signum)
        return {name: sweep.wait() for name, sweep in started.items()}
    finally:
        for sweep in started.values():
            if sweep.proc.poll() is None:
                sweep.proc.kill()
                sweep.proc.wait()


def test_optuna_sweep_is_one_parent_with_a_child_per_trial(sweeps):
    sweep = sweeps["optuna"]
    assert sweep.proc.returncode == 0, sweep.log[-3000:]
    parent, children = runs(sweep)
    assert parent.info.status == "FINISHED"
    assert parent.info.run_name.startswith("sweep-topic-jsonl-")
    assert parent.data.tags["sweeper"] == "optuna"
    assert "hparams_search=tfidf" in parent.data.tags["overrides"]
    assert [c.info.status for c in children] == ["FINISHED"] * 4
    assert len({c.data.params["model.pipeline.C"] for c in children}) == 4, "trials repeat C"


def test_optuna_searches_the_space_of_the_yaml_file(sweeps):
    # The space comes from conf/hparams_search/tfidf.yaml alone: the parent records it
    # as written there, and every trial's C lies in its range.
    space = OmegaConf.load(CONF / "hparams_search" / "tfidf.yaml").hydra.sweeper.params
    space = OmegaConf.to_container(space)
    assert space == {"model.pipeline.C": "tag(log, interval(0.01, 100))"}
    parent, children = runs(sweeps["optuna"])
    assert json.loads(parent.data.tags["sweep_params"]) == space
    low, high = _interval(space["model.pipeline.C"])
    cs = [float(c.data.params["model.pipeline.C"]) for c in children]
    assert all(low <= c <= high for c in cs), cs
    assert 10.0 not in cs, "a trial ran the recipe's C: the space was not searched"


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


@pytest.mark.parametrize("name", ["killed", "ctrl_c"], ids=["SIGTERM", "SIGINT"])
def test_an_interrupt_marks_the_parent_killed(sweeps, name):
    parent, children = runs(sweeps[name])
    assert parent.info.status == "KILLED", sweeps[name].log[-3000:]
    assert all(c.info.status != "RUNNING" for c in children)


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


def _interval(sweep: str) -> tuple[float, float]:
    """The bounds of ``interval(a, b)``, tagged or not, in Hydra's sweep syntax."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.core.override_parser.types import IntervalSweep

    (override,) = OverridesParser.create().parse_overrides([f"x={sweep}"])
    value = override.value()
    assert isinstance(value, IntervalSweep), sweep
    return value.start, value.end


def _optuna_cfg(*overrides: str):
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        return compose("train", list(overrides), return_hydra_config=True)


# The model family each conf/hparams_search file is written for; every model but
# majority must have one, so a new model config needs a line here and a space.
FAMILIES = {
    "tfidf": ["tfidf_logreg", "tfidf_pair", "tfidf_svm"],
    "compact": ["compact_bert", "compact_scratch"],
    "transformer": ["arabert_v02", "arbert", "camelbert_msa", "marbert_v2", "xlmr_base"],
    "pair_linear": ["pair_linear"],
    "pair_hgb": ["pair_hgb"],
    "tfidf_union": ["tfidf_union"],
}


def test_every_model_but_majority_has_a_family():
    models = {p.stem for p in (CONF / "model").glob("*.yaml")}
    listed = [m for family in FAMILIES.values() for m in family]
    assert sorted(listed) == sorted(models - {"majority"})
    assert set(FAMILIES) == {p.stem for p in (CONF / "hparams_search").glob("*.yaml")} - {"optuna"}


@pytest.mark.parametrize("family,model", [(f, m) for f, ms in FAMILIES.items() for m in ms])
def test_each_family_searches_keys_its_models_have(family, model):
    from hydra.core.override_parser.overrides_parser import OverridesParser

    cfg = _optuna_cfg(f"hparams_search={family}", f"model={model}")
    assert cfg.hydra.runtime.choices["hydra/sweeper"] == "optuna"
    assert cfg.hydra.sweeper.n_trials == 4 and cfg.hydra.sweeper.direction == "maximize"
    space = dict(cfg.hydra.sweeper.params)
    assert space, family
    for key, sweep in space.items():
        # A typo in a key would fail every trial only once the sweep runs.
        assert OmegaConf.select(cfg, key) is not None, f"{model} has no {key}"
        (override,) = OverridesParser.create().parse_overrides([f"{key}={sweep}"])
        assert override.is_sweep_override(), (key, sweep)
    # Each range holds the model's own recipe.
    if "model.training.learning_rate" in space:
        low, high = _interval(space["model.training.learning_rate"])
        assert low <= cfg.model.training.learning_rate <= high
    if "model.pipeline.C" in space:
        low, high = _interval(space["model.pipeline.C"])
        assert low <= cfg.model.pipeline.C <= high


def test_sweep_params_are_the_yaml_space_and_the_command_line():
    cfg = _optuna_cfg("hparams_search=compact")
    # What Hydra records for `-m hparams_search=compact seed=1,2 'model.training...=...'`.
    OmegaConf.update(cfg, "hydra.overrides.task", [
        "hparams_search=compact", "seed=1,2", "model.training.per_device_train_batch_size=choice(4,8)"])
    assert sweep_params(cfg) == {
        "model.training.learning_rate": "tag(log, interval(5e-5, 5e-3))",
        "model.training.per_device_train_batch_size": "choice(4,8)",
        "seed": "1,2"}


@pytest.mark.parametrize("search,model,cli,refused", [
    ("optuna", "tfidf_logreg", [], "no search space for model=tfidf_logreg"),
    ("optuna", "tfidf_logreg", ["model.pipeline.min_df=2"], "no search space"),  # a pin searches nothing
    ("optuna", "tfidf_logreg", ["model.pipeline.C=interval(1, 10)"], None),
    ("optuna", "tfidf_logreg", ["+model.pipeline.tol=interval(1e-4, 1e-3)"], None),  # a new key
    ("tfidf", "majority", [], "sets model.pipeline.C, which model=majority does not have"),
    ("tfidf", "compact_bert", ["model=tfidf_logreg,tfidf_svm"], None),  # trials pick the model
    ("compact", "compact_scratch", [], None),
])
def test_an_optuna_sweep_that_cannot_search_stops_before_any_run(tmp_path, capsys, search, model, cli,
                                                                  refused):
    cfg = _optuna_cfg(f"hparams_search={search}", f"model={model}",
                      f"tracking.uri=sqlite:///{tmp_path / 'm.db'}", f"hydra.sweep.dir={tmp_path / 'multirun'}")
    OmegaConf.update(cfg, "hydra.overrides.task", [f"hparams_search={search}", f"model={model}", *cli])
    callback = MlflowSweepCallback()
    if not refused:
        callback.enabled = False  # the check passes; no parent to make here
        callback.on_multirun_start(cfg)
        return
    with pytest.raises(SystemExit) as exit_:
        callback.on_multirun_start(cfg)
    assert exit_.value.code == 2
    assert refused in capsys.readouterr().err
    assert callback.parent_run_id is None and not (tmp_path / "m.db").exists()
