"""Scoring tokenized inputs with plain forward passes: no Trainer, no ``datasets``.

Windows are sorted by length so that each batch pads to nearly its own length, scored
batch by batch, and put back in input order; the windows of an article are then
pooled (``long_text=chunks``) exactly as training scored them. The forward pass is
either the fine-tuned torch model (:func:`torch_logits`, under
``torch.inference_mode()``) or its ONNX export in ONNX Runtime (:func:`onnx_logits`),
which is what a logged model serves with. Training-time evaluation keeps the
Trainer; all give the same logits (tests/test_inference.py, tests/test_onnx_serving.py).
"""
from __future__ import annotations

from typing import Callable

import numpy as np
from scipy.special import expit, softmax

from arnews.models.long_text import LongTextConfig, encode, pool_logits
from arnews.tasks.inputs import Inputs

KEYS = ("input_ids", "attention_mask", "token_type_ids")
# features -> window logits (n_windows, n_labels)
LogitsFn = Callable[[dict], np.ndarray]


def score_inputs(tokenizer, inputs: Inputs, max_length: int, long_text: LongTextConfig,
                 logits_of: LogitsFn, multi_label: bool) -> np.ndarray:
    """Per-label probabilities (sigmoid) or a distribution (softmax) for each input."""
    features, example = encode(tokenizer, inputs, max_length, long_text)
    logits = pool_logits(logits_of(features), np.asarray(example), len(inputs), long_text.pooling)
    return expit(logits) if multi_label else softmax(logits, axis=1)


def batched(run: Callable[[dict], np.ndarray], tokenizer, features: dict, n_labels: int,
            batch_size: int, tensors: str) -> np.ndarray:
    """``run`` over length-sorted, padded batches of ``features``; float64 logits in input order."""
    ids = features["input_ids"]
    keys = [k for k in KEYS if k in features]
    order = np.argsort([len(x) for x in ids], kind="stable")
    out = np.zeros((len(ids), n_labels), dtype=np.float64)
    for start in range(0, len(ids), batch_size):
        rows = order[start:start + batch_size]
        batch = tokenizer.pad({k: [features[k][i] for i in rows] for k in keys}, return_tensors=tensors)
        out[rows] = run(batch)
    return out


def torch_logits(model, tokenizer, batch_size: int = 64) -> LogitsFn:
    """Window logits from a torch model, in eval mode under ``torch.inference_mode()``."""
    import torch

    def logits_of(features: dict) -> np.ndarray:
        device = next(model.parameters()).device

        def run(batch):
            return model(**{k: v.to(device) for k, v in batch.items()}).logits.float().cpu().numpy()

        was_training = model.training
        model.eval()
        try:
            with torch.inference_mode():
                return batched(run, tokenizer, features, model.config.num_labels, batch_size, "pt")
        finally:
            model.train(was_training)

    return logits_of


def onnx_logits(session, tokenizer, n_labels: int, batch_size: int = 64) -> LogitsFn:
    """Window logits from an ONNX Runtime session of the exported model."""
    names = {i.name for i in session.get_inputs()}

    def run(batch):
        feed = {k: np.asarray(v, dtype=np.int64) for k, v in batch.items() if k in names}
        return session.run(["logits"], feed)[0]

    return lambda features: batched(run, tokenizer, features, n_labels, batch_size, "np")
