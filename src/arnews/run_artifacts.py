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
from arnews.pyfunc import scores_frame
from arnews.reports import confusion_figure
from arnews.tasks.metrics import text_report

# What the logged pyfunc needs at load time; the arnews code itself travels with it.
RUNTIME_PACKAGES = ("mlflow", "torch", "transformers", "tokenizers", "datasets", "scikit-learn",
                    "scipy", "pandas", "numpy", "pyarabic", "hydra-core", "omegaconf", "joblib")


def requirements(extra: tuple[str, ...] = ()) -> list[str]:
    """Pinned runtime packages, plus ``extra`` ones the model needs (e.g. arabert)."""
    reqs = []
    for name in RUNTIME_PACKAGES + tuple(extra):
        try:
            reqs.append(f"{name}=={version(name).split('+')[0]}")
        except PackageNotFoundError:
            reqs.append(name)
    return reqs


def log_evaluation(task, split: str, rows: list[dict], y: np.ndarray, scores: np.ndarray,
                   decided: np.ndarray) -> None:
    """Classification report, confusion figure and per-example predictions of one split."""
    mlflow.log_text(text_report(y, decided, task.labels, task.multi_label),
                    f"reports/{split}_classification_report.txt")
    fig = confusion_figure(y, decided, task.labels, task.multi_label, title=split)
    mlflow.log_figure(fig, f"reports/{split}_confusion.png")
    plt.close(fig)
    frame = scores_frame(task, scores, decided)
    gold = task.label_names(y)
    if task.multi_label:
        frame["labels"] = ["|".join(labs) for labs in frame["labels"]]
        gold = ["|".join(labs) for labs in gold]
    frame.insert(0, "gold", gold)
    frame.insert(0, "id", [r.get("id", i) for i, r in enumerate(rows)])
    frame = frame.rename(columns={"labels": "predicted"})
    mlflow.log_text(frame.to_csv(index=False), f"predictions/{split}.csv")


def log_trained_model(task, classifier, rule, normalize: dict | None, example_rows: list[dict]):
    """Save the classifier with its task and decision rule as an MLflow pyfunc model."""
    # Every pair field (claim and target) is an optional column: a target-stance model
    # reads `target`, and the signature must not drop it.
    fields = list(dict.fromkeys(task.pair_fields + task.text_fields))
    example = pd.DataFrame([{f: str(r.get(f, "")) for f in fields} for r in example_rows])
    scores = classifier.predict_scores(task.inputs(example.to_dict("records")))
    output = scores_frame(task, scores, rule.decide(scores))
    with tempfile.TemporaryDirectory() as tmp:
        saved = classifier.save(Path(tmp) / "classifier")
        meta = {"task": task.to_meta(), "normalize": normalize,
                "thresholds": None if rule.thresholds is None else rule.thresholds.tolist()}
        meta_file = Path(tmp) / "task.json"
        meta_file.write_text(json.dumps(meta, ensure_ascii=False, indent=2))
        # AraBERT's preprocessing runs inside the served model, so serving needs its package.
        extra = ("arabert",) if str(getattr(classifier, "preprocess", None) or "").startswith("arabert") else ()
        return tracking.log_model(saved, meta_file, example, input_signature(task, example, output),
                                  requirements(extra))


def input_signature(task, example: pd.DataFrame, output: pd.DataFrame):
    """Signature in which only the article body is required: a title is optional, and a
    stance model takes either a claim or a target."""
    signature = infer_signature(example, output)
    required = set(task.text_fields[-1:])
    signature.inputs = Schema([ColSpec(DataType.string, name, required=name in required)
                               for name in example.columns])
    return signature
