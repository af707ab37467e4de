"""What a run writes besides metrics: report, figure, predictions, and the model."""
from __future__ import annotations

import json
import tempfile
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import matplotlib.pyplot as plt
import mlflow
import numpy as np
import pandas as pd
from mlflow.models import infer_signature
from mlflow.types import ColSpec, DataType, Schema

from arnews import tracking
from arnews.predictor import Predictor
from arnews.pyfunc import predict_frame
from arnews.reports import confusion_figure
from arnews.tasks.metrics import text_report

# What every logged model needs at load time (the arnews code itself travels with it);
# each classifier adds its own (Classifier.requirements): torch and transformers for a
# transformer, scikit-learn for a baseline, never Hydra.
BASE_REQUIREMENTS = ("mlflow", "pandas", "numpy")


def requirements(extra: tuple[str, ...] = ()) -> list[str]:
    """Pinned base packages, plus the ``extra`` ones the model needs, each once."""
    reqs = []
    for name in dict.fromkeys(BASE_REQUIREMENTS + tuple(extra)):
        try:
            reqs.append(f"{name}=={version(name).split('+')[0]}")
        except PackageNotFoundError:
            reqs.append(name)
    return reqs


def log_evaluation(predictor: Predictor, split: str, rows: list[dict], y: np.ndarray, scores: np.ndarray,
                   decided: np.ndarray) -> None:
    """Classification report, confusion figure and per-example predictions of one split."""
    task = predictor.task
    mlflow.log_text(text_report(y, decided, task.labels, task.multi_label),
                    f"reports/{split}_classification_report.txt")
    fig = confusion_figure(y, decided, task.labels, task.multi_label, title=split)
    mlflow.log_figure(fig, f"reports/{split}_confusion.png")
    plt.close(fig)
    frame = predictor.output_frame(scores, decided)
    gold = task.label_names(y)
    if task.multi_label:
        frame["labels"] = ["|".join(labs) for labs in frame["labels"]]
        gold = ["|".join(labs) for labs in gold]
    frame.insert(0, "gold", gold)
    frame.insert(0, "id", [r.get("id", i) for i, r in enumerate(rows)])
    frame = frame.rename(columns={"labels": "predicted"})
    mlflow.log_text(frame.to_csv(index=False), f"predictions/{split}.csv")


def log_trained_model(predictor: Predictor, example_rows: list[dict], name: str = "model",
                      register: str | None = None):
    """Save the predictor (classifier, task, decision rule, normaliser) as an MLflow pyfunc
    model named ``name`` (``runs:/<run_id>/<name>``), registered as ``register`` if given."""
    task, classifier = predictor.task, predictor.classifier
    # Every pair field (claim and target) is an optional column: a target-stance model
    # reads `target`, and the signature must not drop it.
    fields = list(dict.fromkeys(task.pair_fields + task.text_fields))
    example = pd.DataFrame([{f: str(r.get(f, "")) for f in fields} for r in example_rows])
    output = predict_frame(predictor, example)
    with tempfile.TemporaryDirectory() as tmp:
        saved = classifier.save(Path(tmp) / "classifier")
        meta_file = Path(tmp) / "task.json"
        meta_file.write_text(json.dumps(predictor.to_meta(), ensure_ascii=False, indent=2))
        return tracking.log_model(saved, meta_file, example, input_signature(task, example, output),
                                  requirements(classifier.requirements), name=name, register=register)


def input_signature(task, example: pd.DataFrame, output: pd.DataFrame):
    """Signature in which only the article body is required: a title is optional, and a
    stance model takes either a claim or a target."""
    signature = infer_signature(example, output)
    required = set(task.text_fields[-1:])
    signature.inputs = Schema([ColSpec(DataType.string, name, required=name in required)
                               for name in example.columns])
    return signature


def log_headline_metrics(results: dict[str, float], labels: list[str], datasets: dict, model_info=None) -> None:
    """The final dev and test metrics, each split's linked to its dataset and, when a model
    was logged, to the model (the UI's Models tab shows them there).

    The run page lists metrics in logging order, so the headline ones (macro-F1, micro-F1,
    per-label F1) of dev and then test go first, and the rest (accuracy, precision,
    recall) after them.
    """
    from arnews.summary import HEADLINE, headline_first

    names = {*HEADLINE, *(f"f1_{lab}" for lab in labels)}
    first = {k: v for k, v in results.items() if k.split("/", 1)[-1] in names}
    rest = {k: v for k, v in results.items() if k not in first}
    for part in (first, rest):
        for split in ("dev", "test"):
            chunk = headline_first({k: v for k, v in part.items() if k.startswith(f"{split}/")}, labels)
            if chunk:
                tracking.log_metrics(chunk, model_id=model_info and model_info.model_id,
                                     dataset=datasets.get(split))


def log_diagnostics(task, rule, leakage, splits: dict[str, list]) -> None:
    """Thresholds, leakage counts and row counts, logged after the headline metrics.

    They matter for auditing a run, not for comparing runs, so they come after dev/test
    scores in the run page's metric list rather than in front of them.
    """
    metrics = {}
    if rule.thresholds is not None:
        metrics.update({f"threshold/{lab}": t for lab, t in zip(task.labels, rule.thresholds)})
    metrics.update(leakage.as_metrics())
    metrics.update({f"data/{s}_rows": len(r) for s, r in splits.items()})
    tracking.log_metrics(metrics)


def test_interval(task, y_test: np.ndarray, decided: np.ndarray, n_resamples: int = 1000,
                  level: float = 0.95) -> tuple[float, float, float] | None:
    """``(level, low, high)``: a percentile bootstrap CI of test macro-F1 (as compare.py's)."""
    from arnews.compare.stats import bootstrap_macro_f1

    if len(y_test) < 2:
        return None
    ci = bootstrap_macro_f1([(y_test, decided)], len(task.labels), task.multi_label,
                            n_resamples=n_resamples, level=level)
    return level, ci.low, ci.high


def describe_run(cfg, task, splits: dict, results: dict, y_test: np.ndarray, decided_test: np.ndarray,
                 leakage) -> None:
    """The run's description (task, data, model, scores, test CI) and the experiment's
    Leaderboard view, which gains this task's label columns if it lacks them."""
    from mlflow.tracking import MlflowClient

    from arnews.summary import run_description
    from arnews.ui_views import ensure_leaderboard_view

    rows = {s: len(r) for s, r in splits.items()}
    note = run_description(task.name, cfg.data.name, cfg.model.name, rows, results, task.labels,
                           test_interval(task, y_test, decided_test), leakage.summary())
    mlflow.set_tag("mlflow.note.content", note)
    ensure_leaderboard_view(MlflowClient(), mlflow.active_run().info.experiment_id, task.labels)
