"""Evaluate a logged model on another dataset of the same task, as its own run.

The model, its label space, decision rule and text normalisation all come from the
logged pyfunc, so a model is scored exactly as it would serve. Only the evaluated
split is read.
"""
from __future__ import annotations

import logging

import mlflow
from mlflow.models import get_model_info
from omegaconf import DictConfig, OmegaConf

from arnews import tracking
from arnews.data import load_splits
from arnews.errors import ArnewsError
from arnews.models.long_text import LongTextConfig
from arnews.run_artifacts import log_evaluation
from arnews.run_context import run_tags
from arnews.tasks.metrics import compute_metrics

log = logging.getLogger(__name__)


def load_logged_model(uri: str):
    """The ArnewsPyfunc behind a model URI, with a clear error when it cannot load."""
    try:
        return mlflow.pyfunc.load_model(uri).unwrap_python_model()
    except Exception as exc:  # MLflow raises several types for a bad URI
        raise ArnewsError(f"model_uri={uri}: cannot load the model ({str(exc).splitlines()[0][:160]}); "
                          "pass runs:/<run_id>/model of an arnews training run, and the same "
                          "tracking.uri it was logged to") from None


def evaluate(cfg: DictConfig) -> float:
    """Score a logged model on ``cfg.split`` of ``cfg.data`` and log an evaluation run."""
    tracking.setup(cfg.tracking.uri, cfg.tracking.experiment)
    model = load_logged_model(cfg.model_uri)
    task, classifier, rule = model.task, model.classifier, model.rule
    if task.name != cfg.task.name:
        raise ArnewsError(f"model_uri={cfg.model_uri} is a {task.name} model but task={cfg.task.name}; "
                          f"pass task={task.name}")
    if cfg.get("long_text") and hasattr(classifier, "long_text"):
        classifier.long_text = LongTextConfig(**OmegaConf.to_container(cfg.long_text, resolve=True))

    split = cfg.split
    rows = load_splits(cfg.data, splits=(split,), normalizer=model.normalizer)[split]
    task.setup({split: rows})  # the label space is the model's; unknown labels fail here
    scores = classifier.predict_scores(task.inputs(rows))
    decided = rule.decide(scores)
    y = task.targets(rows)
    results = compute_metrics(y, decided, task.labels, task.multi_label, prefix=f"{split}/")

    tags = {**run_tags(cfg), "model": "logged", "source_model_uri": cfg.model_uri,
            "source_run_id": get_model_info(cfg.model_uri).run_id or "unknown", "evaluation": "true",
            "long_text": getattr(getattr(classifier, "long_text", None), "strategy", "n/a")}
    with tracking.tracked_run(cfg.tracking.uri, cfg.tracking.experiment,
                              run_name=cfg.tracking.run_name, tags=tags):
        tracking.log_params(tracking.flatten(cfg))
        tracking.log_metrics(results)
        log_evaluation(task, split, rows, y, scores, decided)
    log.info("%s macro-F1 %.4f on %s (%d rows)", split, results[f"{split}/macro_f1"], cfg.data.name, len(rows))
    return results[f"{split}/macro_f1"]
