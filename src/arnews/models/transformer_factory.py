"""Build a TransformerClassifier from a model recipe (``conf/model/<transformer>.yaml``).

The recipe names a checkpoint (``pretrained``: a hub id, a folder, ``runs:/...`` or
``arnews:<shipped encoder>``; ``null`` builds a new compact BERT of the ``compact``
shape) and the ``TrainingArguments`` to fine-tune it with. The run supplies the rest
through :class:`~arnews.models.base.ModelContext`.

>>> from arnews.models.base import ModelContext
>>> clf = transformer_classifier(ModelContext(["a", "b"], False), pretrained="arnews:compact_arabic_bert",
...                              max_length=64, training={"num_train_epochs": 1})  # doctest: +SKIP
"""
from __future__ import annotations

from arnews.encoders import resolve_pretrained
from arnews.models.base import ModelContext
from arnews.models.settings import training_arguments
from arnews.models.transformer import TransformerClassifier


def transformer_classifier(context: ModelContext, *, pretrained: str | None, max_length: int = 256,
                           training: dict | None = None, early_stopping_patience: int = 2,
                           class_weights: str | None = None, select_by: str = "macro_f1",
                           preprocess: str | None = None, compact: dict | None = None,
                           quantize: str | None = None, serving: str = "onnx",
                           name: str = "", tune_thresholds: bool = True) -> TransformerClassifier:
    """A fresh classifier head on ``pretrained`` (or on a new compact BERT).

    The head's random initial weights come from torch's global RNG, seeded here with
    the run's seed, so the same seed gives the same model.
    """
    from transformers import set_seed

    set_seed(context.seed)
    if pretrained is not None:
        pretrained = resolve_pretrained(pretrained, context.cache_dir)
    else:  # a compact BERT with random weights, its tokenizer built from the training texts
        from arnews.models.compact_bert import compact_bert_dir
        pretrained = compact_bert_dir(context.train_texts, context.cache_dir, seed=context.seed,
                                      **(compact or {}))
    classifier = TransformerClassifier(
        context.labels, context.multi_label, pretrained=pretrained, max_length=max_length,
        long_text=context.long_text,
        training_args=training_arguments(training or {}, context.trainer, context.seed),
        early_stopping_patience=early_stopping_patience, class_weights=class_weights,
        output_dir=context.output_dir, cache_dir=context.cache_dir, preprocess=preprocess,
        select_by=select_by, quantize=quantize, serving=serving)
    classifier.tune_thresholds = tune_thresholds
    return classifier
