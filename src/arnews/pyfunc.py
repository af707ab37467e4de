"""The logged model: an MLflow ``pyfunc`` that maps raw Arabic texts to labels.

It bundles the classifier, the task (label space, input fields), the decision rule
fitted on dev, and the text normalisation, so that

    mlflow.pyfunc.load_model(uri).predict(pd.DataFrame({"text": [...]}))

returns a ``labels`` column and one ``score_<label>`` column per label (DESIGN.md,
contract 6), exactly as the training run scored its test split.
"""
from __future__ import annotations

import json
from pathlib import Path

import mlflow.pyfunc
import numpy as np
import pandas as pd

TASK_FILE = "task.json"


class ArnewsPyfunc(mlflow.pyfunc.PythonModel):
    """Classifier + task + decision rule + normalisation behind ``predict``."""

    def load_context(self, context):
        from arnews.data.normalize import ArabicNormalizer
        from arnews.models import load_classifier
        from arnews.tasks import DecisionRule, Task

        meta = json.loads(Path(context.artifacts["task"]).read_text())
        self.task = Task.from_meta(meta["task"])
        self.rule = DecisionRule(self.task.multi_label, thresholds=meta.get("thresholds"))
        self.normalizer = ArabicNormalizer(**meta["normalize"]) if meta.get("normalize") else None
        self.classifier = load_classifier(context.artifacts["model"])

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        return predict_frame(self.task, self.classifier, self.rule, model_input, self.normalizer)


def predict_frame(task, classifier, rule, frame: pd.DataFrame, normalizer=None) -> pd.DataFrame:
    """Labels and scores for the rows of ``frame`` (the pyfunc output format)."""
    rows = frame.to_dict("records")
    if normalizer is not None:
        fields = set(task.text_fields) | set(task.pair_fields)
        rows = [{k: normalizer(v) if k in fields and isinstance(v, str) else v for k, v in r.items()}
                for r in rows]
    missing = [f for f in task.text_fields[-1:] if f not in frame.columns]
    if task.pair_fields and not any(f in frame.columns for f in task.pair_fields):
        missing.append(" or ".join(task.pair_fields))
    if missing:
        raise ValueError(f"input DataFrame lacks column(s) {missing}; "
                         f"this {task.name} model reads {task.text_fields + task.pair_fields}")
    scores = classifier.predict_scores(task.inputs(rows))
    return scores_frame(task, scores, rule.decide(scores))


def scores_frame(task, scores: np.ndarray, decided: np.ndarray) -> pd.DataFrame:
    out = pd.DataFrame({"labels": task.label_names(decided)})
    for j, lab in enumerate(task.labels):
        out[f"score_{lab}"] = scores[:, j].astype(float)
    return out
