"""What fine-tuning prints: one line per epoch, one line about the new head, no noise.

Why: out of the box ``transformers`` prints a 16-key metrics dict every epoch, a
"LOAD REPORT ... MISSING" table that reads like an error although a freshly added
classification head is always missing from a pre-trained encoder, and ``datasets``
draws a "tokenizing" bar on every call to the served model. Here:

- ``QuietProgressCallback`` keeps the Trainer's progress bars but, instead of the raw
  dict, writes ``epoch 2/8 | train loss 0.4123 | dev macro-F1 0.8120 | 0:00:41``;
  ``EpochLogCallback`` logs the same line when bars are off (``disable_tqdm``);
- ``quiet_load`` silences the load report and ``head_note`` says in one plain line
  what it meant; weights that should have loaded but did not still get a warning;
- ``progress_bars(False)`` turns the ``datasets`` bars off for one block, and
  ``no_library_bars`` the bars transformers draws inside training (saving checkpoints).
"""
from __future__ import annotations

import logging
import time
from contextlib import contextmanager
from datetime import timedelta

from transformers import PrinterCallback, ProgressCallback, TrainerCallback

log = logging.getLogger("arnews.models.transformer")

HEAD_PREFIXES = ("classifier", "score")  # the sequence-classification heads of BERT, XLM-R, ...


def _is_head(key: str) -> bool:
    """A weight of the classification head: the classifier and the pooler feeding it
    (an encoder pre-trained with masked-LM only has no pooler)."""
    return key.startswith(HEAD_PREFIXES) or ".pooler." in key or key.startswith("pooler.")


def _modules(keys: list[str]) -> str:
    """``classifier.*, bert.pooler.dense.*``: weights grouped by module."""
    return ", ".join(dict.fromkeys(k.rsplit(".", 1)[0] + ".*" if "." in k else k for k in keys))


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


@contextmanager
def no_library_bars():
    """No transformers-internal bars (e.g. "Writing model shards" at every epoch's
    checkpoint) inside the block; the Trainer's own progress bars are not affected."""
    from transformers.utils import logging as hf_logging

    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if bars:
            hf_logging.enable_progress_bar()


def quiet_progress(trainer) -> None:
    """Swap the Trainer's dict-printing callbacks for the one-line ones."""
    if trainer.pop_callback(ProgressCallback) is not None:
        trainer.add_callback(QuietProgressCallback)
    if trainer.pop_callback(PrinterCallback) is not None:
        trainer.add_callback(EpochLogCallback)


class _DropLoadReport(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "LOAD REPORT" not in str(record.msg)


@contextmanager
def quiet_load():
    """Load a model without transformers' load report (``head_note`` replaces it) and
    without its "Loading weights" bar (a 25 MB model loads in well under a second).

    The report is filtered out rather than the logger raised to ERROR: transformers
    checks a tensor-parallel plan, and warns about every layer, when that logger's own
    level is WARNING or above.
    """
    logger = logging.getLogger("transformers.modeling_utils")
    report = _DropLoadReport()
    logger.addFilter(report)
    try:
        with no_library_bars():
            yield
    finally:
        logger.removeFilter(report)


def head_note(info: dict, source: str, n_labels: int) -> tuple[int, str] | None:
    """``(level, message)`` explaining a load report, or None when every weight loaded.

    A new classification head is expected (INFO); encoder weights missing from the
    checkpoint are not (WARNING).

    >>> head_note({"missing_keys": {"classifier.weight", "classifier.bias"},
    ...            "unexpected_keys": {"cls.predictions.bias"}}, "enc", 3)[1]
    'enc: new classification head for 3 labels (classifier.*), initialised at random and trained in this run; 1 pre-training weight of the checkpoint unused (cls.*)'
    """
    missing = sorted(info.get("missing_keys") or ())
    mismatched = sorted(k[0] if isinstance(k, tuple) else k for k in info.get("mismatched_keys") or ())
    unexpected = sorted(info.get("unexpected_keys") or ())
    head = [k for k in missing + mismatched if _is_head(k)]
    other = [k for k in missing + mismatched if not _is_head(k)]
    if other:
        shown = ", ".join(other[:5]) + (f" and {len(other) - 5} more" if len(other) > 5 else "")
        return logging.WARNING, (f"{source}: {len(other)} weights are not in the checkpoint and start "
                                 f"at random: {shown}")
    if not head:
        return None
    text = (f"{source}: new classification head for {n_labels} labels ({_modules(head)}), "
            "initialised at random and trained in this run")
    if unexpected:
        prefixes = sorted({k.split(".")[0] + ".*" for k in unexpected})
        plural = "s" if len(unexpected) > 1 else ""
        text += (f"; {len(unexpected)} pre-training weight{plural} of the checkpoint unused "
                 f"({', '.join(prefixes)})")
    return logging.INFO, text


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
