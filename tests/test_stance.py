"""Stance detection end to end: claim and target pairs, the label space, the pair
baseline, class weights, and a claim that is never cut.

    python -m pytest tests/test_stance.py -q
"""
from __future__ import annotations

import json
import logging

import mlflow
import numpy as np
import pandas as pd
import pytest
from hydra.utils import instantiate
from transformers import AutoTokenizer

from arnews.data.demo import read_demo
from arnews.errors import ArnewsError
from arnews.models.compact_bert import compact_bert_dir
from arnews.models.long_text import LongTextConfig, encode
from arnews.models.pair_features import tfidf_pair
from arnews.components import build_task
from arnews.tasks import Inputs
from conftest import TINY_BERT, compose_cfg, tracking_uri, train_on_jsonl, write_jsonl

# Every test here trains, serves or runs an entry point: seconds each.
pytestmark = pytest.mark.slow

STANCE = ["agree", "disagree", "discuss", "unrelated"]


def _train(workdir, data_dir, *overrides):
    score, run, _ = train_on_jsonl(workdir, data_dir, "task=stance", *overrides)
    return score, run


def _assert_stance_metrics(run, labels):
    metrics = run.data.metrics
    assert run.info.status == "FINISHED" and run.data.tags["task"] == "stance"
    for split in ("dev", "test"):
        per_class = [metrics[f"{split}/f1_{lab}"] for lab in labels]
        # Macro-F1 is the plain mean over every label, including one never predicted.
        assert metrics[f"{split}/macro_f1"] == pytest.approx(np.mean(per_class))
        assert 0.0 <= metrics[f"{split}/accuracy"] <= 1.0


def _predict(run, workdir, frame):
    mlflow.set_tracking_uri(tracking_uri(workdir))
    return mlflow.pyfunc.load_model(run.data.tags["model_uri"]).predict(frame)


def _assert_single_labels(out, labels, n):
    assert list(out.columns) == ["labels"] + [f"score_{lab}" for lab in labels]
    assert len(out) == n and all(isinstance(v, str) and v in labels for v in out["labels"])
    scores = out[[f"score_{lab}" for lab in labels]].to_numpy()
    assert np.allclose(scores.sum(axis=1), 1.0)
    # The label is the best-scoring one (single-label argmax), row by row.
    assert list(out["labels"]) == [labels[j] for j in scores.argmax(axis=1)]


def _rows(split, n=None):
    return read_demo("stance")[split][:n]


# ---- the pair baseline and the majority floor ------------------------------------------
def test_tfidf_pair_logs_every_label_and_serves_claim_text_frames(workdir, tiny_stance_dir):
    _, pair_run = _train(workdir, tiny_stance_dir, "model=tfidf_pair")
    _, majority_run = _train(workdir, tiny_stance_dir, "model=majority")
    for run in (pair_run, majority_run):
        _assert_stance_metrics(run, STANCE)
    names = lambda r: {k for k in r.data.metrics if k.startswith(("dev/", "test/"))}
    assert names(pair_run) == names(majority_run)
    # The claim-article features must carry signal that the class prior lacks.
    assert pair_run.data.metrics["test/macro_f1"] > majority_run.data.metrics["test/macro_f1"] + 0.1

    rows = _rows("test", 3)
    frame = pd.DataFrame({"claim": [r["claim"] for r in rows], "text": [r["text"] for r in rows]})
    _assert_single_labels(_predict(pair_run, workdir, frame), STANCE, 3)


def test_tfidf_pair_refuses_single_text_input():
    frame = Inputs(["نص عربي قصير", "نص آخر"]).to_frame()
    with pytest.raises(ArnewsError, match=r"needs pair input.*task=stance"):
        tfidf_pair(multi_label=False).fit(frame, [0, 1])


def test_tfidf_pair_sees_overlap_and_refuting_cues():
    """Both articles hold every claim word; only the second denies it, and only the
    cue features say so."""
    claim = "استقال وزير المالية من منصبه"
    agree = "أعلن مكتب رئيس الوزراء أن وزير المالية استقال من منصبه صباح اليوم"
    deny = "نفت وزارة المالية مزاعم أن وزير المالية استقال من منصبه ووصفتها بأنها شائعة"
    frame = pd.DataFrame({"first": [claim] * 4, "second": [agree, deny] * 2})
    pipe = tfidf_pair(multi_label=False, char_ngrams=(2, 3)).fit(frame, [0, 1] * 2)
    similarity = dict(pipe.named_steps["features"].transformer_list)["similarity"]
    names = list(similarity.get_feature_names_out())
    sim = similarity.transform(frame[:2])
    assert sim[:, names.index("claim_in_article")].tolist() == pytest.approx([1.0, 1.0])
    assert sim[:, names.index("refuting")].tolist() == [0.0, 1.0]
    # Three cues (نفت، مزاعم، شائعة) in 13 words, per 100 words.
    assert sim[1, names.index("refuting_per100")] == pytest.approx(300 / 13)
    assert sim[:, names.index("hedging")].tolist() == [0.0, 0.0]


# ---- target stance: the same code, `target` in place of `claim` --------------------------
@pytest.fixture(scope="module")
def tiny_target_dir(tmp_path_factory):
    """Target-stance rows (favor/against/none) made from demo pairs: the claim becomes the
    target, agree → favor, disagree → against, the rest → none."""
    to_target = {"agree": "favor", "disagree": "against", "discuss": "none", "unrelated": "none"}
    folder = tmp_path_factory.mktemp("target")
    for split, n in (("train", 120), ("dev", 40), ("test", 40)):
        write_jsonl(folder / f"{split}.jsonl",
                    [{"id": r["id"], "target": r["claim"], "text": r["text"],
                      "stance": to_target[r["stance"]]} for r in _rows(split, n)])
    return folder


def test_target_stance_runs_through_the_same_code(workdir, tiny_target_dir):
    rows = [{"id": "1", "target": "الاتفاق النووي", "text": "مقال", "stance": "favor"},
            {"id": "2", "target": "العقوبات", "text": "مقال آخر", "stance": "none"}]
    task = build_task(compose_cfg("train", ["task=stance"]).task)
    task.setup({"train": rows})
    assert task.inputs(rows).first == ["الاتفاق النووي", "العقوبات"]  # the target goes first

    _, run = _train(workdir, tiny_target_dir, "model=tfidf_pair")
    _assert_stance_metrics(run, ["against", "favor", "none"])
    test = _rows("test", 4)
    frame = pd.DataFrame({"target": [r["claim"] for r in test], "text": [r["text"] for r in test]})
    _assert_single_labels(_predict(run, workdir, frame), ["against", "favor", "none"], 4)


# ---- the label space ---------------------------------------------------------------------
def test_label_space_is_the_union_with_a_warning(workdir, tiny_stance_dir, tmp_path, caplog):
    folder = tmp_path / "no_disagree_in_train"
    write_jsonl(folder / "train.jsonl", [r for r in _rows("train", 120) if r["stance"] != "disagree"])
    for split in ("dev", "test"):
        write_jsonl(folder / f"{split}.jsonl", _rows(split, 40))
    with caplog.at_level(logging.WARNING, logger="arnews.tasks.task"):
        _, run = _train(workdir, folder, "model=majority")
    warned = [r.getMessage() for r in caplog.records if "train lacks" in r.getMessage()]
    assert any(m.startswith("test") and "disagree" in m for m in warned), warned
    _assert_stance_metrics(run, STANCE)
    assert run.data.metrics["test/f1_disagree"] == 0.0


def test_fixed_label_list_is_honoured(workdir, tiny_stance_dir):
    order = ["unrelated", "discuss", "disagree", "agree", "other"]
    _, run = _train(workdir, tiny_stance_dir, "model=majority", f"task.labels=[{','.join(order)}]")
    _assert_stance_metrics(run, order)  # `other` is in no split, yet is scored
    frame = pd.DataFrame({"claim": ["ادعاء"], "text": ["نص المقال"]})
    out = _predict(run, workdir, frame)
    _assert_single_labels(out, order, 1)
    # Majority follows train's most frequent class whatever the column order.
    assert out["labels"].tolist() == ["unrelated"]

    with pytest.raises(ArnewsError, match=r"unknown label.*(discuss|unrelated)"):
        _train(workdir, tiny_stance_dir, "model=majority", "task.labels=[agree,disagree]")


# ---- the claim stays whole -----------------------------------------------------------------
@pytest.mark.parametrize("strategy", ["head", "head_tail", "chunks"])
def test_the_claim_is_never_truncated(tmp_path_factory, strategy):
    rows = _rows("train", 30)
    folder = compact_bert_dir([r["claim"] + "\n" + r["text"] for r in rows],
                              tmp_path_factory.getbasetemp() / "claim_tok", vocab_size=500,
                              hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                              intermediate_size=32)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    # A short claim and one of 30 tokens (two claims joined, cut to 30 tokens of this
    # corpus-trained tokenizer, so the test does not depend on which rows come first),
    # both below the 37-token limit that max_length=48 leaves a claim.
    long_claim = rows[5]["claim"] + " " + rows[6]["claim"]
    while len(tokenizer(long_claim, add_special_tokens=False)["input_ids"]) > 30:
        long_claim = long_claim.rsplit(" ", 1)[0]
    claims = [rows[0]["claim"], long_claim]
    assert len(tokenizer(long_claim, add_special_tokens=False)["input_ids"]) >= 25
    article = " ".join(r["text"] for r in rows[:4])  # several hundred tokens
    max_length = 48
    feats, doc = encode(tokenizer, Inputs(claims, [article] * 2), max_length,
                        LongTextConfig(strategy=strategy, stride=8))
    for ids, d in zip(feats["input_ids"], doc):
        claim_ids = tokenizer(claims[d], add_special_tokens=False)["input_ids"]
        head = [tokenizer.cls_token_id, *claim_ids, tokenizer.sep_token_id]
        assert ids[:len(head)] == head and len(ids) <= max_length
        assert len(ids) > len(head) + 1  # some article is left after the claim
    if strategy == "chunks":
        assert np.bincount(doc).min() > 3


# ---- class weights ---------------------------------------------------------------------------
@pytest.mark.parametrize("model", ["tfidf_pair", "tfidf_logreg", "tfidf_svm"])
def test_sklearn_models_take_class_weight_from_their_config(model):
    def final_step(*overrides):
        cfg = compose_cfg("train", ["task=stance", f"model={model}", *overrides])
        return instantiate(cfg.model.pipeline)(multi_label=False).steps[-1][1]

    assert final_step().class_weight == "balanced"
    assert final_step("model.pipeline.class_weight=null").class_weight is None


@pytest.mark.slow
def test_balanced_class_weights_train_a_stance_transformer(workdir, tiny_stance_dir, monkeypatch):
    from arnews.models import transformer_training as transformer

    seen = []
    original = transformer._WeightedLossTrainer.compute_loss

    def spy(self, model, inputs, *args, **kwargs):
        seen.append(self.loss_weights.clone())
        return original(self, model, inputs, *args, **kwargs)

    monkeypatch.setattr(transformer._WeightedLossTrainer, "compute_loss", spy)
    _, run = _train(workdir, tiny_stance_dir, *TINY_BERT, "model.class_weights=balanced")
    _assert_stance_metrics(run, STANCE)
    assert seen, "the weighted loss was never used"
    # Inverse frequency over train (the first 120 pairs of demo corpus v2): unrelated
    # (34 of 120) weighs least, agree (25) most.
    counts = np.array([25, 31, 30, 34])
    rows = [json.loads(line) for line in (tiny_stance_dir / "train.jsonl").read_text().splitlines()]
    assert [sum(r["stance"] == lab for r in rows) for lab in STANCE] == counts.tolist()
    assert seen[0].numpy() == pytest.approx(120 / (4 * counts), rel=1e-5)
    out = _predict(run, workdir, pd.DataFrame({"claim": ["ادعاء"], "text": ["نص المقال"]}))
    _assert_single_labels(out, STANCE, 1)
