"""Statistics of a comparison, as pure functions on prediction tables and numbers.

A prediction table is what training logs as ``predictions/test.csv``: columns
``id``, ``gold``, ``predicted`` and one ``score_<label>`` per label. Single-label
cells hold one label; multi-label cells hold labels joined by ``|`` (``""`` = none).

    >>> import pandas as pd
    >>> t = pd.DataFrame({"id": [1, 2, 3, 4], "gold": ["a", "a", "b", "b"],
    ...                   "predicted": ["a", "b", "b", "b"]})
    >>> round(table_macro_f1(t), 4)          # F1(a) = 2/3, F1(b) = 4/5
    0.7333
    >>> r = bootstrap_tables([t, t], n_resamples=200, seed=0)
    >>> r.low <= r.point <= r.high, r.paired
    (True, True)

Macro-F1 is scikit-learn's ``f1_score`` with every label of the table counted and
``zero_division=0``: the definition training uses for ``test/macro_f1``
(arnews.tasks.metrics), so a recomputed point estimate equals the logged metric.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd
from sklearn.metrics import f1_score
from sklearn.preprocessing import MultiLabelBinarizer

from arnews.tasks.metrics import macro_f1

SEP = "|"
SCORE_PREFIX = "score_"


def split_labels(cell) -> list[str]:
    """One multi-label cell → its labels.

    >>> split_labels("a|b"), split_labels(""), split_labels(float("nan"))
    (['a', 'b'], [], [])
    """
    if cell is None or (isinstance(cell, float) and math.isnan(cell)):
        return []
    return [lab for lab in str(cell).split(SEP) if lab]


def is_multi_label(frame: pd.DataFrame) -> bool:
    """Guess the task type when no ``multi_label`` tag says it: a ``|`` or an empty cell.

    A multi-label table whose rows all carry exactly one label is indistinguishable
    from a single-label one, so callers prefer the run's ``multi_label`` tag.

    >>> is_multi_label(pd.DataFrame({"gold": ["a|b"], "predicted": ["a"]}))
    True
    >>> is_multi_label(pd.DataFrame({"gold": ["a"], "predicted": ["b"]}))
    False
    """
    cells = pd.concat([frame["gold"], frame["predicted"]]).fillna("").astype(str)
    return bool(cells.str.contains(SEP, regex=False).any() or (cells == "").any())


def labels_of(frames: Sequence[pd.DataFrame] | pd.DataFrame, multi_label: bool = False) -> list[str]:
    """Label space of one or more tables: ``score_<label>`` columns first, in logged
    order, then any other label seen in ``gold``/``predicted`` (sorted).

    >>> labels_of(pd.DataFrame({"gold": ["b", "c"], "predicted": ["a", "b"],
    ...                         "score_a": [.1, .2], "score_b": [.9, .8]}))
    ['a', 'b', 'c']
    """
    frames = [frames] if isinstance(frames, pd.DataFrame) else list(frames)
    labels = list(dict.fromkeys(c[len(SCORE_PREFIX):] for f in frames for c in f.columns
                                if c.startswith(SCORE_PREFIX)))
    seen = set()
    for f in frames:
        for col in ("gold", "predicted"):
            for cell in f[col]:
                seen.update(split_labels(cell) if multi_label else [str(cell)])
    return labels + sorted(seen - set(labels))


def encode(frame: pd.DataFrame, labels: list[str], multi_label: bool) -> tuple[np.ndarray, np.ndarray]:
    """``(y_true, y_pred)``: label indices (single-label) or indicator matrices (multi-label).

    >>> encode(pd.DataFrame({"gold": ["a|b", ""], "predicted": ["b", "a"]}), ["a", "b"], True)[0]
    array([[1, 1],
           [0, 0]])
    """
    if multi_label:
        mlb = MultiLabelBinarizer(classes=labels)
        return tuple(mlb.fit_transform([split_labels(c) for c in frame[col]]) for col in ("gold", "predicted"))
    index = {lab: i for i, lab in enumerate(labels)}
    return tuple(np.array([index[str(c)] for c in frame[col]]) for col in ("gold", "predicted"))


def table_macro_f1(frame: pd.DataFrame, multi_label: bool | None = None) -> float:
    """Macro-F1 of one prediction table (task type guessed when not given).

    >>> t = pd.DataFrame({"gold": ["a|b", "a", "", "b"], "predicted": ["a", "a", "b", "b"]})
    >>> table_macro_f1(t)                    # F1(a) = 1, F1(b) = 1/2
    0.75
    """
    multi = is_multi_label(frame) if multi_label is None else multi_label
    labels = labels_of(frame, multi)
    return macro_f1(*encode(frame, labels, multi), len(labels), multi)


def mean_std(values: Sequence[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (ddof=1); the std is NaN for fewer than two values.

    >>> m, s = mean_std([0.5, 0.7, 0.9]); round(m, 6), round(s, 6)
    (0.7, 0.2)
    >>> mean_std([0.8])
    (0.8, nan)
    """
    arr = np.asarray([v for v in values if v is not None and not math.isnan(v)], dtype=float)
    if arr.size == 0:
        return math.nan, math.nan
    return float(arr.mean()), float(arr.std(ddof=1)) if arr.size > 1 else math.nan


def align(frames: Sequence[pd.DataFrame]) -> list[pd.DataFrame] | None:
    """The tables reordered to the first one's ``id`` order, or None when the seeds were
    not scored on the same test examples (then a paired bootstrap is impossible).

    >>> a = pd.DataFrame({"id": [1, 2], "gold": ["x", "y"]})
    >>> [list(f["id"]) for f in align([a, a.iloc[::-1]])]
    [[1, 2], [1, 2]]
    >>> align([a, a.iloc[:1]]) is None
    True
    """
    if "id" not in frames[0].columns:
        return list(frames) if len({len(f) for f in frames}) == 1 else None
    order = frames[0]["id"].astype(str)
    if order.duplicated().any():
        return None
    out = []
    for f in frames:
        ids = f["id"].astype(str)
        if len(f) != len(order) or ids.duplicated().any() or set(ids) != set(order):
            return None
        out.append(f.set_index(ids).loc[order].reset_index(drop=True))
    return out


@dataclass(frozen=True)
class Bootstrap:
    """Point estimate (mean macro-F1 over the tables) and its percentile interval."""
    point: float
    low: float
    high: float
    n_resamples: int
    level: float
    paired: bool


def _indicator(y: np.ndarray, n_labels: int, multi_label: bool) -> np.ndarray:
    # Single-label macro-F1 over fixed labels is the mean of one-vs-rest binary F1s,
    # i.e. the per-column F1 of the one-hot matrix, so both task types share one path.
    return (y if multi_label else np.eye(n_labels, dtype=np.uint8)[y]).astype(np.uint8)


def resampled_macro_f1(y_true: np.ndarray, y_pred: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Macro-F1 of each resample ``idx[b]`` of indicator matrices ``(n, k)``.

    One ``f1_score`` call scores a whole batch: the B resamples are laid side by side
    as B·k label columns and the per-column F1s averaged per resample. scikit-learn
    costs ~4 ms per call in validation alone, so calling it once per resample would
    make 1000 resamples × seeds × groups take minutes.

    >>> y = np.array([[1, 0], [0, 1], [1, 1]])
    >>> resampled_macro_f1(y, y, np.array([[0, 1, 2], [0, 0, 0]]))
    array([1. , 0.5])
    """
    b, n = idx.shape
    k = y_true.shape[1]
    cols = lambda y: y[idx].transpose(1, 0, 2).reshape(n, b * k)  # noqa: E731
    per_label = f1_score(cols(y_true), cols(y_pred), average=None, zero_division=0)
    return per_label.reshape(b, k).mean(axis=1)


def bootstrap_macro_f1(pairs: Sequence[tuple[np.ndarray, np.ndarray]], n_labels: int, multi_label: bool,
                       n_resamples: int = 1000, seed: int = 0, level: float = 0.95,
                       paired: bool = True, batch: int = 100) -> Bootstrap:
    """Percentile bootstrap CI of the mean macro-F1 of several runs' ``(y_true, y_pred)``.

    Paired: each resample draws test-example indices once and every run (seed) is
    scored on those same indices, then the run scores are averaged; so the interval
    reflects test-set sampling for the group, not seed noise. Unpaired (runs scored
    on different test sets): each run draws its own indices.

    A label absent from a resample's gold and predictions scores 0 (``zero_division=0``,
    as in training), so very small test sets with rare labels widen the interval.

    >>> y = np.array([0, 1] * 20)             # perfect predictions: every resample scores 1
    >>> r = bootstrap_macro_f1([(y, y)], 2, False, n_resamples=50)
    >>> (r.point, r.low, r.high)
    (1.0, 1.0, 1.0)
    """
    if not pairs:
        raise ValueError("bootstrap_macro_f1 needs at least one (y_true, y_pred) pair")
    rng = np.random.default_rng(seed)
    ind = [(_indicator(t, n_labels, multi_label), _indicator(p, n_labels, multi_label)) for t, p in pairs]
    point = float(np.mean([macro_f1(t, p, n_labels, multi_label) for t, p in pairs]))
    stats = []
    for start in range(0, n_resamples, batch):
        b = min(batch, n_resamples - start)
        if paired:
            idx = rng.integers(0, len(ind[0][0]), size=(b, len(ind[0][0])))
            stats.append(np.mean([resampled_macro_f1(t, p, idx) for t, p in ind], axis=0))
        else:
            stats.append(np.mean([resampled_macro_f1(t, p, rng.integers(0, len(t), size=(b, len(t))))
                                  for t, p in ind], axis=0))
    stats = np.concatenate(stats)
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(stats, [tail, 100 - tail])
    return Bootstrap(point, float(low), float(high), n_resamples, level, paired)


def bootstrap_tables(frames: Sequence[pd.DataFrame], multi_label: bool | None = None,
                     n_resamples: int = 1000, seed: int = 0, level: float = 0.95) -> Bootstrap:
    """``bootstrap_macro_f1`` for prediction tables: shared label space, aligned by ``id``
    (paired) when every table holds the same test examples, unpaired otherwise."""
    frames = list(frames)
    multi = any(is_multi_label(f) for f in frames) if multi_label is None else multi_label
    labels = labels_of(frames, multi)
    aligned = align(frames)
    pairs = [encode(f, labels, multi) for f in (aligned or frames)]
    return bootstrap_macro_f1(pairs, len(labels), multi, n_resamples=n_resamples, seed=seed,
                              level=level, paired=aligned is not None)
