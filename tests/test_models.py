"""Defensive warnings of the transformer wrapper and the compact model cache."""
from __future__ import annotations

import logging

from transformers import BertConfig

from arnews.models.compact_bert import compact_bert_dir
from arnews.models.loading import _warn_on_label_mismatch
from arnews.models.transformer import TransformerClassifier

TEXTS = ["هاجم قراصنة شبكة المصرف المركزي", "وقعت الدولتان معاهدة للحد من الأسلحة"] * 5
SHAPE = dict(vocab_size=120, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
             intermediate_size=32, max_position_embeddings=64)


def test_label_mapping_mismatch_warns(caplog):
    config = BertConfig(id2label={0: "positive", 1: "negative"})
    with caplog.at_level(logging.WARNING):
        _warn_on_label_mismatch(config, {0: "agree", 1: "disagree"})
    assert "positive" in caplog.text and "agree" in caplog.text
    caplog.clear()
    _warn_on_label_mismatch(BertConfig(num_labels=2), {0: "agree", 1: "disagree"})
    assert caplog.text == ""  # a fresh head (LABEL_0, LABEL_1) is no mismatch


def test_max_length_above_the_model_limit_is_clamped_with_a_warning(tmp_path, caplog):
    folder = compact_bert_dir(TEXTS, tmp_path, **SHAPE)
    with caplog.at_level(logging.WARNING):
        clf = TransformerClassifier(["a", "b"], False, pretrained=str(folder), max_length=512,
                                    output_dir=tmp_path / "ckpt")
    assert clf.max_length == 64 and "max_length=512" in caplog.text


def test_compact_model_is_cached_by_its_inputs(tmp_path):
    first = compact_bert_dir(TEXTS, tmp_path, **SHAPE)
    assert compact_bert_dir(TEXTS, tmp_path, **SHAPE) == first
    assert compact_bert_dir(TEXTS + ["نص جديد"], tmp_path, **SHAPE) != first
    assert compact_bert_dir(TEXTS, tmp_path, **{**SHAPE, "hidden_size": 32}) != first


def test_checkpoint_selection_is_by_dev_macro_f1_or_dev_loss(tmp_path):
    import pytest

    from arnews.errors import ArnewsError

    folder = compact_bert_dir(TEXTS, tmp_path, **SHAPE)
    clf = TransformerClassifier(["a", "b"], False, pretrained=str(folder), max_length=32,
                                output_dir=tmp_path / "ckpt", select_by="loss")
    from arnews.models.transformer_training import fit_arguments

    args = fit_arguments(clf)
    assert args.metric_for_best_model == "loss" and args.greater_is_better is False
    assert args.load_best_model_at_end and args.eval_strategy == "epoch"
    with pytest.raises(ArnewsError, match="model.select_by"):
        TransformerClassifier(["a", "b"], False, pretrained=str(folder), select_by="accuracy")
