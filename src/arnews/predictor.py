"""Scores → decisions → labels: the one prediction path of training, evaluation,
logging and serving.

A ``Predictor`` holds what turns raw rows into labels: the task (input fields, label
space), the classifier, the decision rule fitted on dev and the text normaliser.
``train.py`` builds one, ``evaluate.py`` and the logged MLflow model restore it.

>>> import numpy as np
>>> from arnews.tasks import DecisionRule, Task
>>> task = Task("topic", ["text"], ["topic"], labels=["a", "b"], multi_label=False)
>>> p = Predictor(task, classifier=None, rule=DecisionRule(False))
>>> p.output_frame(np.array([[0.2, 0.8]]), np.array([1]))
  labels  score_a  score_b
0      b      0.2      0.8
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from arnews.data.normalize import ArabicNormalizer
from arnews.tasks import DecisionRule, Inputs, Task


@dataclass
class Predictor:
    task: Task
    classifier: object  # arnews.models.Classifier
    rule: DecisionRule
    normalizer: ArabicNormalizer | None = None

    def scores(self, inputs: Inputs) -> np.ndarray:
        """Classifier scores, ``(n, n_labels)``, of inputs built from normalised rows."""
        return self.classifier.predict_scores(inputs)

    def evaluate(self, scores: np.ndarray, targets: np.ndarray, prefix: str = "") -> tuple[np.ndarray, dict]:
        """The decisions for ``scores`` and their metrics against ``targets``."""
        from arnews.tasks.metrics import compute_metrics  # scoring only: serving needs no sklearn

        decided = self.rule.decide(scores)
        return decided, compute_metrics(targets, decided, self.task.labels, self.task.multi_label, prefix)

    def predict_rows(self, rows: list[dict]) -> tuple[np.ndarray, np.ndarray]:
        """Scores and decisions for raw rows (normalised here, as in training)."""
        if self.normalizer is not None:
            rows = [{k: self.normalizer(v) if isinstance(v, str) else v for k, v in r.items()} for r in rows]
        scores = self.scores(self.task.inputs(rows))
        return scores, self.rule.decide(scores)

    def output_frame(self, scores: np.ndarray, decided: np.ndarray) -> pd.DataFrame:
        """The served format: ``labels`` plus one ``score_<label>`` column per label."""
        out = pd.DataFrame({"labels": self.task.label_names(decided)})
        for j, label in enumerate(self.task.labels):
            out[f"score_{label}"] = scores[:, j].astype(float)
        return out

    def to_meta(self) -> dict:
        """Everything but the classifier, as JSON-ready values (the logged task.json)."""
        return {"task": self.task.to_meta(),
                "normalize": None if self.normalizer is None else asdict(self.normalizer),
                "thresholds": None if self.rule.thresholds is None else self.rule.thresholds.tolist()}

    @classmethod
    def from_meta(cls, meta: dict, classifier) -> "Predictor":
        task = Task.from_meta(meta["task"])
        normalize = meta.get("normalize")
        return cls(task, classifier, DecisionRule(task.multi_label, thresholds=meta.get("thresholds")),
                   ArabicNormalizer(**normalize) if normalize else None)
