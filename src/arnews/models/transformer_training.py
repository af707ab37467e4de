"""Fine-tuning a TransformerClassifier with ``transformers.Trainer``.

Dynamic padding (``DataCollatorWithPadding``), length-grouped batches
(``train_sampling_strategy="group_by_length"``), evaluation on dev every epoch,
early stopping, the best checkpoint restored at the end and full epoch checkpoints for
resuming: the Trainer does all of it; this module only wires it to the classifier.
Imported by ``TransformerClassifier.fit`` only, so serving never loads it.
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import asdict

import numpy as np
import torch
from datasets import Dataset
from scipy.special import expit
from sklearn.utils.class_weight import compute_class_weight
from transformers import (DataCollatorWithPadding, EarlyStoppingCallback, Trainer, TrainerCallback,
                          TrainingArguments)

from arnews.errors import ArnewsError
from arnews.models.checkpoints import latest_complete_checkpoint
from arnews.models.loading import no_library_bars
from arnews.models.long_text import encode
from arnews.models.trainer_output import progress_bars, quiet_progress
from arnews.tasks.inputs import Inputs
from arnews.tasks.metrics import compute_metrics
from arnews.tasks.thresholds import choose_thresholds

log = logging.getLogger("arnews.models.transformer")


class _EpochMetricsToTracker(TrainerCallback):
    """Forwards the Trainer's per-epoch loss and dev metrics to the run's logger."""

    def __init__(self, log_metrics):
        self.log_metrics = log_metrics

    def on_log(self, args, state, control, logs=None, **kwargs):
        if not logs or self.log_metrics is None:
            return
        step = int(round(state.epoch or 0))
        metrics = {}
        if "loss" in logs:
            metrics["train/loss"] = logs["loss"]
        for key, value in logs.items():
            if key.startswith("eval_") and not key.endswith(("runtime", "per_second")):
                metrics[f"dev_epoch/{key[5:]}"] = value
        if metrics:
            self.log_metrics(metrics, step)


class _WeightedLossTrainer(Trainer):
    """Trainer whose loss weights classes (single-label) or positives (multi-label)."""

    def __init__(self, *args, loss_weights: torch.Tensor, multi_label: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.loss_weights, self.multi_label = loss_weights, multi_label

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        labels = inputs.pop("labels")
        outputs = model(**inputs)
        weights = self.loss_weights.to(outputs.logits.device)
        if self.multi_label:
            loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=weights)
            loss = loss_fn(outputs.logits, labels.float())
        else:
            loss = torch.nn.CrossEntropyLoss(weight=weights)(outputs.logits, labels)
        return (loss, outputs) if return_outputs else loss


def balanced_weights(y: np.ndarray, multi_label: bool, n_labels: int) -> np.ndarray:
    """scikit-learn's balanced class weights, or negative/positive ratios per label.

    A class absent from ``y`` gets weight 1 (it contributes no loss anyway).

    >>> balanced_weights(np.array([0, 0, 0, 1]), False, 3).round(2).tolist()
    [0.67, 2.0, 1.0]
    """
    if multi_label:
        pos = y.sum(axis=0).clip(min=1)
        return ((len(y) - pos) / pos).clip(max=20.0)
    present = np.unique(y)
    weights = np.ones(n_labels)
    weights[present] = compute_class_weight("balanced", classes=present, y=y)
    return weights



def features(clf, inputs: Inputs, y: np.ndarray | None) -> Dataset:
    """Tokenized training features, cached on disk by ``datasets`` under a content hash."""
    inputs = clf._prepared(inputs)
    columns = {"first": list(inputs.first), "example": list(range(len(inputs)))}
    if inputs.second is not None:
        columns["second"] = list(inputs.second)
    if y is not None:
        columns["labels"] = y.astype(np.float32).tolist() if clf.multi_label else y.tolist()
    raw = Dataset.from_dict(columns)

    def tokenize(batch):
        feats, doc = encode(clf.tokenizer, Inputs(batch["first"], batch.get("second")),
                            clf.max_length, clf.long_text)
        feats["example"] = [batch["example"][i] for i in doc]
        if "labels" in batch:
            feats["labels"] = [batch["labels"][i] for i in doc]
        return feats

    cache_file = None
    if clf.cache_dir is not None:
        key = hashlib.sha256(repr((clf.pretrained, clf.max_length, asdict(clf.long_text),
                                   len(clf.tokenizer))).encode())
        key.update(raw._fingerprint.encode())
        (clf.cache_dir / "features").mkdir(parents=True, exist_ok=True)
        cache_file = str(clf.cache_dir / "features" / f"{key.hexdigest()[:24]}.arrow")
    with progress_bars(clf.show_progress):
        return raw.map(tokenize, batched=True, remove_columns=raw.column_names,
                       cache_file_name=cache_file, desc="tokenizing")


def fit_arguments(clf) -> TrainingArguments:
    """Evaluate and save every epoch; keep the best epoch by ``select_by`` on dev.

    Checkpoints are complete (optimizer, scheduler, RNG), not weights only, so an
    interrupted run can continue exactly where its last epoch ended.
    """
    return TrainingArguments(**{
        "output_dir": str(clf.output_dir), "report_to": "none",
        # DDP (torchrun): a classifier uses every weight, so skip the search for unused ones.
        "ddp_find_unused_parameters": False, **clf.training_args,
        "eval_strategy": "epoch", "save_strategy": "epoch", "logging_strategy": "epoch",
        "load_best_model_at_end": True, "metric_for_best_model": clf.select_by,
        "greater_is_better": clf.select_by != "loss", "save_total_limit": 1,
        "train_sampling_strategy": "group_by_length"})


def fine_tune(clf, train: Inputs, y_train: np.ndarray, dev: Inputs, y_dev: np.ndarray,
              log_metrics=None, resume: bool = False):
    """Train ``clf.model`` on train, selecting the epoch on dev; return the trained model.

    ``resume=True``: the Trainer restores weights, optimizer, scheduler, RNG and the
    early-stopping state from the newest checkpoint-<step> in ``clf.output_dir``.
    """
    args = fit_arguments(clf)
    # Under torchrun, rank 0 tokenizes into the shared feature cache and the others read it.
    with args.main_process_first(desc="tokenizing"):
        train_ds, dev_ds = features(clf, train, y_train), features(clf, dev, y_dev)

    def metrics(pred):
        logits, labels = pred.predictions, pred.label_ids.astype(int)
        if clf.multi_label:
            # Score each epoch as the final model will be scored: with per-label
            # thresholds chosen on dev. A fixed 0.5 reads 0 for every early epoch
            # of a from-scratch model and would trigger early stopping too soon.
            probs = expit(logits)
            decided = (probs >= choose_thresholds(probs, labels)).astype(int)
        else:
            decided = logits.argmax(1)
        return compute_metrics(labels, decided, clf.labels, clf.multi_label)

    kwargs = dict(model=clf.model, args=args, train_dataset=train_ds, eval_dataset=dev_ds,
                  data_collator=DataCollatorWithPadding(clf.tokenizer),
                  processing_class=clf.tokenizer, compute_metrics=metrics,
                  callbacks=[EarlyStoppingCallback(clf.early_stopping_patience),
                             _EpochMetricsToTracker(log_metrics)])
    if clf.class_weights == "balanced":
        weights = torch.tensor(balanced_weights(y_train, clf.multi_label, len(clf.labels)), dtype=torch.float32)
        log.info("class weights: %s", {label: round(float(w), 2) for label, w in zip(clf.labels, weights)})
        trainer = _WeightedLossTrainer(**kwargs, loss_weights=weights, multi_label=clf.multi_label)
    elif clf.class_weights in (None, "none"):
        trainer = Trainer(**kwargs)
    else:
        raise ArnewsError(f"model.class_weights={clf.class_weights!r}; use balanced or null")
    quiet_progress(trainer)  # one line per epoch instead of the Trainer's metric dicts
    with no_library_bars():  # the Trainer's bars stay; "Writing model shards" goes
        # An explicit folder: True would make the Trainer take the newest checkpoint folder,
        # even one the interruption cut short.
        checkpoint = latest_complete_checkpoint(args.output_dir) if resume else None
        trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    return trainer.model
