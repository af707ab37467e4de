"""The fine-tuned encoder as an ONNX graph, and its dynamic int8 copy, for serving.

A logged transformer model serves through ONNX Runtime rather than torch: loading it
needs neither torch nor the transformers model classes (seconds of imports), and ONNX
Runtime's dynamic quantisation (int8 weights, activations quantised per batch) is its
fast CPU path. The export is torch's TorchScript-based ``torch.onnx.export`` with
dynamic batch and sequence axes; the graph takes the tokenizer's own inputs
(``token_type_ids`` only where the model has them, e.g. not XLM-R) and returns
``logits``. It traces the model's plain ("eager") attention rather than torch's fused
SDPA kernel, which the exporter can only decompose. On the default model (448 demo
articles, batches of 64, 2 cores) the SDPA graph ran 73 docs/s, the eager graph 85
(torch itself 78) and the eager graph's int8 copy 152, with the same fp32 logits.

>>> ONNX_FILE, INT8_FILE
('model.onnx', 'model.int8.onnx')
"""
from __future__ import annotations

import logging
import warnings
from contextlib import contextmanager
from pathlib import Path

ONNX_FILE = "model.onnx"
INT8_FILE = "model.int8.onnx"
OPSET = 17
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def export_onnx(model, tokenizer, path: str | Path) -> Path:
    """Write ``model`` (a ``*ForSequenceClassification``) to ``path`` as ONNX."""
    import torch

    path = Path(path)
    names = [n for n in _INPUTS if n in tokenizer.model_input_names]
    # two texts of different lengths, so that padding and the attention mask are traced
    sample = tokenizer(["نص", "نص أطول من الأول قليلا"], padding=True, return_tensors="pt")
    device = next(model.parameters()).device
    kwargs = {n: sample[n].to(device) for n in names}
    axes = {n: {0: "batch", 1: "sequence"} for n in names} | {"logits": {0: "batch"}}
    was_training = model.training
    attention = getattr(model.config, "_attn_implementation", None)
    model.eval()
    try:
        if attention not in (None, "eager"):
            model.set_attn_implementation("eager")
        # The tracer warns that shape checks in transformers' masking code become
        # constants; the graph is tested on other batch sizes and lengths instead.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(model, (), str(path), kwargs=kwargs, input_names=names,
                              output_names=["logits"], dynamic_axes=axes, opset_version=OPSET,
                              dynamo=False)
    finally:
        if attention not in (None, "eager"):
            model.set_attn_implementation(attention)
        model.train(was_training)
    return path


def quantize_int8(source: str | Path, target: str | Path) -> Path:
    """Dynamic int8 quantisation of the graph's MatMul weights (signed int8, per tensor:
    the fastest of ONNX Runtime's variants on these CPUs, benchmarks/serving.py)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with _quiet_root_warning("pre-processing before quantization"):
        quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8)
    return Path(target)


@contextmanager
def _quiet_root_warning(text: str):
    """ONNX Runtime's quantiser advises pre-processing on the root logger, for CNNs."""
    class _Drop(logging.Filter):
        def filter(self, record):
            return text not in str(record.msg)

    drop = _Drop()
    root = logging.getLogger()
    root.addFilter(drop)
    try:
        yield
    finally:
        root.removeFilter(drop)
