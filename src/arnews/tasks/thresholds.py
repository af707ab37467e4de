"""Decision rules that turn scores into labels, fitted on dev only."""
from __future__ import annotations

import numpy as np

_GRID = np.round(np.arange(0.05, 0.96, 0.05), 2)


def choose_thresholds(scores: np.ndarray, targets: np.ndarray, grid=_GRID) -> np.ndarray:
    """Per-label threshold that maximises that label's F1 on the given (dev) data.

    Ties go to the threshold nearest 0.5, and a label absent from the data keeps 0.5,
    so that a tiny dev split cannot push a threshold to an extreme by chance.

    >>> s = np.array([[0.2], [0.3], [0.8]]); y = np.array([[0], [1], [1]])
    >>> choose_thresholds(s, y).tolist()
    [0.3]
    """
    from sklearn.metrics import f1_score  # fitting only: a served model never imports sklearn

    scores, targets = np.asarray(scores), np.asarray(targets)
    out = np.full(scores.shape[1], 0.5)
    for j in range(scores.shape[1]):
        if targets[:, j].sum() == 0:
            continue
        f1s = [f1_score(targets[:, j], scores[:, j] >= t, zero_division=0) for t in grid]
        best = max(f1s)
        candidates = [t for t, f in zip(grid, f1s) if f == best]
        out[j] = min(candidates, key=lambda t: abs(t - 0.5))
    return out


class DecisionRule:
    """Scores → label indicators (multi-label) or class indices (single-label).

    >>> rule = DecisionRule(multi_label=True, tune=True).fit(np.array([[0.2], [0.8]]), np.array([[0], [1]]))
    >>> rule.decide(np.array([[0.9], [0.1]])).tolist()
    [[1], [0]]
    """

    def __init__(self, multi_label: bool, tune: bool = True, thresholds=None):
        self.multi_label = multi_label
        self.tune = tune
        self.thresholds = None if thresholds is None else np.asarray(thresholds, dtype=float)

    def fit(self, dev_scores: np.ndarray, dev_targets: np.ndarray) -> "DecisionRule":
        """Fit on the dev split. Never pass test data here."""
        if self.multi_label:
            n = dev_scores.shape[1]
            self.thresholds = (choose_thresholds(dev_scores, dev_targets) if self.tune
                               else np.full(n, 0.5))
        return self

    def decide(self, scores: np.ndarray) -> np.ndarray:
        if not self.multi_label:
            return np.asarray(scores).argmax(axis=1)
        if self.thresholds is None:
            raise RuntimeError("DecisionRule.decide called before fit")
        return (np.asarray(scores) >= self.thresholds).astype(int)
