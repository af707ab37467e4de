"""Models behind one small interface: ``fit``, ``predict_scores``, ``save``.

Factories build them (``sklearn_models.sklearn_classifier``,
``transformer_factory.transformer_classifier``); ``conf/model`` names one with
``_target_`` and the entry layer calls it with a :class:`ModelContext`.
``load_classifier`` restores one saved with ``Classifier.save``, importing only what
that kind of model needs: loading a TF-IDF model never imports torch.
"""
from __future__ import annotations

import json
import os
from importlib import import_module
from pathlib import Path

from arnews.models.base import META_FILE, Classifier, ModelContext

__all__ = ["Classifier", "ModelContext", "load_classifier"]

# kind (saved in META_FILE) -> the module and class that load it
_LOADERS = {"sklearn": ("arnews.models.sklearn_models", "SklearnClassifier"),
            "transformer": ("arnews.models.transformer", "TransformerClassifier"),
            "transformer+onnx": ("arnews.models.onnx_serving", "OnnxTransformerClassifier")}


def load_classifier(path: str | Path) -> Classifier:
    """Restore a classifier written by ``Classifier.save``.

    A transformer saved with its ONNX export serves through ONNX Runtime, unless
    ``ARNEWS_BACKEND=torch`` asks for the torch checkpoint beside it.
    """
    path = Path(path)
    meta = json.loads((path / META_FILE).read_text())
    kind = meta["kind"]
    if kind == "transformer" and meta.get("serving") == "onnx" and os.environ.get("ARNEWS_BACKEND") != "torch":
        kind = "transformer+onnx"
    module, name = _LOADERS[kind]
    classifier = getattr(import_module(module), name).load(path, meta)
    classifier.tune_thresholds = meta.get("tune_thresholds", True)
    return classifier
