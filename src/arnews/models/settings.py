"""Bad model settings from the config, reported as one line that names the key.

scikit-learn checks its parameters only inside ``fit`` and names the estimator's
parameter, not the config key that set it; ``TrainingArguments`` accepts a string
learning rate or a negative epoch count and fails (or trains nothing) much later.
Both are turned here into an :class:`ArnewsError` naming ``model.pipeline.<key>`` or
``model.training.<key>``.

``TrainerSettings`` (the ``trainer`` config group: device, precision, threads) and
``training_arguments`` (a model's recipe adjusted by them) live here too.
transformers is imported only when training arguments are checked, so the
scikit-learn baselines never load it.
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field

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
    from transformers import TrainingArguments

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


@dataclass
class TrainerSettings:
    """Where and how transformers train: the ``trainer`` config group (cpu, gpu).

    ``args`` go to ``TrainingArguments`` on top of the model's recipe; ``batch_scale``
    multiplies the recipe's per-device batch sizes (a GPU takes larger batches).
    """

    args: dict = field(default_factory=dict)
    batch_scale: int = 1
    num_threads: int | None = None     # torch CPU threads per process (None: all cores)
    deterministic: bool = False        # TrainingArguments.full_determinism
    keep_checkpoints: bool = False     # keep a finished run's epoch checkpoints


def training_arguments(recipe: dict, trainer: TrainerSettings | None, seed: int) -> dict:
    """A model's ``TrainingArguments`` recipe, adjusted by the trainer settings and checked.

    >>> training_arguments({"per_device_train_batch_size": 8}, TrainerSettings(batch_scale=2), 1)
    {'per_device_train_batch_size': 16, 'seed': 1}
    """
    trainer = trainer or TrainerSettings()
    args, device = dict(recipe), dict(trainer.args)
    keys = {**{k: f"model.training.{k}" for k in args}, **{k: f"trainer.args.{k}" for k in device}}
    check_training_args({**args, **device, "seed": seed}, keys)
    for key in ("per_device_train_batch_size", "per_device_eval_batch_size"):
        if key in args:
            args[key] = int(args[key]) * int(trainer.batch_scale)
    args.update(device)
    args["seed"] = seed
    if trainer.deterministic:
        # torch.use_deterministic_algorithms + cuDNN/cuBLAS settings, applied by the Trainer.
        args["full_determinism"] = True
    return args
