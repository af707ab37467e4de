"""Scoring tokenized inputs with a plain forward pass: no Trainer, no ``datasets``.

Windows are sorted by length so that each batch pads to nearly its own length, run
under ``torch.inference_mode()``, and put back in input order. Training-time
evaluation keeps the Trainer; both give the same logits (tests/test_inference.py).
"""
from __future__ import annotations

import numpy as np
import torch

KEYS = ("input_ids", "attention_mask", "token_type_ids")


def forward_logits(model, tokenizer, features: dict, batch_size: int = 64) -> np.ndarray:
    """Logits, ``(n_windows, n_labels)`` float64, for the tokenizer's output ``features``."""
    ids = features["input_ids"]
    keys = [k for k in KEYS if k in features]
    order = np.argsort([len(x) for x in ids], kind="stable")
    device = next(model.parameters()).device
    out = np.zeros((len(ids), model.config.num_labels), dtype=np.float64)
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            for start in range(0, len(ids), batch_size):
                rows = order[start:start + batch_size]
                batch = tokenizer.pad({k: [features[k][i] for i in rows] for k in keys}, return_tensors="pt")
                logits = model(**{k: v.to(device) for k, v in batch.items()}).logits
                out[rows] = logits.float().cpu().numpy()
    finally:
        model.train(was_training)
    return out
