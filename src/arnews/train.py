"""The story of one training run, top to bottom.

seed → load and check data → build the task → fit the model → choose the decision
rule on dev → evaluate on dev and test → log everything to MLflow → return the
dev metric that sweeps optimise.
"""
from __future__ import annotations

import logging
import tempfile
from dataclasses import asdict

import mlflow
import torch
from omegaconf import DictConfig, OmegaConf
from transformers import set_seed

from arnews import tracking
from arnews.data import build_normalizer, load_splits
from arnews.data.leakage_guard import guard_leakage
from arnews.models import build_classifier
from arnews.run_artifacts import log_evaluation, log_trained_model
from arnews.run_context import output_dir, run_tags
from arnews.tasks import DecisionRule, build_task
from arnews.tasks.metrics import compute_metrics

log = logging.getLogger(__name__)


def train(cfg: DictConfig) -> float:
    """Train, evaluate and log one model; return the dev score named by ``optimized_metric``."""
    set_seed(cfg.seed)
    if cfg.trainer.get("num_threads"):
        # Parallel sweep jobs each spinning 2+ OpenMP threads on 2 cores run many
        # times slower than one thread each: let the user cap it per job.
        torch.set_num_threads(int(cfg.trainer.num_threads))

    normalizer = build_normalizer(cfg.normalize)
    splits = load_splits(cfg.data, seed=cfg.seed, normalizer=normalizer)
    task = build_task(cfg.task)
    task.setup(splits)
    leakage = guard_leakage(splits, cfg.data.get("leakage"))
    inputs = {s: task.inputs(rows) for s, rows in splits.items()}
    targets = {s: task.targets(rows) for s, rows in splits.items()}
    log.info("task=%s labels=%s multi_label=%s", task.name, task.labels, task.multi_label)

    with tracking.tracked_run(cfg.tracking.uri, cfg.tracking.experiment,
                              run_name=cfg.tracking.run_name, tags=run_tags(cfg, task)):
        tracking.log_params(tracking.flatten(cfg))
        mlflow.log_text(OmegaConf.to_yaml(cfg, resolve=True), "config.yaml")
        tracking.log_metrics({**leakage.as_metrics(), **{f"data/{s}_rows": len(r)
                                                          for s, r in splits.items()}})
        mlflow.set_tags({"leakage": leakage.summary(),
                         "leakage_test_in_train": str(leakage.test_in_train)})

        with tempfile.TemporaryDirectory() as scratch:
            classifier = build_classifier(
                cfg.model, cfg.trainer, cfg.long_text, task.labels, task.multi_label,
                train_texts=inputs["train"].joined(), output_dir=output_dir(scratch) / "checkpoints",
                cache_dir=cfg.paths.cache_dir, seed=cfg.seed)
            classifier.fit(inputs["train"], targets["train"], inputs["dev"], targets["dev"],
                           log_metrics=tracking.log_metrics)

        scores = {s: classifier.predict_scores(inputs[s]) for s in ("dev", "test")}
        # The decision rule sees dev only: test stays untouched until the final score.
        rule = DecisionRule(task.multi_label, tune=cfg.model.tune_thresholds)
        rule.fit(scores["dev"], targets["dev"])
        if rule.thresholds is not None:
            tracking.log_metrics({f"threshold/{lab}": t for lab, t in zip(task.labels, rule.thresholds)})

        results = {}
        for split in ("dev", "test"):
            decided = rule.decide(scores[split])
            results.update(compute_metrics(targets[split], decided, task.labels, task.multi_label,
                                           prefix=f"{split}/"))
            log_evaluation(task, split, splits[split], targets[split], scores[split], decided)
        tracking.log_metrics(results)
        if cfg.tracking.log_model:
            normalize = None if normalizer is None else asdict(normalizer)
            log_trained_model(task, classifier, rule, normalize, splits["test"][:3])

    log.info("dev macro-F1 %.4f | test macro-F1 %.4f", results["dev/macro_f1"], results["test/macro_f1"])
    return results[cfg.optimized_metric]
