"""What users read: the end-of-run summary, the Leaderboard view's tag, the one-line
training output and the figures. Fast unit tests; the browser test that the MLflow UI
really shows the view is in test_mlflow_server.py."""
from __future__ import annotations

import json
import logging
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from arnews import summary
from arnews.compare import charts
from arnews.models.loading import head_note
from arnews.models.trainer_output import EpochLine
from arnews.reports import confusion_figure
from arnews.ui_views import LEADERBOARD_ID, VIEW_TAG_PREFIX, ensure_leaderboard_view, envelope, leaderboard_state

TAG = VIEW_TAG_PREFIX + LEADERBOARD_ID


# --------------------------------------------------------------------------- summary

def test_run_summary_names_the_run_and_links_into_the_runs_view():
    metrics = {"dev/macro_f1": 0.81234, "test/macro_f1": 0.7, "dev/micro_f1": 0.9, "test/micro_f1": 0.75,
               "test/f1_cyber": 0.0, "dev/f1_cyber": 0.5, "dev/subset_accuracy": 0.4}
    text = summary.run_summary("arnews-topic-demo", "7", "abc123", "tfidf_logreg-seed42", "sqlite:///mlflow.db",
                               metrics, ["cyber"], "runs:/abc123/topic-tfidf_logreg")
    rows = [line.split() for line in text.splitlines()]
    assert ["metric", "dev", "test"] in rows
    assert ["macro_f1", "0.8123", "0.7000"] in rows and ["f1_cyber", "0.5000", "0.0000"] in rows
    assert not any(r and r[0] == "subset_accuracy" for r in rows)  # headline metrics only
    assert "tfidf_logreg-seed42 (abc123) FINISHED in experiment arnews-topic-demo (id 7)" in text
    assert "http://127.0.0.1:5000/#/experiments/7/runs/abc123?workflowType=machine_learning" in text
    assert "#/experiments/7/runs?viewStateShareKey=leaderboard&workflowType=machine_learning" in text
    assert "runs:/abc123/topic-tfidf_logreg" in text
    assert "start it in this folder with: MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false mlflow ui --workers 1" in text


def test_links_follow_a_tracking_server():
    text = summary.run_summary("e", "1", "r", "n", "http://10.1.2.3:5000/", {"dev/macro_f1": 1.0})
    assert "http://10.1.2.3:5000/#/experiments/1/runs/r?workflowType=machine_learning" in text
    assert "127.0.0.1" not in text


def test_headline_metrics_are_logged_first():
    metrics = {"test/precision_a": 1, "test/accuracy": 1, "test/f1_a": 1, "test/macro_f1": 1, "test/micro_f1": 1}
    assert list(summary.headline_first(metrics, ["a"]))[:3] == ["test/macro_f1", "test/micro_f1", "test/f1_a"]


def test_sweep_summary_ranks_by_dev_and_says_what_to_run_next():
    board = [{"run_id": "b", "run_name": "svm", "params": "model=svm", "dev/macro_f1": 0.9, "test/macro_f1": 0.5},
             {"run_id": "a", "run_name": "logreg", "params": "model=logreg", "dev/macro_f1": 0.8,
              "test/macro_f1": 0.95}]
    text = summary.sweep_summary("exp", "3", "P", "sweep-x", "sqlite:///other.db", board, board[0])
    assert "best by dev macro-F1: svm (b)" in text
    assert text.index("svm") < text.index("logreg")
    assert "next:        python compare.py --parent P --tracking-uri sqlite:///other.db" in text
    assert "http://127.0.0.1:5000/#/experiments/3/runs/P?workflowType=machine_learning" in text
    md = summary.markdown_board(board, "3")
    assert "| 1 | [svm](#/experiments/3/runs/b?workflowType=machine_learning) | 0.9000 | 0.5000 |" in md


def test_run_description_has_scores_counts_and_the_ci():
    note = summary.run_description("topic", "demo", "compact_bert", {"train": 313, "dev": 45, "test": 90},
                                   {"dev/macro_f1": 0.9, "test/macro_f1": 0.8}, [], (0.95, 0.71, 0.88),
                                   "leakage: 0 test articles also in train")
    assert note.startswith("**compact_bert** on **topic** / **demo** (313 train, 45 dev, 90 test)")
    assert "test macro-F1 **0.8000** (95% bootstrap CI 0.7100–0.8800)" in note
    assert "Leakage check: 0 test articles also in train." in note


# --------------------------------------------------------------------------- the saved view

@pytest.fixture(scope="module")
def client(tmp_path_factory):
    return MlflowClient(f"sqlite:///{tmp_path_factory.mktemp('views') / 'mlflow.db'}")


def test_the_leaderboard_view_is_the_envelope_the_ui_reads(client):
    exp = client.create_experiment("views")
    assert ensure_leaderboard_view(client, exp, ["cyber", "arms"])
    outer = json.loads(client.get_experiment(exp).tags[TAG])
    # The UI's parser: an object with a string name, a number createdAt and a string state.
    assert outer["name"] == "Leaderboard" and isinstance(outer["createdAt"], int)
    state = json.loads(outer["state"])
    assert state["orderByKey"] == "metrics.`dev/macro_f1`" and state["orderByAsc"] is False
    assert state["selectedColumns"] == [
        "tags.`model`", "tags.`seed`", "tags.`data`", "metrics.`dev/macro_f1`", "metrics.`test/macro_f1`",
        "metrics.`test/f1_cyber`", "metrics.`test/f1_arms`", "attributes.`Dataset`"]
    assert state["columnOrder"] == ["attributes.`Run Name`", *state["selectedColumns"]]
    assert not ensure_leaderboard_view(client, exp, ["arms"])  # nothing new: left as it is
    # Another task's labels in the same experiment add their columns.
    assert ensure_leaderboard_view(client, exp, ["agree"])
    columns = json.loads(json.loads(client.get_experiment(exp).tags[TAG])["state"])["selectedColumns"]
    assert columns[-3:] == ["metrics.`test/f1_arms`", "metrics.`test/f1_agree`", "attributes.`Dataset`"]


def test_a_view_the_user_saved_over_is_left_alone(client):
    exp = client.create_experiment("users-view")
    mine = json.dumps({"name": "Leaderboard", "createdAt": 1, "updatedAt": 2,
                       "state": json.dumps({"selectedColumns": ["metrics.`x`"]})})  # no generatedBy
    client.set_experiment_tag(exp, TAG, mine)
    assert not ensure_leaderboard_view(client, exp, ["cyber"])
    assert client.get_experiment(exp).tags[TAG] == mine
    assert json.loads(envelope(leaderboard_state(), 5))["updatedAt"] == 5


# --------------------------------------------------------------------------- terminal

def test_one_line_per_epoch():
    line = EpochLine()
    args = SimpleNamespace(num_train_epochs=8, max_steps=-1)
    assert line.update(args, SimpleNamespace(epoch=1.0), {"loss": 0.61234, "grad_norm": 1.0}) is None
    text = line.update(args, SimpleNamespace(epoch=1.0), {"eval_macro_f1": 0.5, "eval_loss": 0.4, "epoch": 1.0})
    assert text.startswith("epoch 1/8 | train loss 0.6123 | dev macro-F1 0.5000 | 0:00:0")
    assert "{" not in text


def test_a_new_head_is_one_plain_line_but_missing_encoder_weights_warn():
    level, text = head_note({"missing_keys": {"classifier.weight", "classifier.bias", "bert.pooler.dense.weight",
                                              "bert.pooler.dense.bias"},
                             "unexpected_keys": {"cls.predictions.bias"}, "mismatched_keys": set()},
                            "arnews:compact_arabic_bert", 3)
    assert level == logging.INFO and "\n" not in text
    assert "new classification head for 3 labels (bert.pooler.dense.*, classifier.*)" in text
    level, text = head_note({"missing_keys": {"bert.encoder.layer.0.attention.self.query.weight",
                                              "classifier.bias"}}, "x", 2)
    assert level == logging.WARNING and "bert.encoder.layer.0" in text
    assert head_note({"missing_keys": set(), "unexpected_keys": {"cls.predictions.bias"}}, "x", 2) is None


# --------------------------------------------------------------------------- figures

def _overlaps(a, b) -> bool:
    return not (a.x1 <= b.x0 or b.x1 <= a.x0 or a.y1 <= b.y0 or b.y1 <= a.y0)


@pytest.mark.parametrize("labels", [["cybersecurity", "arms_control", "regional_conflicts"],
                                    ["a_rather_long_label_name_for_a_topic", "b", "c", "d"]])
def test_confusion_titles_do_not_overlap(labels):
    rng = np.random.default_rng(0)
    y, p = rng.integers(0, 2, (30, len(labels))), rng.integers(0, 2, (30, len(labels)))
    fig = confusion_figure(y, p, labels, True, title="test")
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    boxes = [fig._suptitle.get_window_extent(renderer)] + [ax.title.get_window_extent(renderer) for ax in fig.axes]
    assert not any(_overlaps(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
    # A clear gap (0.1 inch), not glyphs touching, between the figure title and the panels'.
    assert min(boxes[0].y0 - b.y1 for b in boxes[1:]) >= 0.1 * fig.dpi
    # nor any title with a neighbouring panel's tick labels and matrix
    for title, ax in zip(boxes[1:], fig.axes):
        assert title.y0 >= ax.get_window_extent(renderer).y1 - 1


def test_zero_bars_are_labelled(tmp_path):
    board = pd.DataFrame([
        {"rank": 1, "task": "topic", "data": "demo", "model": "tfidf_logreg", "params": "", "test_macro_f1_mean": 0.9,
         "test_macro_f1_std": np.nan, "test_macro_f1_ci_low": 0.8, "test_macro_f1_ci_high": 0.95,
         "dev_macro_f1_mean": 0.95, "test_f1_a": 0.9, "test_f1_b": 0.8},
        {"rank": 2, "task": "topic", "data": "demo", "model": "majority", "params": "", "test_macro_f1_mean": 0.0,
         "test_macro_f1_std": np.nan, "test_macro_f1_ci_low": 0.0, "test_macro_f1_ci_high": 0.0,
         "dev_macro_f1_mean": 0.0, "test_f1_a": 0.0, "test_f1_b": 0.0}])
    seen = {}
    original = charts.Figure.savefig

    def keep(fig, path, **kwargs):
        seen[path.name] = [t.get_text() for ax in fig.axes for t in ax.texts]
        return original(fig, path, **kwargs)

    charts.Figure.savefig = keep
    try:
        charts.draw_all(board, tmp_path)
    finally:
        charts.Figure.savefig = original
    assert seen["per_class_f1-topic-demo.png"].count("0") == 2  # majority's two zero bars
    assert {"0.90", "0.80"} <= set(seen["per_class_f1-topic-demo.png"])
    assert seen["macro_f1.png"] == ["0.90", "0"]


def test_a_view_written_by_a_parallel_job_at_the_same_moment_is_not_an_error():
    """PostgreSQL refuses the second of two simultaneous inserts of the view tag: the
    loser reads the winner's view instead of failing its run."""
    from mlflow.exceptions import MlflowException

    from arnews.ui_views import (VIEW_TAG_PREFIX, ensure_leaderboard_view, envelope, labels_of,
                                 leaderboard_state, read_view)

    class Racing:
        def __init__(self):
            self.tags, self.calls = {}, 0

        def get_experiment(self, _):
            return SimpleNamespace(tags=dict(self.tags))

        def set_experiment_tag(self, _, key, value):
            self.calls += 1
            if self.calls == 1:  # the other job's insert lands first
                self.tags[key] = envelope(leaderboard_state(["a"]), 1, 1)
                raise MlflowException("(psycopg.errors.UniqueViolation) duplicate key value violates "
                                      'unique constraint "experiment_tag_pk"')
            self.tags[key] = value

    client = Racing()
    assert ensure_leaderboard_view(client, "1", ["a", "b"]) is True  # extended with "b" on the retry
    assert client.calls == 2
    assert labels_of(read_view(client.tags[VIEW_TAG_PREFIX + "leaderboard"])[1]) == ["a", "b"]
    bad = Racing()
    bad.set_experiment_tag = lambda *a: (_ for _ in ()).throw(MlflowException("permission denied"))
    with pytest.raises(MlflowException, match="permission denied"):
        ensure_leaderboard_view(bad, "1", ["a"])
