"""A BERT-style encoder behind the Classifier interface.

Fine-tuning goes through ``transformers.Trainer`` (:mod:`.transformer_training`,
imported only by ``fit``); prediction is a lean forward pass (:mod:`.inference`), so a
served model loads and answers without the Trainer stack or ``datasets``.
"""
from __future__ import annotations

import logging
import os
import warnings
from dataclasses import asdict
from pathlib import Path

import numpy as np
from scipy.special import expit, softmax

from arnews.errors import ArnewsError
from arnews.models.base import Classifier
from arnews.models.inference import forward_logits
from arnews.models.loading import load_pretrained, no_library_bars
from arnews.models.long_text import LongTextConfig, encode, pool_logits
from arnews.models.preprocess import build_preprocessor
from arnews.tasks.inputs import Inputs

log = logging.getLogger(__name__)


class TransformerClassifier(Classifier):
    """A sequence classifier fine-tuned with ``transformers.Trainer``."""

    kind = "transformer"
    requirements = ("torch", "transformers", "tokenizers", "safetensors", "scipy")

    def __init__(self, labels, multi_label, pretrained: str, max_length: int = 256,
                 long_text: LongTextConfig | None = None, training_args: dict | None = None,
                 early_stopping_patience: int = 2, class_weights: str | None = None,
                 output_dir: str | Path = "checkpoints", cache_dir: str | Path | None = None,
                 preprocess: str | None = None,
                 select_by: str = "macro_f1", quantize: str | None = None):
        super().__init__(labels, multi_label)
        if quantize not in (None, "int8"):
            raise ArnewsError(f"model.quantize={quantize!r}; use int8 or null")
        self.quantize = quantize
        self._int8 = None  # (fp32 model it was made from, its int8 copy)
        if select_by not in ("macro_f1", "loss"):
            raise ArnewsError(f"model.select_by={select_by!r}; use macro_f1 or loss")
        self.select_by = select_by
        self.preprocess = preprocess
        self._preprocess = build_preprocessor(preprocess)
        if str(preprocess or "").startswith("arabert"):
            # AraBERT's preprocessing runs inside the served model: serving needs its package.
            self.requirements = self.requirements + ("arabert",)
        self.pretrained = str(pretrained)
        self.long_text = long_text or LongTextConfig()
        self.training_args = dict(training_args or {})
        self.early_stopping_patience = early_stopping_patience
        self.class_weights = class_weights
        self.output_dir = Path(output_dir)
        self.cache_dir = Path(cache_dir).expanduser() if cache_dir else None
        self.show_progress = True  # progress bars while training; a served model draws none
        id2label = dict(enumerate(self.labels))
        self.tokenizer, self.model = load_pretrained(
            self.pretrained, num_labels=len(self.labels), id2label=id2label,
            label2id={v: k for k, v in id2label.items()},
            problem_type="multi_label_classification" if multi_label else "single_label_classification",
            ignore_mismatched_sizes=True)
        self.max_length = self._checked_max_length(max_length)

    def _checked_max_length(self, max_length: int) -> int:
        limit = min(getattr(self.model.config, "max_position_embeddings", max_length),
                    self.tokenizer.model_max_length or max_length)
        if max_length > limit:
            log.warning("model.max_length=%d is above what %s supports (%d); using %d",
                        max_length, self.pretrained, limit, limit)
            return limit
        return max_length

    # ---- Classifier ------------------------------------------------------------------------
    def fit(self, train, y_train, dev, y_dev, log_metrics=None, resume=False):
        # The Trainer stack (and datasets) load only here: serving never needs them.
        from arnews.models.transformer_training import fine_tune

        self.model = fine_tune(self, train, y_train, dev, y_dev, log_metrics, resume)
        return self

    def predict_scores(self, inputs: Inputs) -> np.ndarray:
        """Scores without the Trainer: the fast tokenizer on the whole batch, windows sorted
        by length into batches, ``torch.inference_mode`` forward passes, and the windows
        of an article pooled (``long_text=chunks``) exactly as training scored them."""
        features, example = encode(self.tokenizer, self._prepared(inputs), self.max_length, self.long_text)
        batch = int(self.training_args.get("per_device_eval_batch_size", 64))
        logits = forward_logits(self._inference_model(), self.tokenizer, features, batch)
        logits = pool_logits(logits, np.asarray(example), len(inputs), self.long_text.pooling)
        return expit(logits) if self.multi_label else softmax(logits, axis=1)

    def _inference_model(self):
        """The model that predicts: the trained one, or its dynamic int8 copy (``quantize:
        int8``; Linear layers in int8, CPU only). The fp32 weights stay for saving."""
        if self.quantize != "int8":
            return self.model
        if self._int8 is None or self._int8[0] is not self.model:
            import torch
            from torch.ao.quantization import quantize_dynamic

            with warnings.catch_warnings():  # torch deprecates the quantized tensor API it uses
                warnings.simplefilter("ignore", UserWarning)
                self._int8 = (self.model, quantize_dynamic(self.model.cpu(), {torch.nn.Linear}, dtype=torch.qint8))
        return self._int8[1]

    def _prepared(self, inputs: Inputs) -> Inputs:
        """The inputs after the model's own preprocessing (AraBERT's), if it has one."""
        if self._preprocess is None:
            return inputs
        prep = self._preprocess
        return Inputs([prep(t) for t in inputs.first],
                      None if inputs.second is None else [prep(t) for t in inputs.second])

    def _save_weights(self, path: Path) -> None:
        with no_library_bars():
            self.model.save_pretrained(path)
            self.tokenizer.save_pretrained(path)

    def _extra_meta(self) -> dict:
        eval_bs = self.training_args.get("per_device_eval_batch_size", 32)
        return {"max_length": self.max_length, "long_text": asdict(self.long_text),
                "source_model": self.pretrained, "per_device_eval_batch_size": eval_bs,
                "preprocess": self.preprocess, "quantize": self.quantize}

    @classmethod
    def load(cls, path: Path, meta: dict) -> "TransformerClassifier":
        """The saved classifier, as the logged model serves it: no progress bars, on the
        GPU when there is one, with the int8 setting it was trained with.

        ``ARNEWS_NUM_THREADS`` caps torch's CPU threads, for servers that run several
        workers (``mlflow models serve --workers N``: cores / N each); ``ARNEWS_QUANTIZE``
        (``int8`` or ``none``) overrides the model's own ``quantize`` setting.
        """
        import torch

        if os.environ.get("ARNEWS_NUM_THREADS"):
            torch.set_num_threads(int(os.environ["ARNEWS_NUM_THREADS"]))
        quantize = os.environ.get("ARNEWS_QUANTIZE", meta.get("quantize") or "none")
        loaded = cls(meta["labels"], meta["multi_label"], pretrained=str(path),
                     max_length=meta["max_length"], long_text=LongTextConfig(**meta["long_text"]),
                     training_args={"per_device_eval_batch_size": meta["per_device_eval_batch_size"]},
                     preprocess=meta.get("preprocess"), quantize=None if quantize == "none" else quantize)
        loaded.show_progress = False
        if torch.cuda.is_available() and loaded.quantize is None:
            loaded.model.to("cuda")
        return loaded
