"""Tiny end-to-end runs into a temporary MLflow store: what a user sees in the UI must
really be there, and the logged model must load and predict."""
from __future__ import annotations

import json

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from arnews.errors import ArnewsError
from arnews.evaluate import evaluate
from arnews.tasks.thresholds import DecisionRule
from arnews.train import train
from conftest import TINY_BERT, compose_cfg, tracking_uri, train_on_jsonl

# Every test here trains, serves or runs an entry point: seconds each.
pytestmark = pytest.mark.slow

ARABIC = ["اخترق قراصنة أنظمة وزارة المالية وسرقوا بيانات آلاف الموظفين في هجوم فدية",
          "فاز المنتخب الوطني بكأس البطولة بعد مباراة مثيرة في العاصمة"]


_train = train_on_jsonl


def _assert_run_is_complete(run, client, labels):
    assert run.info.status == "FINISHED"
    params, metrics, tags = run.data.params, run.data.metrics, run.data.tags
    assert params["model.name"] == tags["model"] and params["seed"] == "42"
    assert tags["task"] == "topic" and tags["data"] == "jsonl" and tags["git_commit"]
    for name in ("dev/macro_f1", "test/macro_f1", "test/micro_f1", "test/subset_accuracy"):
        assert 0.0 <= metrics[name] <= 1.0, name
    for lab in labels:
        assert f"test/f1_{lab}" in metrics and f"threshold/{lab}" in metrics
    top = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert {"config.yaml", "reports", "predictions"} <= top
    reports = {a.path for a in client.list_artifacts(run.info.run_id, "reports")}
    assert "reports/test_confusion.png" in reports
    assert "reports/test_classification_report.txt" in reports
    preds = pd.read_csv(mlflow.artifacts.download_artifacts(
        run_id=run.info.run_id, artifact_path="predictions/test.csv",
        tracking_uri=client._tracking_client.tracking_uri))
    assert len(preds) == 20 and {"id", "gold", "predicted"} <= set(preds.columns)
    _assert_run_explains_itself(run, client, labels)


def _assert_run_explains_itself(run, client, labels):
    """Datasets, a named model linked to the final metrics, a description, the view."""
    model = run.data.tags["model"]
    inputs = {d.dataset.name: {t.key: t.value for t in d.tags} for d in run.inputs.dataset_inputs}
    assert {n: t["mlflow.data.context"] for n, t in inputs.items()} == {
        f"jsonl-topic-{s}": s for s in ("train", "dev", "test")}
    assert inputs["jsonl-topic-test"]["rows"] == "20"
    assert run.data.tags["model_uri"] == f"runs:/{run.info.run_id}/topic-{model}"
    (logged,) = client.search_logged_models([run.info.experiment_id],
                                            filter_string=f"source_run_id = '{run.info.run_id}'")
    assert logged.name == f"topic-{model}"
    linked = {m.key: m for m in logged.metrics}
    assert linked["test/macro_f1"].value == run.data.metrics["test/macro_f1"]
    assert linked["test/macro_f1"].dataset_name == "jsonl-topic-test"
    assert linked["dev/macro_f1"].dataset_name == "jsonl-topic-dev"
    note = run.data.tags["mlflow.note.content"]
    assert f"**{model}** on **topic** / **jsonl** (60 train, 20 dev, 20 test)" in note
    assert f"test macro-F1 **{run.data.metrics['test/macro_f1']:.4f}**" in note and "bootstrap CI" in note
    view = json.loads(client.get_experiment(run.info.experiment_id).tags["mlflow.sharedViewState.leaderboard"])
    columns = json.loads(view["state"])["selectedColumns"]
    assert view["name"] == "Leaderboard"
    assert {"metrics.`dev/macro_f1`", "tags.`model`"} | {f"metrics.`test/f1_{lab}`" for lab in labels} <= set(columns)


def _assert_model_predicts(run, workdir, labels):
    mlflow.set_tracking_uri(tracking_uri(workdir))
    model = mlflow.pyfunc.load_model(run.data.tags["model_uri"])
    out = model.predict(pd.DataFrame({"text": ARABIC}))
    assert list(out.columns) == ["labels"] + [f"score_{lab}" for lab in labels]
    assert all(isinstance(v, (list, np.ndarray)) for v in out["labels"])
    scores = out[[f"score_{lab}" for lab in labels]].to_numpy()
    assert ((scores >= 0) & (scores <= 1)).all()


@pytest.mark.slow
def test_compact_bert_end_to_end(workdir, tiny_topic_dir):
    score, run, client = _train(workdir, tiny_topic_dir, *TINY_BERT)
    labels = ["arms_control", "cybersecurity", "regional_conflicts"]
    _assert_run_is_complete(run, client, labels)
    assert score == run.data.metrics["dev/macro_f1"]
    # Per-epoch curves: one training loss and one dev score per epoch.
    history = client.get_metric_history(run.info.run_id, "train/loss")
    assert sorted(m.step for m in history) == [1, 2]
    assert len(client.get_metric_history(run.info.run_id, "dev_epoch/macro_f1")) == 2
    _assert_model_predicts(run, workdir, labels)
    # A second run reuses the compact model built from the same texts.
    assert len(list((workdir / "cache").glob("compact_bert-*"))) == 1


def test_tfidf_logreg_and_majority_log_the_same_metric_names(workdir, tiny_topic_dir, capsys):
    _, run, client = _train(workdir, tiny_topic_dir, "model=tfidf_logreg")
    labels = ["arms_control", "cybersecurity", "regional_conflicts"]
    _assert_run_is_complete(run, client, labels)
    _assert_model_predicts(run, workdir, labels)
    # The run ends with its summary: experiment, run id, metrics table and a link into the UI.
    printed = capsys.readouterr().out
    assert f"({run.info.run_id}) FINISHED in experiment arnews-topic-jsonl" in printed
    rows = [line.split() for line in printed.splitlines()]
    assert ["macro_f1", f"{run.data.metrics['dev/macro_f1']:.4f}", f"{run.data.metrics['test/macro_f1']:.4f}"] in rows
    assert (f"http://127.0.0.1:5000/#/experiments/{run.info.experiment_id}/runs/{run.info.run_id}"
            "?workflowType=machine_learning") in printed
    _, majority, _ = _train(workdir, tiny_topic_dir, "model=majority")
    names = lambda r: {k for k in r.data.metrics if k.startswith(("dev/", "test/"))}
    assert names(run) == names(majority)
    # Majority keeps thresholds at 0.5: it predicts each label's majority value.
    assert all(majority.data.metrics[f"threshold/{lab}"] == 0.5 for lab in labels)


def test_evaluate_logs_a_linked_run(workdir, tiny_topic_dir):
    _, run, client = _train(workdir, tiny_topic_dir, "model=tfidf_logreg", "tracking.register=arnews-topic")
    # Opt-in registration: the run's model is version 1 of the registered model.
    (version,) = client.search_model_versions("name = 'arnews-topic'")
    assert version.run_id == run.info.run_id and str(version.version) == "1"
    # The model is named topic-tfidf_logreg; the older runs:/<id>/model still evaluates.
    cfg = compose_cfg("evaluate", [f"model_uri=runs:/{run.info.run_id}/model", "data=jsonl",
                                   f"data.path={tiny_topic_dir}", f"tracking.uri={tracking_uri(workdir)}"])
    score = evaluate(cfg)
    exp = client.get_experiment_by_name(cfg.tracking.experiment)
    evals = client.search_runs([exp.experiment_id], "tags.evaluation = 'true'")
    assert len(evals) == 1 and evals[0].data.tags["source_run_id"] == run.info.run_id
    # Same model, same test split: evaluate.py must reproduce the training run's score.
    assert score == pytest.approx(run.data.metrics["test/macro_f1"])
    assert evals[0].info.status == "FINISHED"


def test_thresholds_are_chosen_on_dev_only(workdir, tiny_topic_dir, monkeypatch):
    seen = []
    original = DecisionRule.fit

    def spy(self, scores, targets):
        seen.append(len(scores))
        return original(self, scores, targets)

    monkeypatch.setattr(DecisionRule, "fit", spy)
    _train(workdir, tiny_topic_dir, "model=tfidf_logreg")
    assert seen == [20]  # the dev split (20 rows); never test, never train+dev


def test_failure_marks_the_run_failed(workdir, tiny_topic_dir, monkeypatch):
    from arnews.models.sklearn_models import SklearnClassifier

    def boom(*args, **kwargs):
        raise RuntimeError("simulated crash during fit")

    monkeypatch.setattr(SklearnClassifier, "fit", boom)
    with pytest.raises(RuntimeError):
        _train(workdir, tiny_topic_dir, "model=tfidf_logreg")
    client = MlflowClient(tracking_uri(workdir))
    runs = client.search_runs([client.get_experiment_by_name("arnews-topic-jsonl").experiment_id])
    assert [r.info.status for r in runs] == ["FAILED"]


def test_unreachable_hub_model_fails_with_one_clear_line(workdir, tiny_topic_dir, monkeypatch):
    import huggingface_hub.constants

    # The offline switch is read at import time, so flip the constant itself: the
    # hub is unreachable here anyway, this only skips the connection retries.
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(ArnewsError) as err:
        _train(workdir, tiny_topic_dir, "model=arabert_v02")
    msg = str(err.value)
    assert "aubmindlab/bert-base-arabertv02" in msg and "model=compact_bert" in msg
    assert "\n" not in msg
    client = MlflowClient(tracking_uri(workdir))
    runs = client.search_runs([client.get_experiment_by_name("arnews-topic-jsonl").experiment_id])
    assert [r.info.status for r in runs] == ["FAILED"]


def test_artifacts_stay_beside_the_sqlite_store(workdir, tiny_topic_dir):
    store = workdir / "store"
    store.mkdir()
    cfg = compose_cfg("train", ["data=jsonl", f"data.path={tiny_topic_dir}", "model=majority",
                                f"tracking.uri=sqlite:///{store / 'runs.db'}", "tracking.log_model=false"])
    train(cfg)
    assert not (workdir / "mlruns").exists()  # nothing scattered into the working folder
    assert list((store / "mlruns").rglob("config.yaml"))
