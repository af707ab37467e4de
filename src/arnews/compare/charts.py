"""PNG charts of a leaderboard: macro-F1 per group, and per-class F1 per group.

    paths = draw_all(board, out_dir)   # ["macro_f1.png", "per_class_f1-topic-demo.png", ...]

Figures are built with ``matplotlib.figure.Figure`` rather than pyplot, so drawing
needs no display, changes no global backend, and leaves no open figures behind.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from arnews.compare.leaderboard import class_columns


MAX_LABEL = 48


def short_label(model: str, params: str, limit: int = MAX_LABEL) -> str:
    """A group label that fits a chart axis: last name part of each param, truncated.

    >>> short_label("bert", "model.training.learning_rate=1e-3; model.compact.hidden_size=128")
    'bert (learning_rate=1e-3, hidden_size=128)'
    """
    parts = [p.strip().partition("=") for p in str(params or "").split(";") if p.strip()]
    shown = [f"{name.rsplit('.', 1)[-1]}={value}" for name, _, value in parts]
    text = f"{model} ({', '.join(shown)})" if shown else model
    return text if len(text) <= limit else text[:limit - 1] + "…"


def value_label(value: float) -> str:
    """The text over a bar: ``0`` for an F1 of zero, two decimals otherwise, ``n/a`` for none.

    >>> [value_label(v) for v in (0.0, 0.8125, float("nan"))]
    ['0', '0.81', 'n/a']
    """
    if np.isnan(value):
        return "n/a"
    return "0" if value == 0 else f"{value:.2f}"


def _labels(board: pd.DataFrame) -> list[str]:
    # The rank ties a (possibly truncated) chart label to its leaderboard row; task/data
    # are named only when the board mixes several.
    mixed = board[["task", "data"]].drop_duplicates().shape[0] > 1
    return [f"#{r['rank']} " + (f"{r['task']}/{r['data']}: " if mixed else "") + short_label(r["model"], r["params"])
            for _, r in board.iterrows()]


def macro_f1_chart(board: pd.DataFrame, path: Path) -> Path:
    """Horizontal bars of mean test macro-F1 per group, error bars = bootstrap CI
    (± std over seeds where a group has no predictions), diamonds = mean dev macro-F1."""
    n = len(board)
    fig = Figure(figsize=(10, 1.8 + 0.45 * n), layout="constrained")
    ax = fig.subplots()
    y = np.arange(n)[::-1]  # rank 1 at the top
    mean = board["test_macro_f1_mean"].to_numpy(float)
    std = np.nan_to_num(board["test_macro_f1_std"].to_numpy(float))
    low, high = board["test_macro_f1_ci_low"].to_numpy(float), board["test_macro_f1_ci_high"].to_numpy(float)
    has_ci = ~np.isnan(low)
    # The CI is centred on the recomputed point, which equals the logged mean; clip
    # so a tiny mismatch never yields a negative error length.
    err = np.vstack([np.where(has_ci, np.clip(mean - low, 0, None), std),
                     np.where(has_ci, np.clip(high - mean, 0, None), std)])
    ax.barh(y, mean, xerr=err, color="#4C72B0", capsize=4, label="test macro-F1 (mean; bars: 95% CI)")
    # A zero-length bar is invisible: write each value at the base of its bar (beside a
    # short one), clear of the error bar and the dev marker at its end.
    for yi, value in zip(y, mean):
        inside = value >= 0.12
        ax.text(0.01 if inside else np.nan_to_num(value) + 0.01, yi, value_label(value), va="center",
                ha="left", color="white" if inside else "black", fontsize=8)
    ax.scatter(board["dev_macro_f1_mean"], y, marker="D", color="#DD8452", zorder=3,
               label="dev macro-F1 (mean; used for selection)")
    ax.set_yticks(y, _labels(board))
    ax.set_xlim(0, 1.05)
    ax.set_xlabel("macro-F1")
    ax.set_title("Macro-F1 per group (mean over seeds)")
    # Legends go below the axes: inside, they hide the bars they explain.
    fig.legend(loc="outside lower center", ncol=2, fontsize=8)
    fig.savefig(path, dpi=120)
    return path


def per_class_chart(board: pd.DataFrame, path: Path, title: str = "") -> Path:
    """Grouped bars: mean test F1 of each label (x) for each group (one bar colour each)."""
    cols = [c for c in class_columns(board) if board[c].notna().any()]
    labels = [c[len("test_f1_"):] for c in cols]
    fig = Figure(figsize=(max(7, 1.2 * len(labels) * max(1, len(board)) ** 0.5), 4.5 + 0.2 * len(board)),
                 layout="constrained")
    ax = fig.subplots()
    x = np.arange(len(labels))
    width = 0.8 / max(1, len(board))
    for i, (name, values) in enumerate(zip(_labels(board), board[cols].to_numpy(float))):
        bars = ax.bar(x + (i - (len(board) - 1) / 2) * width, np.nan_to_num(values), width, label=name)
        # An F1 of 0 (a majority baseline) draws no bar: say "0" where it would be.
        ax.bar_label(bars, labels=[value_label(v) for v in values], padding=2, fontsize=7)
    ax.set_xticks(x, labels, rotation=20, ha="right")
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("test F1 (mean over seeds)")
    ax.set_title(f"Per-class test F1{f' — {title}' if title else ''}")
    fig.legend(loc="outside lower center", ncol=1, fontsize=8)
    fig.savefig(path, dpi=120)
    return path


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)


def draw_all(board: pd.DataFrame, out_dir: Path) -> list[str]:
    """Every chart for ``board`` into ``out_dir``; returns file names relative to it."""
    out_dir.mkdir(parents=True, exist_ok=True)
    names = [macro_f1_chart(board, out_dir / "macro_f1.png").name]
    # Label spaces differ across tasks/datasets, so per-class charts are drawn per pair.
    for (task, data), part in board.groupby(["task", "data"], sort=False):
        part = part.dropna(axis=1, how="all")
        if class_columns(part):
            path = out_dir / f"per_class_f1-{_slug(task)}-{_slug(data)}.png"
            names.append(per_class_chart(part, path, f"{task} / {data}").name)
    return names
