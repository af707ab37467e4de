"""Bad model settings from the config, reported as one line that names the key.

scikit-learn checks its parameters only inside ``fit`` and names the estimator's
parameter, not the config key that set it; ``TrainingArguments`` accepts a string
learning rate or a negative epoch count and fails (or trains nothing) much later.
Both are turned here into an :class:`ArnewsError` naming ``model.pipeline.<key>`` or
``model.training.<key>``.
"""
from __future__ import annotations

import dataclasses
import re

from transformers import TrainingArguments

from arnews.errors import ArnewsError

# TrainingArguments settings that must be above zero (it does not check them itself).
POSITIVE = ("learning_rate", "num_train_epochs", "per_device_train_batch_size",
            "per_device_eval_batch_size", "gradient_accumulation_steps")


def bad_pipeline_parameter(exc: Exception, settings: dict) -> ArnewsError:
    """sklearn's InvalidParameterError as an error on the ``model.pipeline`` key that set it.

    >>> err = ValueError("The 'C' parameter of LogisticRegression must be a float. Got 'x' instead.")
    >>> print(bad_pipeline_parameter(err, {"C": "x"}))
    model.pipeline.C=x: The 'C' parameter of LogisticRegression must be a float. Got 'x' instead; fix the override or conf/model
    """
    message = str(exc).strip().splitlines()[0].rstrip(".")
    named = re.match(r"The '(\w+)' parameter", message)
    key = named.group(1) if named and named.group(1) in settings else None
    where = f"model.pipeline.{key}={settings[key]}" if key else "model.pipeline"
    return ArnewsError(f"{where}: {message}; fix the override or conf/model")


def check_training_args(args: dict, keys: dict[str, str]) -> None:
    """Stop on a bad ``TrainingArguments`` value before any model is loaded.

    ``keys`` maps each argument to the config key it came from (``model.training.*``,
    ``trainer.args.*``), which is what the message names.

    >>> check_training_args({"learning_rate": "abc"}, {"learning_rate": "model.training.learning_rate"})
    Traceback (most recent call last):
    ...
    arnews.errors.ArnewsError: model.training.learning_rate='abc': must be a number; fix the override or the config file
    """
    kinds = {f.name: f.type for f in dataclasses.fields(TrainingArguments)}
    for name, value in args.items():
        key = f"{keys.get(name, name)}={value!r}"
        problem = _wrong_type(kinds.get(name), value)
        if problem is None and name in POSITIVE and value <= 0:
            problem = "must be above 0"
        if problem:
            raise ArnewsError(f"{key}: {problem}; fix the override or the config file")
    try:
        TrainingArguments(**args)
    except (ValueError, TypeError) as exc:
        reason = str(exc).strip().splitlines()[0]
        # name the setting the message mentions, by name or by its (string) value
        named = [f"{keys.get(n, n)}={v!r}" for n, v in args.items()
                 if re.search(rf"\b{n}\b", reason) or (isinstance(v, str) and v and v in reason)]
        raise ArnewsError(f"{named[0] if named else 'model.training'}: {reason}; fix the "
                          "override or the config file") from None


def _wrong_type(kind, value) -> str | None:
    """What is wrong with ``value`` for a bool, int or float setting; None if nothing."""
    if kind is bool:
        return None if isinstance(value, bool) else "must be true or false"
    if kind in (int, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return "must be a number"
        if kind is int and not isinstance(value, int):
            return "must be a whole number"
    return None
