"""Label space, decision rule and metrics: the parts every model shares."""
from __future__ import annotations

import logging

import numpy as np
import pytest

from arnews.tasks.metrics import compute_metrics
from arnews.tasks.task import Task
from arnews.tasks.thresholds import DecisionRule, choose_thresholds


def test_thresholds_maximise_dev_f1_per_label():
    # Label 0 separates at 0.6, label 1 at 0.2: one global 0.5 would get label 1 wrong.
    scores = np.array([[0.9, 0.3], [0.7, 0.25], [0.4, 0.1], [0.2, 0.05]])
    y = np.array([[1, 1], [1, 1], [0, 0], [0, 0]])
    t = choose_thresholds(scores, y)
    assert 0.4 < t[0] <= 0.7 and 0.1 < t[1] <= 0.25
    rule = DecisionRule(multi_label=True).fit(scores, y)
    assert (rule.decide(scores) == y).all()


def test_untuned_rule_keeps_half_and_single_label_takes_argmax():
    rule = DecisionRule(multi_label=True, tune=False).fit(np.array([[0.3]]), np.array([[1]]))
    assert rule.thresholds.tolist() == [0.5]
    single = DecisionRule(multi_label=False).fit(np.zeros((1, 3)), np.array([0]))
    assert single.decide(np.array([[0.1, 0.7, 0.2]])).tolist() == [1]


def test_multilabel_metrics_match_hand_computation():
    y = np.array([[1, 0], [1, 1], [0, 0]])
    p = np.array([[1, 0], [0, 1], [0, 1]])
    m = compute_metrics(y, p, ["a", "b"], True, "test/")
    # label a: tp1 fn1 -> f1 2/3; label b: tp1 fp1 -> f1 2/3; micro: tp2 fp1 fn1 -> 2/3
    assert m["test/f1_a"] == pytest.approx(2 / 3) and m["test/f1_b"] == pytest.approx(2 / 3)
    assert m["test/micro_f1"] == pytest.approx(2 / 3)
    assert m["test/subset_accuracy"] == pytest.approx(1 / 3)


def test_single_label_topic_is_decided_by_the_data():
    task = Task("topic", ["title", "text"], ["topics", "topic"])
    task.setup({"train": [{"id": "1", "text": "x", "topic": "sport"},
                          {"id": "2", "text": "y", "topic": "economy"}]})
    assert task.multi_label is False and task.labels == ["economy", "sport"]
    assert task.targets([{"topic": "sport"}]).tolist() == [1]


def test_label_missing_from_train_warns(caplog):
    task = Task("stance", ["text"], ["stance"], pair_fields=["claim"])
    row = lambda i, s: {"id": i, "claim": "c", "text": "t", "stance": s}
    with caplog.at_level(logging.WARNING):
        task.setup({"train": [row("1", "agree"), row("2", "discuss")], "test": [row("3", "disagree")]})
    assert task.labels == ["agree", "disagree", "discuss"]
    assert "disagree" in caplog.text and "train lacks" in caplog.text


def test_pair_inputs_put_the_claim_first():
    task = Task("stance", ["text"], ["stance"], pair_fields=["claim", "target"])
    inputs = task.inputs([{"claim": "ادعاء", "text": "مقال"}, {"target": "هدف", "text": "تغريدة"}])
    assert inputs.first == ["ادعاء", "هدف"] and inputs.second == ["مقال", "تغريدة"]
