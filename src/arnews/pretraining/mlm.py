"""Masked-language-model training with ``transformers.Trainer``.

Two changes to the stock recipe, both for speed on small machines:

- the loss projects only the masked positions onto the vocabulary (about 15% of
  the tokens), not every position as ``BertForMaskedLM.forward`` does;
- the held-out blocks are masked once, with their own seed, so every evaluation
  scores the same masked tokens and the curve of held-out loss is comparable.
"""
from __future__ import annotations

import math
import time

import torch
import torch.nn.functional as F
from datasets import Dataset
from transformers import DataCollatorForLanguageModeling, Trainer, TrainerCallback
from transformers.data.data_collator import default_data_collator

from arnews.pretraining.encoder import mlm_head


class MaskedPositionsTrainer(Trainer):
    """A Trainer whose loss scores only the masked positions."""

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        labels = inputs.pop("labels")
        hidden = model.base_model(**inputs).last_hidden_state
        picked = labels != -100
        logits = mlm_head(model)(hidden[picked])
        loss = F.cross_entropy(logits.float(), labels[picked], reduction="sum")
        # Under gradient accumulation the Trainer counts the masked tokens of all
        # micro-batches; otherwise average over this batch.
        denominator = num_items_in_batch if num_items_in_batch is not None else picked.sum()
        loss = loss / torch.as_tensor(denominator, device=loss.device).clamp(min=1)
        return (loss, {}) if return_outputs else loss


class MaskingCollator:
    """Masks training blocks on the fly; passes pre-masked held-out blocks through.

    Training masks come from the global torch RNG, which the Trainer saves in each
    checkpoint and restores on resume.
    """

    def __init__(self, tokenizer, mlm_probability: float = 0.15, whole_word_mask: bool = True):
        # With whole-word masking, transformers replaces every chosen word by [MASK]
        # (no 10% random / 10% kept); say so rather than let it warn on every run.
        replace = dict(mask_replace_prob=1.0, random_replace_prob=0.0) if whole_word_mask else {}
        self.mask = DataCollatorForLanguageModeling(
            tokenizer, mlm_probability=mlm_probability, whole_word_mask=whole_word_mask, **replace)

    def __call__(self, features):
        if "labels" in features[0]:
            return default_data_collator(features)
        return self.mask(features)


def mask_once(blocks: Dataset, collator: MaskingCollator, seed: int, batch_size: int = 256) -> Dataset:
    """Held-out blocks with fixed masks: input_ids and labels."""
    state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    try:
        masked = {"input_ids": [], "labels": []}
        for start in range(0, len(blocks), batch_size):
            batch = collator.mask([blocks[i] for i in range(start, min(start + batch_size, len(blocks)))])
            masked["input_ids"].extend(batch["input_ids"].tolist())
            masked["labels"].extend(batch["labels"].tolist())
    finally:
        torch.random.set_rng_state(state)  # the training masks do not depend on this
    return Dataset.from_dict(masked)


class ThroughputCallback(TrainerCallback):
    """Logs tokens seen, tokens per second, training and held-out MLM loss."""

    def __init__(self, tokens_per_step: int, log_metrics):
        self.tokens_per_step, self.log_metrics = tokens_per_step, log_metrics
        self._last = None

    def on_train_begin(self, args, state, control, **kwargs):
        self._last = (time.perf_counter(), state.global_step)

    def on_log(self, args, state, control, logs=None, **kwargs):
        if not logs or self.log_metrics is None:
            return
        now, step = time.perf_counter(), state.global_step
        metrics = {"pretrain/tokens_seen": step * self.tokens_per_step}
        if self._last and step > self._last[1]:
            metrics["pretrain/tokens_per_s"] = (step - self._last[1]) * self.tokens_per_step / (now - self._last[0])
            self._last = (now, step)
        if "loss" in logs:
            metrics["train/mlm_loss"] = logs["loss"]
        if "learning_rate" in logs:
            metrics["train/learning_rate"] = logs["learning_rate"]
        if "eval_loss" in logs:
            metrics["held_out/mlm_loss"] = logs["eval_loss"]
            metrics["held_out/perplexity"] = math.exp(min(logs["eval_loss"], 50.0))
        self.log_metrics(metrics, step)
