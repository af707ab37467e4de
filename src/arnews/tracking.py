"""Everything MLflow: run lifecycle, params, tags, metrics, artifacts and the model.

``tracked_run`` is the wrapper that guarantees no run is left RUNNING: an
exception marks the run FAILED (KILLED on Ctrl-C) and re-raises.
"""
from __future__ import annotations

import logging
import os
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import mlflow
import pandas as pd
from mlflow.entities import Metric, Param
from mlflow.tracking import MlflowClient
from mlflow.utils.validation import MAX_PARAM_VAL_LENGTH, MAX_PARAMS_TAGS_PER_BATCH
from omegaconf import DictConfig, OmegaConf

from arnews.errors import ArnewsError

log = logging.getLogger(__name__)

PARENT_RUN_ENV = "ARNEWS_PARENT_RUN_ID"
SWEEP_JOB_WAIT_S = 120.0  # how long a sweep job waits for its tracking server to come back
SWEEP_PARENT_TAG = "sweep_parent"  # "true" on a sweep's parent run, which repeats its best child
MODEL_URI_TAG = "model_uri"  # runs:/<run_id>/<task>-<model> of the run's logged model


def flatten(cfg: DictConfig | dict, prefix: str = "") -> dict[str, str]:
    """Nested config → ``{"model.training.learning_rate": "5e-4", ...}``.

    Hydra's instantiation keys (``_target_``, ``_partial_``) are code, not settings, and
    are left out.

    >>> flatten({"a": {"b": 1, "c": [1, 2], "_target_": "f"}, "d": None})
    {'a.b': '1', 'a.c': '[1, 2]', 'd': 'None'}
    """
    if isinstance(cfg, DictConfig):
        cfg = OmegaConf.to_container(cfg, resolve=True)
    out = {}
    for key, value in cfg.items():
        if str(key).startswith("_") and str(key).endswith("_"):
            continue
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            out.update(flatten(value, f"{name}."))
        else:
            out[name] = str(value)
    return out


def git_commit(cwd: str | Path | None = None) -> str:
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True,
                              text=True, timeout=5, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def default_artifact_location(uri: str) -> str | None:
    """Artifacts beside a SQLite store rather than in the current folder.

    MLflow puts a new experiment's artifacts under ``./mlruns`` of whatever folder the
    command runs in, so ``tracking.uri=sqlite:////data/runs.db`` would still scatter
    artifacts into the checkout. Keep them in ``mlruns/`` next to the database file.

    >>> default_artifact_location("sqlite:////data/runs.db")
    'file:///data/mlruns'
    """
    db = sqlite_file(uri)
    return None if db is None else (db.resolve().parent / "mlruns").as_uri()


def sqlite_file(uri: str) -> Path | None:
    """The database file of a ``sqlite:///`` tracking URI; None for any other store.

    >>> sqlite_file("sqlite:////data/runs.db?timeout=30"), sqlite_file("http://h:5000")
    (PosixPath('/data/runs.db'), None)
    """
    if not uri.startswith("sqlite:///"):
        return None
    return Path(uri[len("sqlite:///"):].split("?")[0]).expanduser()


@contextmanager
def store_lock(uri: str):
    """Open a SQLite store while holding ``<database>.lock``, so one process at a time does.

    MLflow builds a new SQLite store's schema with alembic migrations on first use. Two
    processes opening the same new store at once (two sweeps, or runs started side by
    side) both migrate, and one fails with "duplicate column name" or "Online migration
    expected to match one row". Under the lock the second one finds the schema built.
    Other stores (a server, PostgreSQL) migrate elsewhere, and get no lock.
    """
    db = sqlite_file(uri)
    if db is None or not db.parent.is_dir():  # a missing folder: MLflow's own error says so
        yield
        return
    from filelock import FileLock
    import mlflow.store.tracking.sqlalchemy_store  # noqa: F401 - import outside the lock: 1-2 s

    with FileLock(f"{db}.lock"):
        yield


def get_or_create_experiment(client: MlflowClient, name: str, uri: str) -> str:
    """The experiment's id, creating it (with artifacts beside a SQLite store) if needed."""
    from mlflow.exceptions import MlflowException

    experiment = client.get_experiment_by_name(name)
    if experiment is not None:
        return experiment.experiment_id
    try:
        return client.create_experiment(name, artifact_location=default_artifact_location(uri))
    except MlflowException:
        # Another process (a parallel sweep job) created it meanwhile.
        experiment = client.get_experiment_by_name(name)
        if experiment is None:
            raise
        return experiment.experiment_id


def check_reachable(uri: str, timeout: float = 3.0, wait_s: float = 0.0) -> None:
    """Fail in seconds when no server answers at an ``http(s)`` tracking URI.

    MLflow itself retries for minutes and then prints a traceback. Any HTTP answer,
    even an error status or a TLS complaint, means a server is there, and MLflow's own
    client (with its auth and certificate settings) takes it from here. ``wait_s`` keeps
    asking for that long before giving up (a server being restarted).
    """
    if not uri.startswith(("http://", "https://")):
        return
    deadline = time.monotonic() + wait_s
    while True:
        try:
            urllib.request.urlopen(f"{uri.rstrip('/')}/health", timeout=timeout).close()
            return
        except urllib.error.HTTPError:
            return
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            if isinstance(reason, ssl.SSLError):
                return
            if time.monotonic() < deadline:
                log.warning("tracking.uri=%s: no answer (%s); retrying until it is back", uri, reason)
                time.sleep(2.0)
                continue
        raise ArnewsError(f"tracking.uri={uri}: no MLflow server answers there ({reason}); start "
                          "one with `mlflow server --backend-store-uri sqlite:///mlflow.db --port "
                          "5000`, or use tracking.uri=sqlite:///mlflow.db"
                          + (f" (waited {wait_s:.0f}s for it)" if wait_s else "")) from None


def setup(uri: str, experiment: str) -> None:
    # A sweep job's server answered when the sweep began: a refusal now is most likely a
    # restart, so wait for it as MLflow's own client retries do, then fail in one line.
    check_reachable(uri, wait_s=SWEEP_JOB_WAIT_S if os.environ.get(PARENT_RUN_ENV) else 0.0)
    mlflow.set_tracking_uri(uri)
    with store_lock(uri):  # the first process on a new SQLite store builds its schema
        experiment_id = get_or_create_experiment(MlflowClient(uri), experiment, uri)
    mlflow.set_experiment(experiment_id=experiment_id)


class _NoRun:
    """What ``tracked_run`` yields on ranks other than 0 of a data-parallel run: a run
    that logs nowhere (``logged`` is False) and has no id."""

    logged = False

    class info:  # noqa: N801 - mirrors mlflow.entities.Run.info
        run_id = run_name = experiment_id = None


NO_RUN = _NoRun()


@contextmanager
def tracked_run(uri: str, experiment: str, run_name: str | None = None, tags: dict | None = None,
                run_id: str | None = None, system_metrics: bool = False):
    """Start a run (a child of ``$ARNEWS_PARENT_RUN_ID`` in a sweep) and always end it.

    ``run_id`` reopens an earlier run instead (a resumed pre-training run).
    ``system_metrics`` samples CPU, memory (and GPU) use into ``system/*`` metrics,
    which the UI shows on the run's "System metrics" tab (needs psutil).
    """
    from arnews import distributed

    if not distributed.is_main_process():
        # Data-parallel training: rank 0 owns the run; the other ranks touch no store.
        yield NO_RUN
        return
    setup(uri, experiment)
    parent = os.environ.get(PARENT_RUN_ENV)
    run_tags = dict(tags or {})
    if parent:
        run_tags["mlflow.parentRunId"] = parent
    if run_id:
        run = mlflow.start_run(run_id=run_id, log_system_metrics=system_metrics or None)
        mlflow.set_tags(run_tags)
    else:
        run = mlflow.start_run(run_name=run_name, tags=run_tags, log_system_metrics=system_metrics or None)
    try:
        yield run
    except KeyboardInterrupt:
        mlflow.end_run(status="KILLED")
        raise
    except BaseException:
        mlflow.end_run(status="FAILED")
        raise
    else:
        mlflow.end_run(status="FINISHED")


def search_all_runs(client: MlflowClient, experiment_ids: list[str], filter_string: str = "") -> list:
    """Every run matching ``filter_string``, page by page (MLflow returns 1,000 at most)."""
    runs, token = [], None
    while True:
        page = client.search_runs(experiment_ids, filter_string, max_results=1000, page_token=token)
        runs.extend(page)
        token = page.token
        if not token:
            return runs


def log_params(params: dict[str, str]) -> None:
    """Log params in batches, clipping values to MLflow's length limit."""
    run_id = mlflow.active_run().info.run_id
    items = [Param(k, v[:MAX_PARAM_VAL_LENGTH]) for k, v in params.items()]
    client = MlflowClient()
    for i in range(0, len(items), MAX_PARAMS_TAGS_PER_BATCH):
        client.log_batch(run_id, params=items[i:i + MAX_PARAMS_TAGS_PER_BATCH])


def log_metrics(metrics: dict[str, float], step: int | None = None, model_id: str | None = None,
                dataset=None) -> None:
    """Log a dict of metrics in one batch (keys may hold ``/``).

    ``model_id`` (a logged model) and ``dataset`` (an MLflow dataset, logged as an input
    of the run if it is not yet) link the values to that model and data, which is what
    the UI's Models tab and the model page show next to each metric.
    """
    if model_id is not None or dataset is not None:
        mlflow.log_metrics({k: float(v) for k, v in metrics.items()}, step=step or 0,
                           model_id=model_id, dataset=dataset)
        return
    run_id = mlflow.active_run().info.run_id
    now = int(time.time() * 1000)
    items = [Metric(k, float(v), now, step or 0) for k, v in metrics.items()]
    client = MlflowClient()
    for i in range(0, len(items), 1000):
        client.log_batch(run_id, metrics=items[i:i + 1000])


@contextmanager
def no_artifact_bars():
    """No "Downloading artifacts" bars inside the block: MLflow draws them even when it
    copies a model of ours from the local store, where there is nothing to wait for."""
    name = "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"
    before = os.environ.get(name)
    os.environ[name] = "false"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = before


def model_name(task: str, model: str) -> str:
    """The logged model's name: what it classifies and with what.

    MLflow 3 resolves ``runs:/<run_id>/<name>`` by this name, and the UI lists models by it.

    >>> model_name("topic", "compact_bert")
    'topic-compact_bert'
    """
    return f"{task}-{model}"


def log_model(saved_dir: Path, task_meta_file: Path, example: pd.DataFrame, signature,
              requirements: list[str], name: str = "model", register: str | None = None):
    """Log the classifier as an ``arnews`` pyfunc with signature and input example.

    ``register`` also registers it as a new version of that Model Registry model.
    The run gets a ``model_uri`` tag, ``runs:/<run_id>/<name>``, to copy from the UI.
    """
    import shutil
    import tempfile

    import arnews

    package = Path(arnews.__file__).parent
    with tempfile.TemporaryDirectory() as tmp, no_artifact_bars():
        # The model carries the package's Python code only: not the shipped encoder's
        # weights or the demo corpus (27 MB), which a trained classifier never reads.
        code = Path(shutil.copytree(package, Path(tmp) / "arnews",
                                    ignore=shutil.ignore_patterns("*.safetensors", "demo_corpus",
                                                                  "__pycache__", "*.png")))
        # MLflow reloads the model it just wrote to check the input example.
        info = mlflow.pyfunc.log_model(
            name=name, python_model=str(package / "pyfunc_model.py"),
            artifacts={"model": str(saved_dir), "task": str(task_meta_file)},
            code_paths=[str(code)],
            signature=signature, input_example=example,
            pip_requirements=requirements, registered_model_name=register or None)
    mlflow.set_tag(MODEL_URI_TAG, runs_uri(info))
    return info


def runs_uri(info) -> str | None:
    """``runs:/<run_id>/<name>`` of a logged model's ModelInfo (None for None)."""
    return None if info is None else f"runs:/{info.run_id}/{info.name}"
