"""Metrics named the same way for every model, so runs line up in the MLflow UI.

Names are ``<split>/<metric>``: ``macro_f1`` for every task, ``micro_f1`` and
``subset_accuracy`` for multi-label, ``accuracy`` for single-label, and
``f1_<label>``, ``precision_<label>``, ``recall_<label>`` per label.
"""
from __future__ import annotations

import numpy as np
from sklearn.metrics import accuracy_score, classification_report, f1_score, precision_recall_fscore_support


def macro_f1(y_true: np.ndarray, y_pred: np.ndarray, n_labels: int, multi_label: bool) -> float:
    """Macro-F1 over all ``n_labels`` labels (a label never predicted nor present counts
    as 0): the one definition behind ``*/macro_f1`` and compare.py's intervals.

    >>> macro_f1(np.array([0, 0, 1, 1]), np.array([0, 0, 1, 1]), 3, False)
    0.6666666666666666
    """
    if multi_label:
        return float(f1_score(y_true, y_pred, average="macro", zero_division=0))
    return float(f1_score(y_true, y_pred, labels=list(range(n_labels)), average="macro", zero_division=0))


def compute_metrics(y_true: np.ndarray, y_pred: np.ndarray, labels: list[str], multi_label: bool,
                    prefix: str = "") -> dict[str, float]:
    """All metrics for one split.

    >>> m = compute_metrics(np.array([0, 1, 1]), np.array([0, 1, 0]), ["a", "b"], False, "test/")
    >>> round(m["test/accuracy"], 3), round(m["test/f1_b"], 3)
    (0.667, 0.667)
    """
    idx = list(range(len(labels)))
    out = {}
    if multi_label:
        out["micro_f1"] = f1_score(y_true, y_pred, average="micro", zero_division=0)
        out["macro_f1"] = macro_f1(y_true, y_pred, len(labels), True)
        out["subset_accuracy"] = accuracy_score(y_true, y_pred)
        p, r, f, _ = precision_recall_fscore_support(y_true, y_pred, average=None, zero_division=0)
    else:
        out["macro_f1"] = macro_f1(y_true, y_pred, len(labels), False)
        out["accuracy"] = accuracy_score(y_true, y_pred)
        p, r, f, _ = precision_recall_fscore_support(y_true, y_pred, labels=idx, average=None,
                                                     zero_division=0)
    for j, lab in enumerate(labels):
        out[f"f1_{lab}"], out[f"precision_{lab}"], out[f"recall_{lab}"] = f[j], p[j], r[j]
    return {f"{prefix}{k}": float(v) for k, v in out.items()}


def text_report(y_true, y_pred, labels: list[str], multi_label: bool) -> str:
    """scikit-learn's classification report, for the run's artifacts."""
    kwargs = {} if multi_label else {"labels": list(range(len(labels)))}
    return classification_report(y_true, y_pred, target_names=labels, zero_division=0, **kwargs)
