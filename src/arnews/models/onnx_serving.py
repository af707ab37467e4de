"""A saved transformer classifier served through ONNX Runtime.

``load_classifier`` returns this for a transformer saved with its ONNX export (the
default, ``model.serving: onnx``). It reads the fast tokenizer and the graph, and
scores exactly as the training run did (same windows, pooling and preprocessing),
without importing torch, scikit-learn or the transformers model classes: the logged
default model loads in 2.6 s after MLflow's own import (benchmarks/serving.py, 2 idle
cores). It predicts only; to fine-tune further, start from the saved checkpoint
(``model.pretrained=<folder>``), which sits beside the graph.

Environment, for servers:
- ``ARNEWS_QUANTIZE=int8`` serves the int8 graph (made on the fly from the fp32 one
  if the model was trained without ``model.quantize=int8``); ``none`` serves fp32.
- ``ARNEWS_NUM_THREADS=N`` caps ONNX Runtime's threads per worker
  (``mlflow models serve --workers W``: cores / W each).
- ``ARNEWS_BACKEND=torch`` serves with torch instead (e.g. on a GPU).
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from arnews.errors import ArnewsError
from arnews.models.base import Classifier
from arnews.models.inference import onnx_logits, score_inputs
from arnews.models.long_text import LongTextConfig
from arnews.models.onnx_export import INT8_FILE, ONNX_FILE, quantize_int8
from arnews.models.preprocess import build_preprocessor, preprocess_inputs
from arnews.tasks.inputs import Inputs

# what the logged model needs to serve (no torch)
SERVING_REQUIREMENTS = ("onnxruntime", "transformers", "tokenizers", "scipy")


class OnnxTransformerClassifier(Classifier):
    """Predict-only view of a saved transformer classifier, on ONNX Runtime."""

    kind = "transformer"
    requirements = SERVING_REQUIREMENTS

    def __init__(self, labels, multi_label, session, tokenizer, max_length: int,
                 long_text: LongTextConfig, batch_size: int = 64, preprocess: str | None = None,
                 quantize: str | None = None):
        super().__init__(labels, multi_label)
        self.session, self.tokenizer = session, tokenizer
        self.max_length, self.long_text, self.batch_size = max_length, long_text, batch_size
        self.preprocess, self._preprocess = preprocess, build_preprocessor(preprocess)
        self.quantize = quantize

    def fit(self, *args, **kwargs):
        raise ArnewsError("a served ONNX model only predicts; to train further, fine-tune its "
                          "checkpoint: model.pretrained=<the saved model folder>")

    def predict_scores(self, inputs: Inputs) -> np.ndarray:
        inputs = preprocess_inputs(self._preprocess, inputs)
        logits_of = onnx_logits(self.session, self.tokenizer, len(self.labels), self.batch_size)
        return score_inputs(self.tokenizer, inputs, self.max_length, self.long_text, logits_of,
                            self.multi_label)

    def _save_weights(self, path: Path) -> None:
        raise ArnewsError("a served ONNX model is saved by the run that trained it")

    @classmethod
    def load(cls, path: Path, meta: dict) -> "OnnxTransformerClassifier":
        import onnxruntime as ort
        from transformers import PreTrainedTokenizerFast

        quantize = os.environ.get("ARNEWS_QUANTIZE", meta.get("quantize") or "none")
        if quantize not in ("int8", "none"):
            raise ArnewsError(f"ARNEWS_QUANTIZE={quantize!r}; use int8 or none")
        graph = path / ONNX_FILE
        if quantize == "int8":
            graph = path / INT8_FILE
            if not graph.exists():  # trained in fp32: quantise now, beside a read-only model
                graph = quantize_int8(path / ONNX_FILE, Path(tempfile.mkdtemp(prefix="arnews-int8-")) / INT8_FILE)
        options = ort.SessionOptions()
        if os.environ.get("ARNEWS_NUM_THREADS"):
            options.intra_op_num_threads = int(os.environ["ARNEWS_NUM_THREADS"])
        session = ort.InferenceSession(str(graph), options, providers=_providers(ort))
        # The generic fast tokenizer (no model classes to import) must produce what
        # the graph reads: token_type_ids for BERT pairs, none for XLM-R.
        names = [i.name for i in session.get_inputs()]
        tokenizer = PreTrainedTokenizerFast.from_pretrained(str(path), model_input_names=names)
        return cls(meta["labels"], meta["multi_label"], session, tokenizer, meta["max_length"],
                   LongTextConfig(**meta["long_text"]), int(meta.get("per_device_eval_batch_size", 64)),
                   meta.get("preprocess"), None if quantize == "none" else quantize)


def _providers(ort) -> list[str]:
    """CUDA when this ONNX Runtime build has it (onnxruntime-gpu), else the CPU."""
    available = ort.get_available_providers()
    return [p for p in ("CUDAExecutionProvider", "CPUExecutionProvider") if p in available]
