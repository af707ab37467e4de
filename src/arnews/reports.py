"""Figures for a run: a confusion matrix, or one 2x2 matrix per label for multi-label."""
from __future__ import annotations

import textwrap

import matplotlib

matplotlib.use("Agg")  # runs on headless machines and in CI

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.metrics import ConfusionMatrixDisplay, multilabel_confusion_matrix  # noqa: E402


def confusion_figure(y_true: np.ndarray, y_pred: np.ndarray, labels: list[str], multi_label: bool,
                     title: str = "test"):
    """A matplotlib Figure of the confusion matrix (per label when multi-label).

    >>> fig = confusion_figure(np.array([0, 1]), np.array([0, 0]), ["a", "b"], False)
    >>> len(fig.axes) >= 1
    True
    """
    if not multi_label:
        fig, ax = plt.subplots(figsize=(1.2 * len(labels) + 3, 1.2 * len(labels) + 2.5))
        ConfusionMatrixDisplay.from_predictions(
            y_true, y_pred, labels=list(range(len(labels))), display_labels=labels, ax=ax,
            colorbar=False, xticks_rotation=45)
        ax.set_title(f"confusion matrix ({title})")
        fig.tight_layout()
        return fig
    matrices = multilabel_confusion_matrix(y_true, y_pred)
    # A constrained layout reserves room for the figure title above the panel titles;
    # tight_layout ignores a suptitle, which then sits on top of them.
    fig, axes = plt.subplots(1, len(labels), figsize=(3.4 * len(labels), 3.8), squeeze=False,
                             layout="constrained")
    for ax, matrix, label in zip(axes[0], matrices, labels):
        ConfusionMatrixDisplay(matrix, display_labels=["no", "yes"]).plot(ax=ax, colorbar=False)
        ax.set_title(textwrap.fill(label, 24), fontsize=10)  # a long label wraps, not overlaps
    fig.suptitle(f"per-label confusion ({title})", fontweight="bold")
    fig.get_layout_engine().set(h_pad=0.15)  # clear space between the two rows of titles
    return fig
