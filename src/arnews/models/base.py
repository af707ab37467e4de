"""The small interface every model implements: fit, predict_scores, save, load."""
from __future__ import annotations

import json
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Callable

import numpy as np

from arnews.tasks.inputs import Inputs

MetricsLogger = Callable[[dict, int], None]
META_FILE = "arnews_model.json"


class Classifier(ABC):
    """A text classifier over a fixed label list.

    ``predict_scores`` returns an ``(n, n_labels)`` array: independent per-label
    probabilities for multi-label tasks, a distribution over labels otherwise.
    The task's decision rule (thresholds, argmax) turns scores into labels.
    """

    kind: str = ""

    def __init__(self, labels: list[str], multi_label: bool):
        self.labels = list(labels)
        self.multi_label = multi_label

    @abstractmethod
    def fit(self, train: Inputs, y_train: np.ndarray, dev: Inputs, y_dev: np.ndarray,
            log_metrics: MetricsLogger | None = None, resume: bool = False) -> "Classifier":
        """Train on ``train``; ``dev`` is for early stopping and model selection only.

        ``resume`` continues from the latest checkpoint a model that checkpoints
        (transformers) saved in its output folder; other models fit from the start.
        """

    @abstractmethod
    def predict_scores(self, inputs: Inputs) -> np.ndarray:
        """Scores for each example and label."""

    @abstractmethod
    def _save_weights(self, path: Path) -> None: ...

    def save(self, path: str | Path) -> Path:
        """Write the model to ``path`` so that ``load_classifier(path)`` restores it."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        self._save_weights(path)
        meta = {"kind": self.kind, "labels": self.labels, "multi_label": self.multi_label,
                **self._extra_meta()}
        (path / META_FILE).write_text(json.dumps(meta, ensure_ascii=False, indent=2))
        return path

    def _extra_meta(self) -> dict:
        return {}
