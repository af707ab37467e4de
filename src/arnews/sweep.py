"""One MLflow parent run per Hydra sweep; every job of the sweep logs a child run under it.

``MlflowSweepCallback`` is a Hydra callback, registered in ``conf/hydra/default.yaml``::

    callbacks:
      mlflow_sweep:
        _target_: arnews.sweep.MlflowSweepCallback

so every multirun gets a parent, whatever the sweeper or launcher::

    python train.py -m model=tfidf_logreg,tfidf_svm seed=1,2
    python train.py -m hydra/launcher=joblib hydra.launcher.n_jobs=2 seed=1,2,3,4
    python train.py -m hparams_search=tfidf model=tfidf_logreg

Single runs (no ``-m``) never see it: it only acts between ``on_multirun_start`` and
``on_multirun_end``. The parent is named ``sweep-<task>-<data>-<sweep dir name>``, sits in
``tracking.experiment`` at ``tracking.uri``, carries the sweep's overrides and swept
parameters as tags, and ends FINISHED, FAILED (a job or the sweeper raised) or KILLED
(Ctrl-C, SIGTERM). An Optuna sweep also logs ``best.<param>`` params and the
``best/<optimized_metric>`` metric on it.

Optuna search spaces are not code: each model family has a YAML file in
``conf/hparams_search/`` (``tfidf``, ``compact``, ``transformer``) that fills the
sweeper's ``hydra.sweeper.params`` on top of the generic ``optuna`` base. This module only
reads that space back, for the parent's ``sweep_params`` tag, and stops an Optuna sweep
that has none or searches a key the model lacks. Everything here is public Hydra,
OmegaConf and MLflow API.
"""
from __future__ import annotations

import atexit
import json
import logging
import os
import shlex
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf, open_dict, read_write

from arnews.cli import report_user_error
from arnews.distributed import is_main_process
from arnews.errors import ArnewsError
from arnews.tracking import (PARENT_RUN_ENV, SWEEP_PARENT_TAG, check_reachable, get_or_create_experiment,
                             git_commit, store_lock)

log = logging.getLogger(__name__)

OPTUNA_RESULTS = "optimization_results.yaml"


def sweep_params(config: DictConfig) -> dict[str, str]:
    """What the sweep varies: ``hydra.sweeper.params`` plus the sweeping command-line overrides.

    ``model=a,b seed=1,2 data=jsonl`` gives ``{"model": "a,b", "seed": "1,2"}``; an Optuna
    search adds the space of its ``conf/hparams_search`` file, e.g.
    ``{"model.pipeline.C": "tag(log, interval(0.01, 100))"}`` for ``hparams_search=tfidf``.
    A command-line entry replaces the file's entry for the same key, as in the sweeper.

    >>> sweep_params(OmegaConf.create({"hydra": {
    ...     "sweeper": {"params": {"model.pipeline.C": "tag(log, interval(0.01, 100))"}},
    ...     "overrides": {"task": ["model.pipeline.C=interval(1, 10)", "seed=1,2", "data=jsonl"]}}}))
    {'model.pipeline.C': 'interval(1, 10)', 'seed': '1,2'}
    """
    return {key: override.get_value_string() for key, override in _sweep_overrides(config).items()}


def _sweep_overrides(config: DictConfig) -> dict[str, Any]:
    """Key -> parsed Hydra override of each entry of ``sweep_params``, in that order."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parser = OverridesParser.create()
    params = OmegaConf.select(config, "hydra.sweeper.params") or {}
    keys = [str(k) for k in params]
    found = dict(zip(keys, parser.parse_overrides([f"{k}={v}" for k, v in params.items()])))
    cli = [str(o) for o in OmegaConf.select(config, "hydra.overrides.task") or []]
    found.update({o.get_key_element(): o for o in parser.parse_overrides(cli) if o.is_sweep_override()})
    return found


def _check_search_space(config: DictConfig) -> None:
    """Stop an Optuna sweep that could only waste its trials, before it starts anything.

    With no dimension to search the sweeper would run ``n_trials`` identical trials (the
    plain ``hparams_search=optuna`` base has no space; the family files add one). A
    dimension the model lacks (``hparams_search=tfidf model=majority``) would fail the
    first trial and leave a FAILED parent with no finished child.
    """
    choices = OmegaConf.select(config, "hydra.runtime.choices") or {}
    if choices.get("hydra/sweeper") != "optuna":
        return
    model = OmegaConf.select(config, "model.name", default="?")
    overrides = list(_sweep_overrides(config).values())
    # Entries of hydra.sweeper.params may also pin a value (min_df: 2): only ranges count.
    if not any(o.is_sweep_override() for o in overrides):
        _refuse(f"the Optuna sweep has no search space for model={model}")
    if any(o.is_sweep_override() and o.key_or_group in choices for o in overrides):
        return  # trials compose other groups (model=a,b): this config is not theirs
    existing = [o for o in overrides if not (o.is_add() or o.is_force_add() or o.is_delete())]
    missing = [o.key_or_group for o in existing if not _has_key(config, o.key_or_group)]
    if missing:
        _refuse(f"the Optuna sweep sets {', '.join(missing)}, which model={model} does not have")


def _has_key(config: DictConfig, key: str) -> bool:
    parent, _, leaf = key.rpartition(".")
    node = OmegaConf.select(config, parent) if parent else config
    if isinstance(node, DictConfig):
        return leaf in node.keys()  # keys(), not `in`: a ??? value is still a key
    return node is not None  # a list index or the like: leave it to Hydra


def _refuse(problem: str) -> None:
    # Exit, not raise: Hydra turns a callback's exception into a warning and sweeps on.
    sys.exit(report_user_error(
        f"{problem}: use its model family's search space (hparams_search=tfidf, compact or "
        "transformer; see conf/hparams_search/) or give ranges on the command line, e.g. "
        "'model.pipeline.C=tag(log, interval(0.01, 100))'"))


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


def _export_to_jobs(config: DictConfig, name: str, value: str) -> None:
    """Put ``export NAME=VALUE`` into the job script of a launcher that writes one.

    The submitit SLURM launcher runs ``hydra.launcher.setup`` lines in each job's sbatch
    script before Python starts, so a job on another node has the variable whatever the
    cluster's environment propagation (``sbatch --export``) is. Hydra instantiates the
    launcher after ``on_multirun_start``, from this same config.
    """
    launcher = OmegaConf.select(config, "hydra.launcher")
    if not isinstance(launcher, DictConfig) or "setup" not in launcher:
        return
    lines = [line for line in (launcher.setup or []) if not str(line).startswith(f"export {name}=")]
    with read_write(launcher), open_dict(launcher):  # Hydra hands callbacks a read-only node
        launcher.setup = [*lines, f"export {name}={shlex.quote(value)}"]


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
        self._handlers_before: dict[int, Any] = {}  # signal -> handler ours replaced
        self._interrupted = False

    # Joblib (loky) and other launchers pickle the callback into each worker. Only the
    # parent id travels: the worker needs nothing else, and signal handlers do not pickle.
    def __getstate__(self) -> dict:
        return {"run_name": self.run_name, "enabled": self.enabled, "parent_run_id": self.parent_run_id}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["run_name"], state["enabled"])
        self.parent_run_id = state["parent_run_id"]

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        _check_search_space(config)  # whether or not there is a parent to make
        uri = OmegaConf.select(config, "tracking.uri")
        experiment = OmegaConf.select(config, "tracking.experiment")
        if not self.enabled or not uri or not experiment or not is_main_process():
            return  # under torchrun, rank 0's sweep owns the parent; other ranks log nothing
        from mlflow.tracking import MlflowClient

        self._uri = str(uri)
        try:
            check_reachable(self._uri)  # seconds, not MLflow's minutes of retries
        except ArnewsError as exc:  # before any job: Hydra would print a traceback
            sys.exit(report_user_error(exc))
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
        # never race each other to create tables or the experiment; store_lock does the
        # same against another sweep or run opening the same new store.
        with store_lock(self._uri):
            client = MlflowClient(self._uri)
            experiment_id = get_or_create_experiment(client, str(experiment), self._uri)
        run = client.create_run(experiment_id, run_name=name, tags=tags)
        self.parent_run_id = run.info.run_id
        # In-process jobs (basic launcher) and freshly spawned workers (joblib,
        # submitit_local) inherit this; on_job_start sets it again for workers spawned
        # earlier. Jobs on other machines get it in their job script (_export_to_jobs).
        os.environ[PARENT_RUN_ENV] = self.parent_run_id
        _export_to_jobs(config, PARENT_RUN_ENV, self.parent_run_id)
        # on_multirun_end is skipped when a job or the sweeper raises, or on Ctrl-C: end
        # the parent at interpreter exit instead, so it is never left RUNNING.
        atexit.register(self._end_unfinished)
        self._watch_signals()
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

    def _watch_signals(self) -> None:
        """Note Ctrl-C (SIGINT) and SIGTERM, so that an unfinished sweep ends KILLED.

        Only the defaults are replaced (SIGINT raises KeyboardInterrupt, SIGTERM kills on
        the spot), and only in the main thread, where Python runs signal handlers. Both
        then raise KeyboardInterrupt, as Ctrl-C always did: the sweep unwinds, the running
        child ends KILLED, and the exit handler reads the flag. A flag set as the signal
        arrives still holds when a launcher re-raises the interrupt as another exception,
        and needs no look at the interpreter's last exception.
        """
        if threading.current_thread() is not threading.main_thread():
            return
        for signum, default in ((signal.SIGINT, signal.default_int_handler),
                                (signal.SIGTERM, signal.SIG_DFL)):
            if signal.getsignal(signum) is default:
                self._handlers_before[signum] = signal.signal(signum, self._on_signal)

    def _on_signal(self, signum, frame) -> None:
        self._interrupted = True
        raise KeyboardInterrupt(f"signal {signum}")

    def _end_unfinished(self) -> None:
        """At interpreter exit, end a parent that on_multirun_end did not: the sweep was
        interrupted (KILLED) or a job or the sweeper raised (FAILED)."""
        if self.parent_run_id:
            self._end("KILLED" if self._interrupted else "FAILED")

    def _end(self, status: str) -> None:
        from mlflow.tracking import MlflowClient

        run_id, self.parent_run_id = self.parent_run_id, None
        atexit.unregister(self._end_unfinished)
        for signum, before in self._handlers_before.items():
            signal.signal(signum, before)
        self._handlers_before = {}
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
