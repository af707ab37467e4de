"""Evaluate a logged model on another dataset of the same task, as its own run.

The model, its label space, decision rule and text normalisation all come from the
logged pyfunc, so a model is scored exactly as it would serve. Only the evaluated
split is read.
"""
from __future__ import annotations

import logging
import re

import mlflow
from mlflow.models import get_model_info
from omegaconf import DictConfig

from arnews import tracking
from arnews.components import build_long_text, load_data
from arnews.errors import ArnewsError
from arnews.run_artifacts import log_evaluation
from arnews.run_context import run_tags
from arnews.run_datasets import data_source, split_datasets
from arnews.summary import headline_first, run_summary

log = logging.getLogger(__name__)


def resolve_model_uri(uri: str) -> str:
    """``runs:/<id>/model`` of a run whose model is named ``<task>-<model>`` → that model.

    Models used to be logged as ``model``; MLflow 3 resolves ``runs:/<id>/<name>`` by the
    logged model's name, so the old spelling is mapped through the run's ``model_uri``
    tag. Any other URI is returned as it is.
    """
    from mlflow.exceptions import MlflowException
    from mlflow.tracking import MlflowClient

    match = re.fullmatch(r"runs:/([0-9a-f]+)/model/?", uri)
    if not match:
        return uri
    try:
        named = MlflowClient().get_run(match.group(1)).data.tags.get(tracking.MODEL_URI_TAG)
    except MlflowException:
        return uri
    return named or uri


def load_logged_model(uri: str):
    """The Predictor inside the logged model at ``uri``, with a clear error when it cannot load."""
    try:
        with tracking.no_artifact_bars():
            model = mlflow.pyfunc.load_model(uri).unwrap_python_model()
        if not hasattr(model, "predictor"):  # logged before the Predictor existed (2026-11-30)
            from arnews.predictor import Predictor

            return Predictor(model.task, model.classifier, model.rule, model.normalizer)
        return model.predictor
    except Exception as exc:  # MLflow raises several types for a bad URI
        raise ArnewsError(f"model_uri={uri}: cannot load the model ({str(exc).splitlines()[0][:160]}); "
                          "pass runs:/<run_id>/<task>-<model> (the run's model_uri tag) of an arnews "
                          "training run, and the same "
                          "tracking.uri it was logged to") from None


def evaluate(cfg: DictConfig) -> float:
    """Score a logged model on ``cfg.split`` of ``cfg.data`` and log an evaluation run."""
    tracking.setup(cfg.tracking.uri, cfg.tracking.experiment)
    model_uri = resolve_model_uri(str(cfg.model_uri))
    predictor = load_logged_model(model_uri)
    task, classifier = predictor.task, predictor.classifier
    if task.name != cfg.task.name:
        raise ArnewsError(f"model_uri={cfg.model_uri} is a {task.name} model but task={cfg.task.name}; "
                          f"pass task={task.name}")
    long_text = build_long_text(cfg.get("long_text"))
    if long_text is not None and hasattr(classifier, "long_text"):
        classifier.long_text = long_text

    split = cfg.split
    rows = load_data(cfg.data, splits=(split,), normalizer=predictor.normalizer)[split]
    task.setup({split: rows})  # the label space is the model's; unknown labels fail here
    scores = predictor.scores(task.inputs(rows))
    y = task.targets(rows)
    decided, results = predictor.evaluate(scores, y, prefix=f"{split}/")

    with tracking.no_artifact_bars():
        source_run_id = get_model_info(model_uri).run_id or "unknown"
    tags = {**run_tags(cfg), "model": "logged", "source_model_uri": cfg.model_uri,
            "source_run_id": source_run_id, "evaluation": "true",
            "long_text": getattr(getattr(classifier, "long_text", None), "strategy", "n/a")}
    dataset = split_datasets(task, {split: rows}, cfg.data.name, data_source(cfg.data))[split]
    with tracking.tracked_run(cfg.tracking.uri, cfg.tracking.experiment,
                              run_name=cfg.tracking.run_name, tags=tags) as run:
        tracking.log_params(tracking.flatten(cfg))
        tracking.log_metrics(headline_first(results, task.labels), dataset=dataset)
        log_evaluation(predictor, split, rows, y, scores, decided)
    log.info("%s macro-F1 %.4f on %s (%d rows)", split, results[f"{split}/macro_f1"], cfg.data.name, len(rows))
    print(run_summary(cfg.tracking.experiment, run.info.experiment_id, run.info.run_id, run.info.run_name,
                      cfg.tracking.uri, results, task.labels, splits=(split,)))
    return results[f"{split}/macro_f1"]
