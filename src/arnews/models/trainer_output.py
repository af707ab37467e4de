"""What fine-tuning prints: one line per epoch, one line about the new head, no noise.

Why: out of the box ``transformers`` prints a 16-key metrics dict every epoch, a
"LOAD REPORT ... MISSING" table that reads like an error although a freshly added
classification head is always missing from a pre-trained encoder, and ``datasets``
draws a "tokenizing" bar on every call to the served model. Here:

- ``QuietProgressCallback`` keeps the Trainer's progress bars but, instead of the raw
  dict, writes ``epoch 2/8 | train loss 0.4123 | dev macro-F1 0.8120 | 0:00:41``;
  ``EpochLogCallback`` logs the same line when bars are off (``disable_tqdm``);
- ``progress_bars(False)`` turns the ``datasets`` bars off for one block.

Loading a checkpoint quietly (the load report, ``head_note``) is in :mod:`.loading`.
"""
from __future__ import annotations

import logging
import time
from contextlib import contextmanager
from datetime import timedelta

from transformers import PrinterCallback, ProgressCallback, TrainerCallback

log = logging.getLogger("arnews.models.transformer")

class EpochLine:
    """Collects the Trainer's logs and renders one line when an epoch's dev scores arrive."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.loss: float | None = None

    def update(self, args, state, logs: dict | None) -> str | None:
        logs = logs or {}
        if "loss" in logs:
            self.loss = float(logs["loss"])
        if "eval_macro_f1" not in logs and "eval_loss" not in logs:
            return None
        epoch = round(state.epoch or 0)
        total = int(args.num_train_epochs) if args.max_steps in (None, -1, 0) else "?"
        parts = [f"epoch {epoch}/{total}"]
        if self.loss is not None:
            parts.append(f"train loss {self.loss:.4f}")
        if "eval_macro_f1" in logs:
            parts.append(f"dev macro-F1 {float(logs['eval_macro_f1']):.4f}")
        else:
            parts.append(f"dev loss {float(logs['eval_loss']):.4f}")
        parts.append(str(timedelta(seconds=round(time.monotonic() - self.started))))
        return " | ".join(parts)


class QuietProgressCallback(ProgressCallback):
    """The Trainer's progress bars, with one line per epoch instead of raw metric dicts."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.line = EpochLine()

    def on_train_begin(self, args, state, control, **kwargs):
        self.line = EpochLine()
        return super().on_train_begin(args, state, control, **kwargs)

    def on_log(self, args, state, control, logs=None, **kwargs):
        text = self.line.update(args, state, logs)
        if text and state.is_world_process_zero:
            if self.training_bar is not None:
                self.training_bar.write(text)  # above the bar, without breaking it
            else:
                log.info(text)


class EpochLogCallback(TrainerCallback):
    """The per-epoch line through logging, for runs with progress bars off."""

    def __init__(self) -> None:
        self.line = EpochLine()

    def on_train_begin(self, args, state, control, **kwargs):
        self.line = EpochLine()

    def on_log(self, args, state, control, logs=None, **kwargs):
        text = self.line.update(args, state, logs)
        if text and state.is_world_process_zero:
            log.info(text)


def quiet_progress(trainer) -> None:
    """Swap the Trainer's dict-printing callbacks for the one-line ones."""
    if trainer.pop_callback(ProgressCallback) is not None:
        trainer.add_callback(QuietProgressCallback)
    if trainer.pop_callback(PrinterCallback) is not None:
        trainer.add_callback(EpochLogCallback)


@contextmanager
def progress_bars(enabled: bool):
    """Turn the ``datasets`` progress bars off inside the block when ``enabled`` is False."""
    import datasets

    if enabled or datasets.are_progress_bars_disabled():
        yield
        return
    datasets.disable_progress_bars()
    try:
        yield
    finally:
        datasets.enable_progress_bars()
