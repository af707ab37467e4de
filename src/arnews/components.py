"""Config → objects: the one module where Hydra builds the package's components.

``train.py``, ``evaluate.py`` and ``pretrain.py`` call these at the top of a run, in
the style of lightning-hydra-template's ``instantiate(cfg.X)``. Every component has a
``_target_`` in ``conf/``; below this layer ``arnews.data``, ``arnews.tasks`` and
``arnews.models`` take plain values and never see a config object. Factories are
built as partials (``_partial_``) so that errors raised while reading data or
building a model reach the user as the library's own one-line messages, not wrapped
by ``instantiate``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from arnews.data import load_splits
from arnews.data.normalize import ArabicNormalizer
from arnews.errors import ArnewsError
from arnews.models.base import Classifier, ModelContext
from arnews.models.long_text import LongTextConfig
from arnews.models.settings import TrainerSettings
from arnews.tasks import Task


def plain(node) -> dict:
    """A config node as plain Python containers (interpolations resolved)."""
    return OmegaConf.to_container(node, resolve=True) if OmegaConf.is_config(node) else dict(node or {})


def build_normalizer(node: DictConfig | None) -> ArabicNormalizer | None:
    """The ``normalize`` block as a normaliser, or None when ``enabled`` is false."""
    settings = plain(node) if node is not None else {"enabled": False}
    if not settings.pop("enabled", True):
        return None
    return ArabicNormalizer(**settings)


def build_reader(data: DictConfig) -> Callable[..., dict[str, list[dict]]]:
    """``data.reader`` as a callable taking ``splits=``."""
    return instantiate(data.reader, _partial_=True, _convert_="all")


def load_data(data: DictConfig, splits=("train", "dev", "test"), seed: int = 0,
              normalizer: ArabicNormalizer | None = None) -> dict[str, list[dict]]:
    """Read the ``data`` config's splits (a missing dev carved from train)."""
    return load_splits(build_reader(data), splits, seed=seed,
                       dev_fraction=float(data.get("dev_fraction", 0.1)), normalizer=normalizer)


def refuse_unlabelled(data: DictConfig) -> None:
    """Stop ``train.py`` on a dataset that has no labels (pre-training text)."""
    if data.get("labelled", True) is False:
        raise ArnewsError(f"data={data.name} is unlabelled news text for pre-training, not a "
                          f"classification dataset: use it with python pretrain.py "
                          f"corpus={data.name} (or add it to a corpus), and train on a labelled one")


def build_task(task: DictConfig) -> Task:
    return instantiate(task, _convert_="all")


def build_trainer(trainer: DictConfig | None) -> TrainerSettings:
    return TrainerSettings() if trainer is None else instantiate(trainer, _convert_="all")


def build_long_text(long_text: DictConfig | None) -> LongTextConfig | None:
    return None if long_text is None else instantiate(long_text, _convert_="all")


def build_classifier(cfg: DictConfig, task: Task, train_texts: list[str], output_dir: Path) -> Classifier:
    """A fresh classifier from the ``model`` group, for the task's label space."""
    factory = instantiate(cfg.model, _convert_="all")
    context = ModelContext(labels=task.labels, multi_label=task.multi_label, seed=int(cfg.seed),
                           train_texts=train_texts, output_dir=output_dir,
                           cache_dir=Path(str(cfg.paths.cache_dir)).expanduser(),
                           trainer=build_trainer(cfg.get("trainer")),
                           long_text=build_long_text(cfg.get("long_text")) or LongTextConfig())
    return factory(context=context)
