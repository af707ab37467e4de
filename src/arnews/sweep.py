"""One MLflow parent run per Hydra sweep; every job of the sweep logs a child run under it.

``MlflowSweepCallback`` is a Hydra callback, registered in ``conf/hydra/default.yaml``::

    callbacks:
      mlflow_sweep:
        _target_: arnews.sweep.MlflowSweepCallback

so every multirun gets a parent, whatever the sweeper or launcher::

    python train.py -m model=tfidf_logreg,tfidf_svm seed=1,2
    python train.py -m hydra/launcher=joblib hydra.launcher.n_jobs=2 seed=1,2,3,4
    python train.py -m hparams_search=optuna model=tfidf_logreg

Single runs (no ``-m``) never see it: it only acts between ``on_multirun_start`` and
``on_multirun_end``. The parent is named ``sweep-<task>-<data>-<sweep dir name>``, sits in
``tracking.experiment`` at ``tracking.uri``, carries the sweep's overrides and swept
parameters as tags, and ends FINISHED, FAILED (a job or the sweeper raised) or KILLED
(Ctrl-C, SIGTERM). An Optuna sweep also logs ``best.<param>`` params and the
``best/<optimized_metric>`` metric on it.
"""
from __future__ import annotations

import atexit
import json
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

from arnews.errors import ArnewsError
from arnews.tracking import (PARENT_RUN_ENV, SWEEP_PARENT_TAG, check_reachable, get_or_create_experiment,
                             git_commit)

log = logging.getLogger(__name__)

OPTUNA_RESULTS = "optimization_results.yaml"


def sweep_params(config: DictConfig) -> dict[str, str]:
    """What the sweep varies: ``hydra.sweeper.params`` plus the sweeping command-line overrides.

    ``model=a,b seed=1,2 data=jsonl`` gives ``{"model": "a,b", "seed": "1,2"}``; an Optuna
    search adds its space, e.g. ``{"model.pipeline.C": "tag(log, interval(0.01, 100))"}``.
    """
    from hydra.core.override_parser.overrides_parser import OverridesParser

    params = {}
    if OmegaConf.select(config, "hydra.sweeper.custom_search_space") == f"{__name__}.model_search_space":
        params.update(model_space(config.model))
    params.update({str(k): str(v) for k, v in (OmegaConf.select(config, "hydra.sweeper.params") or {}).items()})
    cli = [str(o) for o in OmegaConf.select(config, "hydra.overrides.task") or []]
    for override in OverridesParser.create().parse_overrides(cli):
        if override.is_sweep_override():
            params[override.get_key_element()] = override.get_value_string()
    return params


def model_space(model: DictConfig) -> dict[str, str]:
    """The Optuna search space of ``hparams_search=optuna`` for a model config, in Hydra's
    sweep syntax (the syntax of ``hydra.sweeper.params``).

    Transformers: learning rate log-uniform from a fifth to five times the model's recipe
    rate (1e-3 from scratch for compact_scratch, 2e-4 for the shipped compact_bert, 2e-6 to 3e-5 for the hub models);
    train batch half, equal to and twice the recipe batch, at most 32 per device.
    Scikit-learn pipelines with a ``C``: C log-uniform in [0.01, 100]. Others: nothing.

    >>> model_space(OmegaConf.create({"kind": "sklearn", "pipeline": {"C": 10.0}}))
    {'model.pipeline.C': 'tag(log, interval(0.01, 100))'}
    """
    if model.get("kind") == "transformer":
        lr = float(model.training.learning_rate)
        batch = int(model.training.per_device_train_batch_size)
        batches = sorted({max(1, batch // 2), batch, min(2 * batch, max(batch, 32))})
        return {"model.training.learning_rate": f"tag(log, interval({lr / 5:g}, {lr * 5:g}))",
                "model.training.per_device_train_batch_size": f"choice({', '.join(map(str, batches))})"}
    if "C" in (model.get("pipeline") or {}):
        return {"model.pipeline.C": "tag(log, interval(0.01, 100))"}
    return {}


def model_search_space(cfg: DictConfig, trial) -> None:
    """Suggest ``model_space(cfg.model)`` in an Optuna trial.

    The optuna sweeper calls it for each trial, as ``hydra.sweeper.custom_search_space``
    (set by ``hparams_search=optuna``), after the dimensions of ``hydra.sweeper.params``
    and the command line, which therefore win:

        python train.py -m hparams_search=optuna model=tfidf_logreg   # searches C
        python train.py -m hparams_search=optuna model=arabert_v02    # rate and batch
    """
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra_plugins.hydra_optuna_sweeper._impl import create_optuna_distribution_from_override

    space = model_space(cfg.model)
    # trial.params: dimensions suggested from the sweep params; user_attrs: pinned values.
    taken = set(trial.params) | set(trial.user_attrs)
    if not space and not taken:
        raise ValueError(f"model {cfg.model.name} has no search space: give one on the command "
                         f"line, e.g. 'model.pipeline.C=interval(0.1, 10)'")
    todo = [f"{k}={v}" for k, v in space.items() if k not in taken]
    for override in OverridesParser.create().parse_overrides(todo):
        # Same conversion and the same call the sweeper uses for hydra.sweeper.params.
        trial._suggest(override.key_or_group, create_optuna_distribution_from_override(override))


def _sweep_tags(config: DictConfig, sweep_dir: Path) -> dict[str, str]:
    choices = OmegaConf.select(config, "hydra.runtime.choices") or {}
    overrides = " ".join(str(o) for o in OmegaConf.select(config, "hydra.overrides.task") or [])
    return {
        "task": str(OmegaConf.select(config, "task.name", default="")),
        "data": str(OmegaConf.select(config, "data.name", default="")),
        "sweeper": str(choices.get("hydra/sweeper", "basic")),
        "launcher": str(choices.get("hydra/launcher", "basic")),
        "sweep_dir": str(sweep_dir),
        "sweep_params": json.dumps(sweep_params(config), ensure_ascii=False),
        "overrides": overrides or "(none)",
        "optimized_metric": str(OmegaConf.select(config, "optimized_metric", default="")),
        SWEEP_PARENT_TAG: "true",  # a summary of its children, not one more run to compare
        "git_commit": git_commit(OmegaConf.select(config, "hydra.runtime.cwd")),
        "mlflow.note.content": f"Hydra sweep: `python train.py -m {overrides}`; "
                               f"one child run per job, output in {sweep_dir}",
    }


class MlflowSweepCallback(Callback):
    """Hydra callback that wraps a multirun in an MLflow parent run.

    ``run_name`` overrides the parent's name
    (``hydra.callbacks.mlflow_sweep.run_name=lr-search``); ``enabled=false`` turns the
    parent off and jobs log top-level runs, as before.
    """

    def __init__(self, run_name: str | None = None, enabled: bool = True) -> None:
        self.run_name = run_name
        self.enabled = enabled
        self.parent_run_id: str | None = None
        self._uri: str | None = None
        self._sweep_dir: Path | None = None
        self._started = 0.0
        self._env_before: str | None = None
        self._sigterm_before: Any = None
        self._interrupted = False

    # Joblib (loky) and other launchers pickle the callback into each worker. Only the
    # parent id travels: the worker needs nothing else, and signal handlers do not pickle.
    def __getstate__(self) -> dict:
        return {"run_name": self.run_name, "enabled": self.enabled, "parent_run_id": self.parent_run_id}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["run_name"], state["enabled"])
        self.parent_run_id = state["parent_run_id"]

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        uri = OmegaConf.select(config, "tracking.uri")
        experiment = OmegaConf.select(config, "tracking.experiment")
        if not self.enabled or not uri or not experiment:
            return
        from mlflow.tracking import MlflowClient

        self._uri = str(uri)
        try:
            check_reachable(self._uri)  # seconds, not MLflow's minutes of retries
        except ArnewsError as exc:  # before any job: Hydra would print a traceback
            print(f"error: {exc}", file=sys.stderr)
            sys.exit(2)
        self._sweep_dir = Path(str(config.hydra.sweep.dir)).absolute()
        self._started = time.time()
        tags = _sweep_tags(config, self._sweep_dir)
        self._env_before = os.environ.get(PARENT_RUN_ENV)
        if self._env_before:
            # A sweep started from inside another tracked run nests under it.
            tags["mlflow.parentRunId"] = self._env_before
        name = self.run_name or f"sweep-{tags['task']}-{tags['data']}-{self._sweep_dir.name}"

        # Creating the store, the experiment and the parent here, before any job starts,
        # means parallel workers only ever insert rows into an existing SQLite schema and
        # never race each other to create tables or the experiment.
        client = MlflowClient(self._uri)
        run = client.create_run(get_or_create_experiment(client, str(experiment), self._uri),
                                run_name=name, tags=tags)
        self.parent_run_id = run.info.run_id
        # In-process jobs (basic launcher) and freshly spawned workers inherit this;
        # on_job_start sets it again for workers spawned earlier or on other machines.
        os.environ[PARENT_RUN_ENV] = self.parent_run_id
        # on_multirun_end is skipped when a job or the sweeper raises: end the parent at
        # interpreter exit instead, so it is never left RUNNING.
        atexit.register(self._end_unfinished)
        if threading.current_thread() is threading.main_thread() \
                and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
            self._sigterm_before = signal.signal(signal.SIGTERM, self._on_sigterm)
        log.info("MLflow parent run %s (%s) for sweep %s", self.parent_run_id, name, self._sweep_dir)

    def on_job_start(self, config: DictConfig, **kwargs: Any) -> None:
        if self.parent_run_id:
            os.environ[PARENT_RUN_ENV] = self.parent_run_id

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        if not self.parent_run_id:
            return
        try:
            self._log_results(config)
            summary = self._summarise(config)
        except Exception:  # a summary that fails to log must not turn a good sweep FAILED
            log.exception("could not log the sweep summary on parent run %s", self.parent_run_id)
            summary = None
        self._end("FINISHED")
        if summary:
            print(summary)

    def _summarise(self, config: DictConfig) -> str:
        """Carry the best child onto the parent; return the lines to print at the end."""
        from mlflow.tracking import MlflowClient

        from arnews.summary import sweep_summary
        from arnews.sweep_summary import carry_best, sweep_board, sweep_children

        client = MlflowClient(self._uri)
        parent = client.get_run(self.parent_run_id)
        experiment_id = parent.info.experiment_id
        children = sweep_children(client, experiment_id, self.parent_run_id)
        board = sweep_board(children, list(sweep_params(config)))
        best = carry_best(client, self.parent_run_id, board, experiment_id)
        return sweep_summary(str(OmegaConf.select(config, "tracking.experiment")), experiment_id,
                             self.parent_run_id, parent.info.run_name, self._uri, board, best,
                             failed=len(children) - len(board))

    def _log_results(self, config: DictConfig) -> None:
        from mlflow.entities import Metric, Param
        from mlflow.tracking import MlflowClient
        from mlflow.utils.validation import MAX_PARAM_VAL_LENGTH

        client = MlflowClient(self._uri)
        results = self._sweep_dir / OPTUNA_RESULTS
        # The sweep dir may be reused: only a results file written by this sweep counts.
        if results.exists() and results.stat().st_mtime >= self._started - 1:
            best = OmegaConf.to_container(OmegaConf.load(results))
            metric = str(OmegaConf.select(config, "optimized_metric", default="objective"))
            if "best_params" in best:
                params = [Param(f"best.{k}", str(v)[:MAX_PARAM_VAL_LENGTH])
                          for k, v in best["best_params"].items()]
                metrics = [Metric(f"best/{metric}", float(best["best_value"]), int(time.time() * 1000), 0)]
                client.log_batch(self.parent_run_id, params=params, metrics=metrics)
                log.info("best %s=%s with %s", metric, best["best_value"], best["best_params"])
            else:  # multi-objective: a Pareto front, not one best trial
                client.set_tag(self.parent_run_id, "pareto_front", json.dumps(best.get("solutions")))
            client.log_artifact(self.parent_run_id, str(results))
        multirun_yaml = self._sweep_dir / "multirun.yaml"
        if multirun_yaml.exists() and multirun_yaml.stat().st_mtime >= self._started - 1:
            client.log_artifact(self.parent_run_id, str(multirun_yaml))

    def _on_sigterm(self, signum, frame) -> None:
        # Unwind like Ctrl-C so the running child ends KILLED and the parent follows.
        self._interrupted = True
        raise KeyboardInterrupt(f"signal {signum}")

    def _end_unfinished(self) -> None:
        if not self.parent_run_id:
            return
        last = getattr(sys, "last_exc", None) or getattr(sys, "last_value", None)
        status = "KILLED" if self._interrupted or isinstance(last, KeyboardInterrupt) else "FAILED"
        self._end(status)

    def _end(self, status: str) -> None:
        from mlflow.tracking import MlflowClient

        run_id, self.parent_run_id = self.parent_run_id, None
        atexit.unregister(self._end_unfinished)
        if self._sigterm_before is not None:
            signal.signal(signal.SIGTERM, self._sigterm_before)
            self._sigterm_before = None
        if self._env_before is None:
            os.environ.pop(PARENT_RUN_ENV, None)
        else:
            os.environ[PARENT_RUN_ENV] = self._env_before
        client = MlflowClient(self._uri)
        if status != "FINISHED":
            try:
                # Jobs killed with their worker process (joblib aborts the pool when one
                # job fails) never ended their runs: close them with the parent.
                for child in client.search_runs(
                        [client.get_run(run_id).info.experiment_id],
                        f"tags.mlflow.parentRunId = '{run_id}' and attributes.status = 'RUNNING'"):
                    client.set_terminated(child.info.run_id, status)
            except Exception:
                log.exception("could not close the unfinished child runs of %s", run_id)
        client.set_terminated(run_id, status)
        log.info("MLflow parent run %s ended %s", run_id, status)
