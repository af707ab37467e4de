"""The lean inference path scores exactly as the Trainer does, for every long-text strategy."""
from __future__ import annotations

import tempfile

import numpy as np
import pytest
from scipy.special import expit, softmax

from arnews.data.demo import read_demo
from arnews.models.long_text import LongTextConfig, pool_logits
from arnews.models.transformer import TransformerClassifier
from arnews.tasks.inputs import Inputs


def _classifier(encoder, multi_label, strategy, **kwargs):
    from transformers import set_seed

    set_seed(0)  # the same random head every time
    return TransformerClassifier(["a", "b", "c"], multi_label, pretrained=encoder, max_length=48,
                                 long_text=LongTextConfig(strategy=strategy, stride=16),
                                 training_args={"per_device_eval_batch_size": 8, "use_cpu": True,
                                                "disable_tqdm": True}, **kwargs)


def _trainer_scores(clf, inputs: Inputs) -> np.ndarray:
    """How predictions were made before: datasets.map features through Trainer.predict."""
    from transformers import DataCollatorWithPadding, Trainer, TrainingArguments

    from arnews.models.transformer_training import features

    clf.show_progress = False
    ds = features(clf, inputs, None)
    example = np.asarray(ds["example"])
    with tempfile.TemporaryDirectory() as tmp:
        args = TrainingArguments(output_dir=tmp, report_to="none", **clf.training_args)
        trainer = Trainer(model=clf.model, args=args, data_collator=DataCollatorWithPadding(clf.tokenizer))
        logits = trainer.predict(ds.remove_columns(["example"])).predictions
    logits = pool_logits(np.asarray(logits, dtype=np.float64), example, len(inputs), clf.long_text.pooling)
    return expit(logits) if clf.multi_label else softmax(logits, axis=1)


def _demo_inputs(pairs: bool, n: int = 12) -> Inputs:
    if pairs:
        rows = read_demo("stance")["test"][:n]
        return Inputs([r["claim"] for r in rows], [r["text"] for r in rows])
    rows = read_demo("topic")["test"][:n]
    return Inputs([r["title"] + "\n" + r["text"] for r in rows])


@pytest.mark.slow
@pytest.mark.parametrize("strategy", ["head", "head_tail", "chunks"])
@pytest.mark.parametrize("multi_label, pairs", [(True, False), (False, True)])
def test_lean_path_gives_the_trainers_scores(encoder, strategy, multi_label, pairs):
    clf = _classifier(encoder, multi_label, strategy)
    inputs = _demo_inputs(pairs)
    lean = clf.predict_scores(inputs)
    assert lean.shape == (len(inputs), 3)
    np.testing.assert_allclose(lean, _trainer_scores(clf, inputs), atol=1e-5)


def test_the_quantize_setting_is_checked(encoder):
    from arnews.errors import ArnewsError

    with pytest.raises(ArnewsError, match="model.quantize='int4'; use int8 or null"):
        _classifier(encoder, False, "head", quantize="int4")


@pytest.mark.slow
def test_prediction_draws_no_progress_bars(encoder, capfd):
    """A served model answers each request without a tokenizing or prediction bar."""
    clf = _classifier(encoder, True, "chunks")
    capfd.readouterr()
    clf.predict_scores(_demo_inputs(False, n=3))
    out = capfd.readouterr()
    assert out.out == "" and out.err == ""
