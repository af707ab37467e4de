"""The story of one training run, top to bottom.

seed → load and check data → build the task → fit the model → choose the decision
rule on dev → evaluate on dev and test → log everything to MLflow → print a summary
with links into the MLflow UI → return the dev metric that sweeps optimise.

``resume=<run_id>`` replays the same story with the interrupted run's own config,
inside the same MLflow run, and the fit continues from its latest epoch checkpoint.
"""
from __future__ import annotations

import logging
import shutil
from pathlib import Path

import mlflow
from omegaconf import DictConfig, OmegaConf

from arnews import distributed, tracking
from arnews.components import (build_classifier, build_normalizer, build_task, build_trainer, load_data,
                               refuse_unlabelled)
from arnews.data.leakage_guard import guard_leakage
from arnews.predictor import Predictor
from arnews.resume import CHECKPOINT_TAG, last_checkpoint, prepare_resume
from arnews.run_artifacts import (describe_run, log_diagnostics, log_evaluation, log_headline_metrics,
                                  log_trained_model)
from arnews.run_context import output_dir, run_tags
from arnews.run_datasets import data_source, log_datasets, split_datasets
from arnews.summary import run_summary
from arnews.tasks import DecisionRule

log = logging.getLogger(__name__)


def train(cfg: DictConfig) -> float:
    """Train, evaluate and log one model; return the dev score named by ``optimized_metric``."""
    resumed = prepare_resume(cfg) if cfg.get("resume") else None
    if resumed is not None:
        cfg = resumed.cfg  # the interrupted run's own config
    refuse_unlabelled(cfg.data)
    seed_everything(cfg.seed)
    trainer = build_trainer(cfg.trainer)
    if trainer.num_threads:
        # Parallel sweep jobs each spinning 2+ OpenMP threads on 2 cores run many
        # times slower than one thread each: let the user cap it per job.
        import torch

        torch.set_num_threads(int(trainer.num_threads))

    normalizer = build_normalizer(cfg.normalize)
    splits = load_data(cfg.data, seed=cfg.seed, normalizer=normalizer)
    task = build_task(cfg.task)
    task.setup(splits)
    leakage = guard_leakage(splits, **cfg.data.leakage, cache_dir=cfg.paths.cache_dir)
    inputs = {s: task.inputs(rows) for s, rows in splits.items()}
    targets = {s: task.targets(rows) for s, rows in splits.items()}
    log.info("task=%s labels=%s multi_label=%s", task.name, task.labels, task.multi_label)

    # A resumed run keeps its tags (its original overrides); it only gains "resumed".
    tags = run_tags(cfg, task) if resumed is None else {"resumed": "true"}
    datasets = split_datasets(task, splits, cfg.data.name, data_source(cfg.data))
    # Under torchrun every rank runs this story; only rank 0 has a real MLflow run.
    main = distributed.is_main_process()
    cpu = bool(trainer.args.get("use_cpu", True))
    with tracking.tracked_run(cfg.tracking.uri, cfg.tracking.experiment, run_name=cfg.tracking.run_name,
                              tags=tags, run_id=resumed and resumed.run_id,
                              system_metrics=cfg.tracking.get("system_metrics", False)) as run:
        if resumed is not None:
            checkpoints = resumed.checkpoint_dir
        elif main:
            checkpoints = output_dir(Path.cwd() / "outputs" / run.info.run_id) / "checkpoints"
            _log_run_inputs(cfg, leakage, checkpoints)
            log_datasets(datasets)
        # The Trainer of every rank saves and reloads epoch checkpoints in rank 0's folder.
        checkpoints = distributed.from_rank_zero(checkpoints if main else None, cpu=cpu)
        try:
            classifier = build_classifier(cfg, task, train_texts=inputs["train"].joined(),
                                          output_dir=checkpoints)
            if main and resumed is None:
                _log_batch_size(classifier)
            classifier.fit(inputs["train"], targets["train"], inputs["dev"], targets["dev"],
                           log_metrics=tracking.log_metrics if main else None, resume=resumed is not None)
        except KeyboardInterrupt:
            if not main:
                raise
            # Re-raised with the way back in it: the entry point prints this one line.
            raise KeyboardInterrupt(f"MLflow run {run.info.run_id} ended KILLED"
                                    f"{_resume_hint(cfg, run, checkpoints)}") from None
        # No rank may still be loading the best checkpoint when rank 0 removes them.
        distributed.wait_for_everyone(cpu=cpu)
        if not main:
            # Scoring and logging are rank 0's; take its dev score so a sweep sees one value.
            return distributed.from_rank_zero(None, cpu=cpu)
        if checkpoints.exists() and not trainer.keep_checkpoints:
            shutil.rmtree(checkpoints, ignore_errors=True)
            mlflow.set_tag(CHECKPOINT_TAG, "(removed: the run finished; its model is the artifact)")

        # The decision rule sees dev only: test stays untouched until the final score.
        predictor = Predictor(task, classifier, DecisionRule(task.multi_label, tune=classifier.tune_thresholds),
                              normalizer)
        dev_scores = predictor.scores(inputs["dev"])
        predictor.rule.fit(dev_scores, targets["dev"])

        results, decided = {}, {}
        for split in ("dev", "test"):
            scores = dev_scores if split == "dev" else predictor.scores(inputs[split])
            decided[split], split_results = predictor.evaluate(scores, targets[split], prefix=f"{split}/")
            results.update(split_results)
            log_evaluation(predictor, split, splits[split], targets[split], scores, decided[split])
        model_info = None
        if cfg.tracking.log_model:
            model_info = log_trained_model(predictor, splits["test"][:3],
                                           name=tracking.model_name(task.name, cfg.model.name),
                                           register=cfg.tracking.get("register"))
        log_headline_metrics(results, task.labels, datasets, model_info)  # first, linked to model and data
        log_diagnostics(task, predictor.rule, leakage, splits)
        describe_run(cfg, task, splits, results, targets["test"], decided["test"], leakage)

    print(run_summary(cfg.tracking.experiment, run.info.experiment_id, run.info.run_id, run.info.run_name,
                      cfg.tracking.uri, results, task.labels, tracking.runs_uri(model_info)))
    return distributed.from_rank_zero(results[cfg.optimized_metric], cpu=cpu)


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and, when it is already imported (a transformer run), torch.

    ``transformers.set_seed`` does the same but importing it costs seconds that a
    scikit-learn baseline never needs; the Trainer seeds torch again from
    ``TrainingArguments.seed`` itself.
    """
    import random
    import sys

    import numpy as np

    random.seed(seed)
    np.random.seed(seed)
    if "torch" in sys.modules:
        sys.modules["torch"].manual_seed(seed)


def _log_run_inputs(cfg: DictConfig, leakage, checkpoints: Path) -> None:
    """What a fresh run logs before fitting; a resumed run logged it already."""
    tracking.log_params(tracking.flatten(cfg))
    mlflow.log_text(OmegaConf.to_yaml(cfg, resolve=True), "config.yaml")
    mlflow.set_tags({"leakage": leakage.summary(), "leakage_test_in_train": str(leakage.test_in_train),
                     CHECKPOINT_TAG: str(checkpoints.resolve())})


def _log_batch_size(classifier) -> None:
    """``world_size`` and, for a fine-tuned model, the examples per optimizer step."""
    args = getattr(classifier, "training_args", None)
    params = distributed.batch_params(args) if args else {"world_size": str(distributed.world_size())}
    if distributed.world_size() > 1:
        log.info("data-parallel: %s processes, %s examples per optimizer step", params["world_size"],
                 params.get("effective_train_batch_size", "-"))
    tracking.log_params(params)


def _resume_hint(cfg: DictConfig, run, checkpoints: Path) -> str:
    latest = last_checkpoint(checkpoints)
    if latest is None:
        return " (no epoch had finished, so there is no checkpoint to resume from)"
    return (f"; latest checkpoint {latest}; continue it with: python train.py "
            f"resume={run.info.run_id} tracking.uri={cfg.tracking.uri}")
