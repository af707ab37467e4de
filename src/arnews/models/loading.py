"""Loading a checkpoint for sequence classification, quietly and safely.

``load_pretrained`` goes through ``from_pretrained`` with safetensors only and no
remote code. Out of the box transformers prints a "LOAD REPORT ... MISSING" table that
reads like an error, although a freshly added classification head is always missing
from a pre-trained encoder: ``quiet_load`` drops it and ``head_note`` says in one plain
line what it meant; weights that should have loaded but did not still get a warning.
Nothing here imports the Trainer, so a served model loads in a fraction of the time.
"""
from __future__ import annotations

import logging
from contextlib import contextmanager

from arnews.encoders import load_error

log = logging.getLogger("arnews.models.transformer")

HEAD_PREFIXES = ("classifier", "score")  # the sequence-classification heads of BERT, XLM-R, ...


def _is_head(key: str) -> bool:
    """A weight of the classification head: the classifier and the pooler feeding it
    (an encoder pre-trained with masked-LM only has no pooler)."""
    return key.startswith(HEAD_PREFIXES) or ".pooler." in key or key.startswith("pooler.")


def _modules(keys: list[str]) -> str:
    """``classifier.*, bert.pooler.dense.*``: weights grouped by module."""
    return ", ".join(dict.fromkeys(k.rsplit(".", 1)[0] + ".*" if "." in k else k for k in keys))


def load_pretrained(name_or_path: str, **model_kwargs):
    """Tokenizer and classification model through ``from_pretrained``, with one clear
    error line when a hub id cannot be reached.

    Weights load from safetensors only and no code shipped with a checkpoint runs
    (``trust_remote_code=False``): a checkpoint is data, never a program.
    """
    from transformers import AutoConfig, AutoModelForSequenceClassification, AutoTokenizer

    try:
        config = AutoConfig.from_pretrained(name_or_path, trust_remote_code=False)
        _warn_on_label_mismatch(config, model_kwargs.get("id2label"))
        tokenizer = AutoTokenizer.from_pretrained(name_or_path, trust_remote_code=False)
        with quiet_load():  # its "LOAD REPORT" table reads like an error: head_note says it plainly
            model, info = AutoModelForSequenceClassification.from_pretrained(
                name_or_path, use_safetensors=True, trust_remote_code=False, output_loading_info=True,
                **model_kwargs)
    except (OSError, ValueError) as exc:
        raise load_error(f"model {name_or_path!r}", exc, "the model hub may be unreachable: use "
                         "model=compact_bert, or model.pretrained=/path/to/a/local/checkpoint") from None
    note = head_note(info, name_or_path, model.config.num_labels)
    if note is not None:
        log.log(*note)
    return tokenizer, model


def _warn_on_label_mismatch(config, id2label: dict | None) -> None:
    """A checkpoint already fine-tuned on other labels gets a new head: say so."""
    theirs = [str(v) for _, v in sorted((config.id2label or {}).items())]
    if not id2label or all(v.startswith("LABEL_") for v in theirs):
        return
    ours = [id2label[i] for i in sorted(id2label)]
    if theirs != ours:
        log.warning("the checkpoint was trained for labels %s, this task has %s: its "
                    "classification head is replaced and trained from scratch", theirs, ours)


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
