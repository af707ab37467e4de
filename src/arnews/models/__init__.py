"""Models behind one small interface: ``fit``, ``predict_scores``, ``save``.

``build_classifier`` turns the ``model`` config group into a Classifier;
``load_classifier`` restores one saved with ``Classifier.save``.
"""
from __future__ import annotations

import json
from pathlib import Path

from hydra.utils import instantiate
from omegaconf import OmegaConf

from arnews.encoders import resolve_pretrained
from arnews.errors import ArnewsError
from arnews.models.base import META_FILE, Classifier
from arnews.models.long_text import LongTextConfig
from arnews.models.settings import check_training_args
from arnews.models.sklearn_models import SklearnClassifier
from arnews.models.transformer import TransformerClassifier

__all__ = ["Classifier", "build_classifier", "load_classifier"]


def _training_args(model_cfg, trainer_cfg, seed: int) -> dict:
    """The model's recipe, adjusted by the trainer group (device, precision, batch scale)."""
    args = OmegaConf.to_container(model_cfg.training, resolve=True)
    device = OmegaConf.to_container(trainer_cfg.args, resolve=True)
    keys = {**{k: f"model.training.{k}" for k in args}, **{k: f"trainer.args.{k}" for k in device}}
    check_training_args({**args, **device, "seed": seed}, keys)
    scale = int(trainer_cfg.get("batch_scale", 1))
    for key in ("per_device_train_batch_size", "per_device_eval_batch_size"):
        if key in args:
            args[key] = int(args[key]) * scale
    args.update(device)
    args["seed"] = seed
    if trainer_cfg.get("deterministic"):
        # torch.use_deterministic_algorithms + cuDNN/cuBLAS settings, applied by the Trainer.
        args["full_determinism"] = True
    return args


def build_classifier(model_cfg, trainer_cfg, long_text_cfg, labels, multi_label, train_texts,
                     output_dir, cache_dir, seed: int) -> Classifier:
    """A fresh, untrained classifier for the label space of the task."""
    if model_cfg.kind == "sklearn":
        settings = OmegaConf.to_container(model_cfg.pipeline, resolve=True)
        return SklearnClassifier(instantiate(model_cfg.pipeline, multi_label=multi_label),
                                 labels, multi_label, settings=settings)
    if model_cfg.kind != "transformer":
        raise ArnewsError(f"model.kind={model_cfg.kind!r}; use sklearn or transformer")
    pretrained = model_cfg.pretrained
    if pretrained is not None:
        pretrained = resolve_pretrained(pretrained, cache_dir)
    else:  # the compact BERT, built from the training texts
        from arnews.models.compact_bert import compact_bert_dir
        pretrained = compact_bert_dir(train_texts, cache_dir, seed=seed,
                                      **OmegaConf.to_container(model_cfg.compact, resolve=True))
    return TransformerClassifier(
        labels, multi_label, pretrained=pretrained, max_length=model_cfg.max_length,
        long_text=LongTextConfig(**OmegaConf.to_container(long_text_cfg, resolve=True)),
        training_args=_training_args(model_cfg, trainer_cfg, seed),
        early_stopping_patience=model_cfg.early_stopping_patience,
        class_weights=model_cfg.get("class_weights"), output_dir=output_dir, cache_dir=cache_dir,
        preprocess=model_cfg.get("preprocess"), select_by=model_cfg.get("select_by", "macro_f1"))


def load_classifier(path: str | Path) -> Classifier:
    """Restore a classifier written by ``Classifier.save``."""
    path = Path(path)
    meta = json.loads((path / META_FILE).read_text())
    kinds = {"sklearn": SklearnClassifier, "transformer": TransformerClassifier}
    return kinds[meta["kind"]].load(path, meta)
