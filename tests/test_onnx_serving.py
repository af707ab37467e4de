"""A saved transformer serves through its ONNX export: the scores training computed,
with no torch import, and an int8 graph on request."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from arnews.errors import ArnewsError
from arnews.models import load_classifier
from arnews.models.onnx_serving import OnnxTransformerClassifier
from arnews.models.transformer import TransformerClassifier
from test_inference import _classifier, _demo_inputs

pytestmark = pytest.mark.slow  # each test fine-tunes nothing but exports and loads a model


@pytest.fixture(scope="module")
def saved(encoder, tmp_path_factory):
    """(torch classifier, its saved folder) for topic (multi-label) and stance (pairs)."""
    out = {}
    for multi_label in (True, False):
        clf = _classifier(encoder, multi_label, "chunks")
        out[multi_label] = clf, clf.save(tmp_path_factory.mktemp("saved"))
    return out


@pytest.mark.parametrize("strategy", ["head", "head_tail", "chunks"])
@pytest.mark.parametrize("multi_label", [True, False])
def test_onnx_serving_gives_the_torch_scores(saved, strategy, multi_label):
    from arnews.models.long_text import LongTextConfig

    clf, folder = saved[multi_label]
    served = load_classifier(folder)
    assert isinstance(served, OnnxTransformerClassifier)
    clf.long_text = served.long_text = LongTextConfig(strategy=strategy, stride=16)
    inputs = _demo_inputs(pairs=not multi_label)
    np.testing.assert_allclose(served.predict_scores(inputs), clf.predict_scores(inputs), atol=1e-5)


def test_the_served_model_loads_without_torch_or_sklearn(saved):
    _, folder = saved[False]
    code = ("import sys, json; from arnews.models import load_classifier; from arnews.tasks.inputs import Inputs; "
            f"c = load_classifier({str(folder)!r}); s = c.predict_scores(Inputs(['ادعاء'], ['نص المقال'])); "
            "print(json.dumps([type(c).__name__, [m for m in ('torch', 'sklearn') if m in sys.modules], s.shape[1]]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == ["OnnxTransformerClassifier", [], 3]


def test_int8_is_the_served_graph_and_close_to_fp32(encoder, tmp_path):
    fp32 = _classifier(encoder, False, "head")
    int8 = _classifier(encoder, False, "head", quantize="int8")
    inputs = _demo_inputs(False)
    a, b = fp32.predict_scores(inputs), int8.predict_scores(inputs)
    assert np.abs(a - b).max() < 0.05 and not np.array_equal(a, b)  # int8 really ran
    folder = int8.save(tmp_path / "int8")
    assert (folder / "model.int8.onnx").stat().st_size < (folder / "model.onnx").stat().st_size / 2
    loaded = load_classifier(folder)
    assert loaded.quantize == "int8"
    np.testing.assert_allclose(loaded.predict_scores(inputs), b, atol=1e-6)  # what the run scored


def test_environment_overrides_at_load(saved, monkeypatch):
    clf, folder = saved[False]
    inputs = _demo_inputs(True, n=4)
    monkeypatch.setenv("ARNEWS_QUANTIZE", "int8")  # a fp32 model, quantised on the fly
    int8 = load_classifier(folder)
    assert int8.quantize == "int8" and not (folder / "model.int8.onnx").exists()  # the model is untouched
    assert np.abs(int8.predict_scores(inputs) - clf.predict_scores(inputs)).max() < 0.05
    monkeypatch.setenv("ARNEWS_QUANTIZE", "int4")
    with pytest.raises(ArnewsError, match="ARNEWS_QUANTIZE='int4'; use int8 or none"):
        load_classifier(folder)
    monkeypatch.delenv("ARNEWS_QUANTIZE")
    monkeypatch.setenv("ARNEWS_BACKEND", "torch")
    assert isinstance(load_classifier(folder), TransformerClassifier)


def test_served_model_predicts_only(saved):
    with pytest.raises(ArnewsError, match="model.pretrained=<the saved model folder>"):
        load_classifier(saved[True][1]).fit(None, None, None, None)


def test_serving_torch_writes_no_graph_and_needs_torch(encoder, tmp_path):
    clf = _classifier(encoder, False, "head", serving="torch")
    assert "torch" in clf.requirements and "onnxruntime" not in clf.requirements
    folder = clf.save(tmp_path / "torch")
    assert not (folder / "model.onnx").exists()
    assert isinstance(load_classifier(folder), TransformerClassifier)
    with pytest.raises(ArnewsError, match="model.serving='tf'; use onnx or torch"):
        _classifier(encoder, False, "head", serving="tf")
