"""A BERT-style encoder behind the Classifier interface.

Fine-tuning goes through ``transformers.Trainer`` (:mod:`.transformer_training`,
imported only by ``fit``); prediction is a lean forward pass (:mod:`.inference`).
``save`` writes the checkpoint and, with ``serving="onnx"`` (the default), its ONNX
export, which the logged model serves with (:mod:`.onnx_serving`): no torch there.
"""
from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import asdict
from pathlib import Path

import numpy as np

from arnews.errors import ArnewsError
from arnews.models.base import Classifier
from arnews.models.inference import onnx_logits, score_inputs, torch_logits
from arnews.models.loading import load_pretrained, no_library_bars
from arnews.models.long_text import LongTextConfig
from arnews.models.onnx_export import INT8_FILE, ONNX_FILE, export_onnx, quantize_int8
from arnews.models.onnx_serving import SERVING_REQUIREMENTS
from arnews.models.preprocess import build_preprocessor, preprocess_inputs
from arnews.tasks.inputs import Inputs

log = logging.getLogger(__name__)


class TransformerClassifier(Classifier):
    """A sequence classifier fine-tuned with ``transformers.Trainer``."""

    kind = "transformer"
    TORCH_REQUIREMENTS = ("torch", "transformers", "tokenizers", "safetensors", "scipy")

    def __init__(self, labels, multi_label, pretrained: str, max_length: int = 256,
                 long_text: LongTextConfig | None = None, training_args: dict | None = None,
                 early_stopping_patience: int = 2, class_weights: str | None = None,
                 output_dir: str | Path = "checkpoints", cache_dir: str | Path | None = None,
                 preprocess: str | None = None,
                 select_by: str = "macro_f1", quantize: str | None = None, serving: str = "onnx"):
        super().__init__(labels, multi_label)
        if quantize not in (None, "int8"):
            raise ArnewsError(f"model.quantize={quantize!r}; use int8 or null")
        if serving not in ("onnx", "torch"):
            raise ArnewsError(f"model.serving={serving!r}; use onnx or torch")
        self.quantize, self.serving = quantize, serving
        self._int8 = None  # (fp32 model it was made from, the ONNX Runtime int8 session)
        if select_by not in ("macro_f1", "loss"):
            raise ArnewsError(f"model.select_by={select_by!r}; use macro_f1 or loss")
        self.select_by = select_by
        self.preprocess = preprocess
        self._preprocess = build_preprocessor(preprocess)
        # What the logged model needs: ONNX Runtime and the tokenizer, or the torch stack;
        # AraBERT's preprocessing runs inside the served model, so its package too.
        self.requirements = SERVING_REQUIREMENTS if serving == "onnx" else self.TORCH_REQUIREMENTS
        if quantize == "int8" and serving == "torch":  # int8 is ONNX Runtime's, exported at load
            self.requirements = self.requirements + ("onnx", "onnxruntime")
        if str(preprocess or "").startswith("arabert"):
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
        by length into batches, ``torch.inference_mode`` forward passes (or, with
        ``quantize: int8``, the int8 ONNX graph the logged model serves), and the windows
        of an article pooled (``long_text=chunks``) exactly as training scored them."""
        batch = int(self.training_args.get("per_device_eval_batch_size", 64))
        if self.quantize == "int8":
            logits_of = onnx_logits(self._int8_session(), self.tokenizer, len(self.labels), batch)
        else:
            logits_of = torch_logits(self.model, self.tokenizer, batch)
        return score_inputs(self.tokenizer, self._prepared(inputs), self.max_length, self.long_text,
                            logits_of, self.multi_label)

    def _int8_session(self):
        """An ONNX Runtime session of the current weights, dynamically quantised to int8
        (CPU): the very graph ``save`` writes, so the run's test scores are the served ones."""
        if self._int8 is None or self._int8[0] is not self.model:
            import onnxruntime as ort

            with tempfile.TemporaryDirectory(prefix="arnews-int8-") as tmp:
                graph = quantize_int8(export_onnx(self.model, self.tokenizer, Path(tmp) / ONNX_FILE),
                                      Path(tmp) / INT8_FILE)
                session = ort.InferenceSession(str(graph), providers=["CPUExecutionProvider"])
            self._int8 = (self.model, session)
        return self._int8[1]

    def _prepared(self, inputs: Inputs) -> Inputs:
        """The inputs after the model's own preprocessing (AraBERT's), if it has one."""
        return preprocess_inputs(self._preprocess, inputs)

    def _save_weights(self, path: Path) -> None:
        with no_library_bars():
            self.model.save_pretrained(path)
            self.tokenizer.save_pretrained(path)
        if self.serving == "onnx":
            export_onnx(self.model, self.tokenizer, path / ONNX_FILE)
            if self.quantize == "int8":
                quantize_int8(path / ONNX_FILE, path / INT8_FILE)

    def _extra_meta(self) -> dict:
        eval_bs = self.training_args.get("per_device_eval_batch_size", 32)
        return {"max_length": self.max_length, "long_text": asdict(self.long_text),
                "source_model": self.pretrained, "per_device_eval_batch_size": eval_bs,
                "preprocess": self.preprocess, "quantize": self.quantize, "serving": self.serving}

    @classmethod
    def load(cls, path: Path, meta: dict) -> "TransformerClassifier":
        """The saved checkpoint in torch (``load_classifier`` picks this for
        ``model.serving: torch``, or ``ARNEWS_BACKEND=torch``): no progress bars, on the
        GPU when there is one. ``ARNEWS_NUM_THREADS`` caps torch's CPU threads;
        ``ARNEWS_QUANTIZE`` (``int8`` or ``none``) overrides the ``quantize`` setting.
        """
        import torch

        if os.environ.get("ARNEWS_NUM_THREADS"):
            torch.set_num_threads(int(os.environ["ARNEWS_NUM_THREADS"]))
        quantize = os.environ.get("ARNEWS_QUANTIZE", meta.get("quantize") or "none")
        loaded = cls(meta["labels"], meta["multi_label"], pretrained=str(path),
                     max_length=meta["max_length"], long_text=LongTextConfig(**meta["long_text"]),
                     training_args={"per_device_eval_batch_size": meta["per_device_eval_batch_size"]},
                     preprocess=meta.get("preprocess"), quantize=None if quantize == "none" else quantize,
                     serving=meta.get("serving", "torch"))
        loaded.show_progress = False
        if torch.cuda.is_available() and loaded.quantize is None:
            loaded.model.to("cuda")
        return loaded
