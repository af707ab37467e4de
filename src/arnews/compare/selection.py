"""Which runs a comparison reads: MLflow queries by experiment, parent run and tags.

    >>> RunFilter(experiments=["arnews-topic-demo"], tags={"model": "tfidf_logreg"}).describe()
    'experiment arnews-topic-demo, tag model=tfidf_logreg'

Filters combine with AND. Only FINISHED runs count; evaluation runs (tag
``evaluation=true``, written by ``evaluate.py``) are left out unless asked for,
because they score one logged model on other data and would pose as extra seeds.
Sweep parents (tag ``sweep_parent=true``) are always left out: they repeat the
metrics of their best child.
"""
from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from mlflow.entities import Run, ViewType
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from arnews.errors import ArnewsError
from arnews.tracking import SWEEP_PARENT_TAG, search_all_runs

log = logging.getLogger(__name__)

PARENT_TAG = "mlflow.parentRunId"
PREDICTIONS = "predictions/test.csv"


@dataclass
class RunFilter:
    experiments: list[str] = field(default_factory=list)
    parent: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    include_evaluations: bool = False

    def describe(self) -> str:
        parts = [f"experiment {', '.join(self.experiments)}"] if self.experiments else []
        if self.parent:
            parts.append(f"parent run {self.parent}")
        parts += [f"tag {k}={v}" for k, v in self.tags.items()]
        return ", ".join(parts) or "all experiments"


@dataclass
class RunRecord:
    """The parts of an MLflow run a comparison needs, detached from the client."""
    run_id: str
    run_name: str
    experiment_id: str
    params: dict[str, str]
    tags: dict[str, str]
    metrics: dict[str, float]

    @classmethod
    def from_run(cls, run: Run) -> "RunRecord":
        return cls(run.info.run_id, run.info.run_name or "", run.info.experiment_id,
                   dict(run.data.params), dict(run.data.tags), dict(run.data.metrics))

    @property
    def multi_label(self) -> bool | None:
        value = self.tags.get("multi_label")
        return None if value is None else value.lower() == "true"


@dataclass
class Selection:
    runs: list[RunRecord]
    skipped: dict[str, int]  # reason → count, reported so nothing vanishes silently


def parse_tag(text: str) -> tuple[str, str]:
    """``"model=tfidf_logreg"`` → ``("model", "tfidf_logreg")``.

    >>> parse_tag("model=tfidf_logreg")
    ('model', 'tfidf_logreg')
    """
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise ArnewsError(f"--tag {text!r}: expected KEY=VALUE, e.g. --tag model=tfidf_logreg")
    return key.strip(), value.strip()


def _quote(value: str) -> str | None:
    # MLflow's filter grammar has no escape for quotes; such values are matched in Python.
    return None if "'" in value else f"'{value}'"


def _filter_string(filt: RunFilter) -> str:
    clauses = ["attributes.status = 'FINISHED'"]
    if filt.parent and _quote(filt.parent):
        clauses.append(f"tags.`{PARENT_TAG}` = {_quote(filt.parent)}")
    clauses += [f"tags.`{k}` = {_quote(v)}" for k, v in filt.tags.items() if _quote(v) and "`" not in k]
    return " and ".join(clauses)


def _experiment_ids(client: MlflowClient, filt: RunFilter, uri: str) -> list[str]:
    if not filt.experiments:
        # A sweep over tasks or datasets spreads its children over several experiments.
        return [e.experiment_id for e in client.search_experiments(view_type=ViewType.ACTIVE_ONLY)]
    ids = []
    for name in filt.experiments:
        exp = client.get_experiment_by_name(name)
        if exp is None:
            known = ", ".join(sorted(e.name for e in client.search_experiments())) or "none"
            raise ArnewsError(f"no experiment named {name!r} at {uri} (experiments there: {known}); "
                              "check --experiment and --tracking-uri")
        ids.append(exp.experiment_id)
    return ids


def select_runs(client: MlflowClient, filt: RunFilter, uri: str) -> Selection:
    """The FINISHED runs matching ``filt``; raises ArnewsError when none match."""
    if filt.parent:
        try:
            client.get_run(filt.parent)
        except MlflowException:
            raise ArnewsError(f"no run with id {filt.parent!r} at {uri}; check --parent and "
                              "--tracking-uri (the parent must be in the same store)") from None
    found = search_all_runs(client, _experiment_ids(client, filt, uri), _filter_string(filt))
    runs, skipped = [], {}
    for run in found:
        rec = RunRecord.from_run(run)
        # Re-check in Python: covers values the filter string could not quote.
        if filt.parent and rec.tags.get(PARENT_TAG) != filt.parent:
            continue
        if any(rec.tags.get(k) != v for k, v in filt.tags.items()):
            continue
        if not filt.include_evaluations and rec.tags.get("evaluation", "").lower() == "true":
            skipped["evaluation run"] = skipped.get("evaluation run", 0) + 1
            continue
        if rec.tags.get(SWEEP_PARENT_TAG, "").lower() == "true":
            # A sweep's parent repeats its best child's metrics: counting it would add a seed.
            skipped["sweep parent"] = skipped.get("sweep parent", 0) + 1
            continue
        if "test/macro_f1" not in rec.metrics:
            # e.g. a sweep's parent run from before parents carried their best child.
            skipped["no test/macro_f1"] = skipped.get("no test/macro_f1", 0) + 1
            continue
        runs.append(rec)
    if not runs:
        why = "".join(f"; {n} skipped as {reason}" for reason, n in skipped.items())
        hint = " (pass --include-evaluations to compare them)" if "evaluation run" in skipped else ""
        raise ArnewsError(f"no FINISHED runs matched {filt.describe()} at {uri}{why}{hint}; "
                          "check --tracking-uri and the experiment name (mlflow ui lists them)")
    return Selection(runs, skipped)


def load_predictions(client: MlflowClient, run_id: str, path: str = PREDICTIONS) -> pd.DataFrame | None:
    """A run's logged prediction table, or None (with a warning) when it has none."""
    with tempfile.TemporaryDirectory() as tmp:
        try:
            local = client.download_artifacts(run_id, path, tmp)
        except (MlflowException, OSError) as exc:
            log.warning("run %s: no %s (%s); it is left out of the bootstrap CI",
                        run_id, path, str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__)
            return None
        return read_predictions(Path(local))


def read_predictions(path: Path) -> pd.DataFrame:
    """Read a ``predictions/*.csv`` as logged by training."""
    # An empty multi-label cell means "no label": keep it as "" rather than NaN, and
    # keep ids and labels as text (ids such as "007" must still match across runs).
    return pd.read_csv(path, keep_default_na=False, na_values={},
                       dtype={"id": str, "gold": str, "predicted": str})
