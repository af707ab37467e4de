"""Fine-tuning a BERT-style encoder with ``transformers.Trainer``.

Dynamic padding (``DataCollatorWithPadding``), length-grouped batches
(``train_sampling_strategy="group_by_length"``), evaluation on dev every epoch,
early stopping on dev macro-F1, and the best checkpoint restored at the end: the
Trainer does all of it; this module only wires it to the Classifier interface.
"""
from __future__ import annotations

import hashlib
import logging
import tempfile
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
from datasets import Dataset
from scipy.special import expit, softmax
from sklearn.utils.class_weight import compute_class_weight
from transformers import (AutoConfig, AutoModelForSequenceClassification, AutoTokenizer, DataCollatorWithPadding,
                          EarlyStoppingCallback, Trainer, TrainerCallback, TrainingArguments)

from arnews.encoders import load_error
from arnews.errors import ArnewsError
from arnews.models.base import Classifier
from arnews.models.preprocess import build_preprocessor
from arnews.models.long_text import LongTextConfig, encode, pool_logits
from arnews.models.trainer_output import head_note, no_library_bars, progress_bars, quiet_load, quiet_progress
from arnews.tasks.inputs import Inputs
from arnews.tasks.metrics import compute_metrics
from arnews.tasks.thresholds import choose_thresholds

log = logging.getLogger(__name__)


def load_pretrained(name_or_path: str, **model_kwargs):
    """Tokenizer and classification model through ``from_pretrained``, with one clear
    error line when a hub id cannot be reached.

    Weights load from safetensors only and no code shipped with a checkpoint runs
    (``trust_remote_code=False``): a checkpoint is data, never a program.
    """
    try:
        config = AutoConfig.from_pretrained(name_or_path, trust_remote_code=False)
        _warn_on_label_mismatch(config, model_kwargs.get("id2label"))
        tokenizer = AutoTokenizer.from_pretrained(name_or_path, trust_remote_code=False)
        with quiet_load():  # its "LOAD REPORT" table reads like an error: head_note says it plainly
            model, info = AutoModelForSequenceClassification.from_pretrained(
                name_or_path, use_safetensors=True, trust_remote_code=False, output_loading_info=True,
                **model_kwargs)
    except (OSError, ValueError) as exc:
        raise load_error(f"model {name_or_path!r}", exc, "the model hub may be unreachable: use "
                         "model=compact_bert, or model.pretrained=/path/to/a/local/checkpoint") from None
    note = head_note(info, name_or_path, model.config.num_labels)
    if note is not None:
        log.log(*note)
    return tokenizer, model


def _warn_on_label_mismatch(config, id2label: dict | None) -> None:
    """A checkpoint already fine-tuned on other labels gets a new head: say so."""
    theirs = [str(v) for _, v in sorted((config.id2label or {}).items())]
    if not id2label or all(v.startswith("LABEL_") for v in theirs):
        return
    ours = [id2label[i] for i in sorted(id2label)]
    if theirs != ours:
        log.warning("the checkpoint was trained for labels %s, this task has %s: its "
                    "classification head is replaced and trained from scratch", theirs, ours)


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


class TransformerClassifier(Classifier):
    """A sequence classifier fine-tuned with ``transformers.Trainer``."""

    kind = "transformer"
    requirements = ("torch", "transformers", "tokenizers", "safetensors", "scipy", "scikit-learn",
                    "datasets")

    def __init__(self, labels, multi_label, pretrained: str, max_length: int = 256,
                 long_text: LongTextConfig | None = None, training_args: dict | None = None,
                 early_stopping_patience: int = 2, class_weights: str | None = None,
                 output_dir: str | Path = "checkpoints", cache_dir: str | Path | None = None,
                 preprocess: str | None = None,
                 select_by: str = "macro_f1"):
        super().__init__(labels, multi_label)
        if select_by not in ("macro_f1", "loss"):
            raise ArnewsError(f"model.select_by={select_by!r}; use macro_f1 or loss")
        self.select_by = select_by
        self.preprocess = preprocess
        self._preprocess = build_preprocessor(preprocess)
        if str(preprocess or "").startswith("arabert"):
            # AraBERT's preprocessing runs inside the served model: serving needs its package.
            self.requirements = self.requirements + ("arabert",)
        self.pretrained = str(pretrained)
        self.long_text = long_text or LongTextConfig()
        self.training_args = dict(training_args or {})
        self.early_stopping_patience = early_stopping_patience
        self.class_weights = class_weights
        self.output_dir = Path(output_dir)
        self.cache_dir = Path(cache_dir).expanduser() if cache_dir else None
        self.show_progress = True  # progress bars while training; a served model draws none
        id2label = dict(enumerate(self.labels))
        self.tokenizer, self.model = load_pretrained(
            self.pretrained, num_labels=len(self.labels), id2label=id2label,
            label2id={v: k for k, v in id2label.items()},
            problem_type="multi_label_classification" if multi_label else "single_label_classification",
            ignore_mismatched_sizes=True)
        self.max_length = self._checked_max_length(max_length)

    def _checked_max_length(self, max_length: int) -> int:
        limit = min(getattr(self.model.config, "max_position_embeddings", max_length),
                    self.tokenizer.model_max_length or max_length)
        if max_length > limit:
            log.warning("model.max_length=%d is above what %s supports (%d); using %d",
                        max_length, self.pretrained, limit, limit)
            return limit
        return max_length

    # ---- features ----------------------------------------------------------------------
    def _dataset(self, inputs: Inputs, y: np.ndarray | None) -> Dataset:
        """Tokenized features, cached on disk by ``datasets`` under a content hash."""
        prep = self._preprocess or (lambda text: text)
        columns = {"first": [prep(t) for t in inputs.first], "example": list(range(len(inputs)))}
        if inputs.second is not None:
            columns["second"] = [prep(t) for t in inputs.second]
        if y is not None:
            columns["labels"] = y.astype(np.float32).tolist() if self.multi_label else y.tolist()
        raw = Dataset.from_dict(columns)

        def tokenize(batch):
            feats, doc = encode(self.tokenizer, Inputs(batch["first"], batch.get("second")),
                                self.max_length, self.long_text)
            feats["example"] = [batch["example"][i] for i in doc]
            if "labels" in batch:
                feats["labels"] = [batch["labels"][i] for i in doc]
            return feats

        cache_file = None
        if self.cache_dir is not None:
            key = hashlib.sha256(repr((self.pretrained, self.max_length, asdict(self.long_text),
                                       len(self.tokenizer))).encode())
            key.update(raw._fingerprint.encode())
            (self.cache_dir / "features").mkdir(parents=True, exist_ok=True)
            cache_file = str(self.cache_dir / "features" / f"{key.hexdigest()[:24]}.arrow")
        with progress_bars(self.show_progress):
            return raw.map(tokenize, batched=True, remove_columns=raw.column_names,
                           cache_file_name=cache_file, desc="tokenizing")

    def _args(self, **overrides) -> TrainingArguments:
        args = dict(output_dir=str(self.output_dir), report_to="none")
        args.update(self.training_args)
        args.update(overrides)
        return TrainingArguments(**args)

    def _fit_args(self) -> TrainingArguments:
        """Evaluate and save every epoch; keep the best epoch by ``select_by`` on dev.

        Checkpoints are complete (optimizer, scheduler, RNG), not weights only, so an
        interrupted run can continue exactly where its last epoch ended.
        """
        return self._args(eval_strategy="epoch", save_strategy="epoch", logging_strategy="epoch",
                          load_best_model_at_end=True, metric_for_best_model=self.select_by,
                          greater_is_better=self.select_by != "loss", save_total_limit=1,
                          train_sampling_strategy="group_by_length")

    # ---- Classifier ------------------------------------------------------------------------
    def fit(self, train, y_train, dev, y_dev, log_metrics=None, resume=False):
        train_ds, dev_ds = self._dataset(train, y_train), self._dataset(dev, y_dev)

        def metrics(pred):
            logits, labels = pred.predictions, pred.label_ids.astype(int)
            if self.multi_label:
                # Score each epoch as the final model will be scored: with per-label
                # thresholds chosen on dev. A fixed 0.5 reads 0 for every early epoch
                # of a from-scratch model and would trigger early stopping too soon.
                probs = expit(logits)
                decided = (probs >= choose_thresholds(probs, labels)).astype(int)
            else:
                decided = logits.argmax(1)
            return compute_metrics(labels, decided, self.labels, self.multi_label)

        args = self._fit_args()
        kwargs = dict(model=self.model, args=args, train_dataset=train_ds, eval_dataset=dev_ds,
                      data_collator=DataCollatorWithPadding(self.tokenizer),
                      processing_class=self.tokenizer, compute_metrics=metrics,
                      callbacks=[EarlyStoppingCallback(self.early_stopping_patience),
                                 _EpochMetricsToTracker(log_metrics)])
        if self.class_weights == "balanced":
            weights = torch.tensor(balanced_weights(y_train, self.multi_label, len(self.labels)), dtype=torch.float32)
            log.info("class weights: %s", dict(zip(self.labels, weights.round(decimals=2).tolist())))
            trainer = _WeightedLossTrainer(**kwargs, loss_weights=weights, multi_label=self.multi_label)
        elif self.class_weights in (None, "none"):
            trainer = Trainer(**kwargs)
        else:
            raise ArnewsError(f"model.class_weights={self.class_weights!r}; use balanced or null")
        quiet_progress(trainer)  # one line per epoch instead of the Trainer's metric dicts
        # resume=True: the Trainer restores weights, optimizer, scheduler, RNG and the
        # early-stopping state from the newest checkpoint-<step> in output_dir.
        with no_library_bars():  # the Trainer's bars stay; "Writing model shards" goes
            trainer.train(resume_from_checkpoint=True if resume else None)
        self.model = trainer.model
        return self

    def predict_scores(self, inputs: Inputs) -> np.ndarray:
        ds = self._dataset(inputs, None)
        example = np.asarray(ds["example"])
        with tempfile.TemporaryDirectory() as tmp:
            args = self._args(output_dir=tmp, **({} if self.show_progress else {"disable_tqdm": True}))
            trainer = Trainer(model=self.model, args=args,
                              data_collator=DataCollatorWithPadding(self.tokenizer))
            logits = trainer.predict(ds.remove_columns(["example"])).predictions
        logits = pool_logits(np.asarray(logits, dtype=np.float64), example, len(inputs),
                             self.long_text.pooling)
        return expit(logits) if self.multi_label else softmax(logits, axis=1)

    def _save_weights(self, path: Path) -> None:
        with no_library_bars():
            self.model.save_pretrained(path)
            self.tokenizer.save_pretrained(path)

    def _extra_meta(self) -> dict:
        eval_bs = self.training_args.get("per_device_eval_batch_size", 32)
        return {"max_length": self.max_length, "long_text": asdict(self.long_text),
                "source_model": self.pretrained, "per_device_eval_batch_size": eval_bs,
                "preprocess": self.preprocess}

    @classmethod
    def load(cls, path: Path, meta: dict) -> "TransformerClassifier":
        """The saved classifier, as the logged model serves it: no progress bars."""
        use_cpu = not torch.cuda.is_available()
        loaded = cls(meta["labels"], meta["multi_label"], pretrained=str(path),
                     max_length=meta["max_length"], long_text=LongTextConfig(**meta["long_text"]),
                     training_args={"per_device_eval_batch_size": meta["per_device_eval_batch_size"],
                                    "use_cpu": use_cpu},
                     preprocess=meta.get("preprocess"))
        loaded.show_progress = False
        return loaded
