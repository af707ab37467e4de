"""The small interface every model implements: fit, predict_scores, save, load.

A model config (``conf/model/*.yaml``) names a *factory* with ``_target_``; the entry
layer instantiates it as a partial and calls it with a :class:`ModelContext`, what
the run knows that the config does not::

    factory = hydra.utils.instantiate(cfg.model)          # in train.py only
    classifier = factory(context=ModelContext(labels, multi_label, seed=1))

Without Hydra, call the factory yourself, e.g.
``sklearn_classifier(ModelContext(["a", "b"], False), pipeline=tfidf_logreg)``.
"""
from __future__ import annotations

import json
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from arnews.models.long_text import LongTextConfig
from arnews.models.settings import TrainerSettings
from arnews.tasks.inputs import Inputs

MetricsLogger = Callable[[dict, int], None]
META_FILE = "arnews_model.json"


@dataclass
class ModelContext:
    """What a run knows that a model config does not: the label space, the training
    texts (to build a tokenizer from scratch), folders, devices and the seed."""

    labels: list[str]
    multi_label: bool
    seed: int = 0
    train_texts: list[str] = field(default_factory=list)
    output_dir: Path = Path("checkpoints")
    cache_dir: Path | None = None
    trainer: TrainerSettings = field(default_factory=TrainerSettings)
    long_text: LongTextConfig = field(default_factory=LongTextConfig)


class Classifier(ABC):
    """A text classifier over a fixed label list.

    ``predict_scores`` returns an ``(n, n_labels)`` array: independent per-label
    probabilities for multi-label tasks, a distribution over labels otherwise.
    The task's decision rule (thresholds, argmax) turns scores into labels.
    """

    kind: str = ""
    # pip packages the logged model needs to load and predict, besides mlflow, pandas
    # and numpy; the logged model's requirements list only these (pinned).
    requirements: tuple[str, ...] = ()
    # multi-label: choose per-label thresholds on dev (False keeps 0.5, e.g. majority)
    tune_thresholds: bool = True

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
                "tune_thresholds": self.tune_thresholds,
                **self._extra_meta()}
        (path / META_FILE).write_text(json.dumps(meta, ensure_ascii=False, indent=2))
        return path

    def _extra_meta(self) -> dict:
        return {}
