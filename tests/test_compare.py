"""The comparison report: statistics with known values, the grouping rule, and an
end-to-end run of the CLI on fake training runs logged to a throwaway MLflow store."""
from __future__ import annotations

import doctest
import math
import runpy
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from mlflow.entities import Metric, Param
from mlflow.tracking import MlflowClient

import arnews.compare.charts as charts_mod
import arnews.compare.groups as groups_mod
import arnews.compare.selection as selection_mod
import arnews.compare.stats as stats_mod
from arnews.compare.cli import build_parser, main
from arnews.compare.groups import group_runs
from arnews.compare.leaderboard import build
from arnews.compare.selection import RunRecord, read_predictions
from arnews.compare.stats import (bootstrap_macro_f1, bootstrap_tables, encode, labels_of, macro_f1,
                                  mean_std, table_macro_f1)
from arnews.tasks.metrics import compute_metrics

ROOT = Path(__file__).resolve().parents[1]


# --------------------------------------------------------------------------- statistics

def test_single_label_macro_f1_by_hand():
    # a: P=1, R=1/2 → F1=2/3;  b: P=2/3, R=1 → F1=4/5;  macro = (2/3 + 4/5) / 2 = 11/15
    t = pd.DataFrame({"id": [1, 2, 3, 4], "gold": ["a", "a", "b", "b"], "predicted": ["a", "b", "b", "b"]})
    assert table_macro_f1(t) == pytest.approx(11 / 15)


def test_multi_label_macro_f1_by_hand_survives_csv_round_trip(tmp_path):
    # a: TP=2 FP=0 FN=0 → 1;  b: TP=1 FP=1 FN=1 → 1/2;  c (score column only): 0;  macro = 1.5/3
    t = pd.DataFrame({"id": ["01", "02", "03", "04"], "gold": ["a|b", "a", "", "b"],
                      "predicted": ["a", "a", "b", "b"], "score_a": .5, "score_b": .5, "score_c": .1})
    t.to_csv(tmp_path / "test.csv", index=False)
    back = read_predictions(tmp_path / "test.csv")
    assert list(back["gold"]) == ["a|b", "a", "", "b"] and list(back["id"]) == ["01", "02", "03", "04"]
    assert labels_of(back, True) == ["a", "b", "c"]
    assert table_macro_f1(back, multi_label=True) == pytest.approx(0.5)


@pytest.mark.parametrize("multi", [False, True])
def test_macro_f1_equals_the_metric_training_logs(multi):
    rng = np.random.default_rng(3)
    labels = ["x", "y", "z", "never"]  # "never" is neither gold nor predicted: counts as 0, as in training
    if multi:
        y, p = rng.integers(0, 2, (40, 4)), rng.integers(0, 2, (40, 4))
        y[:, 3] = p[:, 3] = 0
        cell = lambda row: "|".join(lab for lab, on in zip(labels, row) if on)  # noqa: E731
        frame = pd.DataFrame({"gold": [cell(r) for r in y], "predicted": [cell(r) for r in p]})
    else:
        y, p = rng.integers(0, 3, 40), rng.integers(0, 3, 40)
        frame = pd.DataFrame({"gold": [labels[i] for i in y], "predicted": [labels[i] for i in p]})
    for lab in labels:
        frame[f"score_{lab}"] = 0.0
    logged = compute_metrics(y, p, labels, multi, prefix="test/")["test/macro_f1"]
    assert table_macro_f1(frame, multi_label=multi) == pytest.approx(logged)


@pytest.mark.parametrize("multi", [False, True])
def test_perfect_predictions_give_a_degenerate_ci(multi):
    gold = ["a|b", "b", "a"] * 20 if multi else ["a", "b", "c"] * 20
    t = pd.DataFrame({"id": range(60), "gold": gold, "predicted": gold})
    ci = bootstrap_tables([t, t, t], multi_label=multi, n_resamples=300, seed=1)
    assert (ci.point, ci.low, ci.high, ci.paired) == (1.0, 1.0, 1.0, True)


@pytest.mark.parametrize("multi", [False, True])
def test_batched_bootstrap_equals_one_f1_score_per_resample(multi):
    # The batched scorer must give exactly what scoring each resample separately gives.
    rng = np.random.default_rng(7)
    shape = (50, 3) if multi else 50
    pairs = [(rng.integers(0, 2 if multi else 3, shape), rng.integers(0, 2 if multi else 3, shape))
             for _ in range(2)]
    pairs = [(pairs[0][0], pairs[0][1]), (pairs[0][0], pairs[1][1])]  # two seeds, one gold
    got = bootstrap_macro_f1(pairs, 3, multi, n_resamples=100, seed=11, batch=100)
    idx = np.random.default_rng(11).integers(0, 50, size=(100, 50))
    stats = [np.mean([macro_f1(t[i], p[i], 3, multi) for t, p in pairs]) for i in idx]
    assert (got.low, got.high) == pytest.approx(tuple(np.percentile(stats, [2.5, 97.5])))
    assert got.point == pytest.approx(np.mean([macro_f1(t, p, 3, multi) for t, p in pairs]))
    assert got.low < got.point < got.high


def test_ci_narrows_with_a_larger_test_set_and_is_reproducible():
    t = pd.DataFrame({"id": range(8), "gold": list("aabbaabb"), "predicted": list("abbbaaba")})
    big = pd.concat([t] * 25, ignore_index=True).assign(id=range(200))
    small_ci, big_ci = bootstrap_tables([t], n_resamples=500), bootstrap_tables([big], n_resamples=500)
    assert big_ci.high - big_ci.low < small_ci.high - small_ci.low
    assert bootstrap_tables([t], n_resamples=500) == small_ci  # fixed seed → same interval


def test_seeds_on_different_test_sets_fall_back_to_unpaired():
    a = pd.DataFrame({"id": ["1", "2", "3", "4"], "gold": list("abab"), "predicted": list("abba")})
    b = a.assign(id=["1", "2", "3", "9"])
    assert bootstrap_tables([a, b], n_resamples=50).paired is False
    shuffled = a.iloc[[2, 0, 3, 1]]
    assert bootstrap_tables([a, shuffled], n_resamples=50).paired is True


def test_encode_keeps_label_order_of_score_columns():
    t = pd.DataFrame({"gold": ["b", "a"], "predicted": ["a", "a"], "score_b": 0., "score_a": 0.})
    labels = labels_of(t)
    assert labels == ["b", "a"]
    assert [list(v) for v in encode(t, labels, False)] == [[0, 1], [1, 1]]


def test_mean_std_of_known_values():
    mean, std = mean_std([0.5, 0.7, 0.9])
    assert (mean, std) == (pytest.approx(0.7), pytest.approx(0.2))  # sample std, ddof=1
    assert mean_std([0.8])[0] == 0.8 and math.isnan(mean_std([0.8])[1])


def test_docstring_examples_run():
    # --doctest-modules only collects tests/, so the modules' examples are run here.
    for module in (stats_mod, groups_mod, selection_mod, charts_mod):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0, module.__name__


# --------------------------------------------------------------------------- grouping

def _record(run_id, seed, model="tfidf_logreg", **params):
    base = {"task.name": "topic", "data.name": "demo", "model.name": model, "seed": str(seed),
            "tracking.run_name": f"{model}-seed{seed}", "tracking.experiment": "arnews-topic-demo"}
    return RunRecord(run_id, "", "1", {**base, **params},
                     {}, {"dev/macro_f1": 0.5, "test/macro_f1": 0.5})


def test_runs_differing_only_in_seed_form_one_group():
    groups = group_runs([_record(f"r{s}", s, **{"model.C": "10"}) for s in (1, 2, 3)])
    assert [(g.label, len(g.runs), g.seeds) for g in groups] == [("tfidf_logreg", 3, ["1", "2", "3"])]


def test_a_varying_param_splits_but_other_models_params_do_not():
    runs = [_record(f"t{s}", s) for s in (1, 2)]
    runs += [_record(f"b{s}{lr}", s, "compact_bert", **{"model.lr": lr, "model.compact.hidden": "32"})
             for s in (1, 2) for lr in ("1e-3", "5e-4")]
    labels = {g.label: len(g.runs) for g in group_runs(runs)}
    assert labels == {"compact_bert (model.lr=1e-3)": 2, "compact_bert (model.lr=5e-4)": 2, "tfidf_logreg": 2}
    assert len(group_runs(runs, ignore=("model.lr",))) == 2


def test_leaderboard_row_without_predictions():
    runs = [_record(f"r{s}", s) for s in (1, 2, 3)]
    for run, dev, test in zip(runs, (0.6, 0.8, 0.7), (0.5, 0.7, 0.9)):
        run.metrics.update({"dev/macro_f1": dev, "test/macro_f1": test})
    row = build(group_runs(runs), {}, n_resamples=10).iloc[0]
    assert row["test_macro_f1_mean"] == pytest.approx(0.7) and row["test_macro_f1_std"] == pytest.approx(0.2)
    assert row["best_run_id"] == "r2"  # best dev (0.8), though r3 has the best test score
    assert math.isnan(row["test_macro_f1_ci_low"]) and row["ci_runs"] == 0


# --------------------------------------------------------------------------- command line

def test_every_option_has_help():
    actions = [a for a in build_parser()._actions if a.option_strings and a.dest != "help"]
    assert len(actions) >= 10
    assert all(a.help and a.help.strip() for a in actions), [a.dest for a in actions if not a.help]


@pytest.mark.parametrize("entry", ["script", "module"])
def test_help_of_both_entry_points(entry, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["compare", "--help"])
    with pytest.raises(SystemExit) as exc:
        if entry == "script":
            runpy.run_path(str(ROOT / "compare.py"), run_name="__main__")
        else:
            runpy.run_module("arnews.compare", run_name="__main__", alter_sys=False)
    assert exc.value.code == 0
    assert "--parent" in capsys.readouterr().out


# --------------------------------------------------------------------------- end to end

LABELS = ["cybersecurity", "arms_control", "regional_conflicts"]
GOLD = ["cybersecurity", "arms_control|regional_conflicts", "", "regional_conflicts", "arms_control"] * 6


def _predictions(wrong: int) -> pd.DataFrame:
    """The test table training logs: ``wrong`` rows predict nothing, the rest are right."""
    predicted = [""] * wrong + GOLD[wrong:]
    frame = pd.DataFrame({"id": [f"doc{i:02d}" for i in range(len(GOLD))], "gold": GOLD, "predicted": predicted})
    for lab in LABELS:
        frame[f"score_{lab}"] = 0.5
    return frame


# Hand-picked logged metrics. compact_bert: dev ranks seed 2 best, test ranks seed 3 best.
PLAN = {
    "compact_bert": {"dev": [0.6, 0.8, 0.7], "test": [0.5, 0.7, 0.9], "cyber": [0.4, 0.6, 0.8],
                     "wrong": [3, 6, 9], "params": {"model.compact.hidden_size": "32"}},
    # Perfect test predictions (logged test 1.0), but a lower dev score: ranked second.
    "tfidf_logreg": {"dev": [0.55, 0.6, 0.65], "test": [1.0, 1.0, 1.0], "cyber": [1.0, 1.0, 1.0],
                     "wrong": [0, 0, 0], "params": {"model.pipeline.C": "10.0"}},
}


def _log_run(client, exp_id, tmp, model, seed, dev, test, cyber, frame, extra_params, parent,
             status="FINISHED", tags=()):
    params = {"task.name": "topic", "data.name": "demo", "model.name": model, "seed": str(seed),
              "tracking.run_name": f"{model}-seed{seed}", "tracking.uri": "sqlite:///mlflow.db", **extra_params}
    run_tags = {"task": "topic", "data": "demo", "model": model, "seed": str(seed), "multi_label": "True",
                "overrides": f"model={model} seed={seed}", **dict(tags)}
    if parent:
        run_tags["mlflow.parentRunId"] = parent
    run = client.create_run(exp_id, tags=run_tags, run_name=f"{model}-seed{seed}")
    rid = run.info.run_id
    metrics = {"dev/macro_f1": dev, "test/macro_f1": test, "test/f1_cybersecurity": cyber,
               "test/f1_arms_control": 0.5, "test/f1_regional_conflicts": 0.5, "test/micro_f1": test}
    client.log_batch(rid, metrics=[Metric(k, v, 0, 0) for k, v in metrics.items()],
                     params=[Param(k, v) for k, v in params.items()])
    path = tmp / f"{rid}" / "test.csv"
    path.parent.mkdir(parents=True)
    frame.to_csv(path, index=False)
    client.log_artifact(rid, str(path), "predictions")
    client.set_terminated(rid, status)
    return rid


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """A sweep as training logs it: a parent with 2 models × 3 seeds, plus decoys that
    must not be compared (an evaluation run, a failed run, a run outside the sweep)."""
    tmp = tmp_path_factory.mktemp("store")
    uri = f"sqlite:///{tmp / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri)
    exp_id = client.create_experiment("arnews-topic-demo", artifact_location=(tmp / "artifacts").as_uri())
    # As arnews.sweep leaves it: tagged, carrying a best child's metrics, described.
    parent = client.create_run(exp_id, run_name="sweep", tags={
        "sweep_parent": "true", "task": "topic", "data": "demo", "model": "compact_bert",
        "mlflow.note.content": "Hydra sweep: `python train.py -m seed=1,2,3`"}).info.run_id
    client.log_batch(parent, metrics=[Metric("dev/macro_f1", 0.8, 0, 0), Metric("test/macro_f1", 0.7, 0, 0)])
    client.set_terminated(parent, "FINISHED")
    ids = {}
    for model, plan in PLAN.items():
        ids[model] = [_log_run(client, exp_id, tmp, model, seed, plan["dev"][i], plan["test"][i],
                               plan["cyber"][i], _predictions(plan["wrong"][i]), plan["params"], parent)
                      for i, seed in enumerate((1, 2, 3))]
    _log_run(client, exp_id, tmp, "logged", 42, 0.99, 0.99, 0.99, _predictions(0), {}, parent,
             tags={"evaluation": "true"})
    _log_run(client, exp_id, tmp, "compact_bert", 4, 0.99, 0.99, 0.99, _predictions(0),
             PLAN["compact_bert"]["params"], parent, status="FAILED")
    _log_run(client, exp_id, tmp, "tfidf_logreg", 9, 0.99, 0.99, 0.99, _predictions(0),
             PLAN["tfidf_logreg"]["params"], None)
    return {"uri": uri, "client": client, "parent": parent, "ids": ids}


@pytest.fixture
def cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    return tmp_path


def test_end_to_end_report_from_a_sweep(store, cwd):
    assert main(["--tracking-uri", store["uri"], "--parent", store["parent"], "--n-boot", "300"]) == 0

    (out,) = list((cwd / "reports").glob("compare-*"))  # the default output folder
    board = pd.read_csv(out / "leaderboard.csv")
    assert list(board["group"]) == ["compact_bert", "tfidf_logreg"]  # ranked by dev, not test
    assert list(board["n_seeds"]) == [3, 3] and list(board["seeds"]) == ["1 2 3", "1 2 3"]
    bert, tfidf = board.iloc[0], board.iloc[1]
    assert (bert["test_macro_f1_mean"], bert["test_macro_f1_std"]) == (pytest.approx(0.7), pytest.approx(0.2))
    assert (bert["dev_macro_f1_mean"], bert["dev_macro_f1_std"]) == (pytest.approx(0.7), pytest.approx(0.1))
    assert (tfidf["test_macro_f1_mean"], tfidf["test_macro_f1_std"]) == (1.0, 0.0)
    assert bert["test_f1_cybersecurity"] == pytest.approx(0.6)  # per-class mean over seeds
    # Best run by dev (seed 2, dev 0.8), not by test (seed 3, test 0.9).
    assert bert["best_run_id"] == store["ids"]["compact_bert"][1]
    assert set(bert["run_ids"].split()) == set(store["ids"]["compact_bert"])
    # CI from the logged predictions: perfect → [1, 1]; imperfect → around the recomputed mean.
    assert (tfidf["test_macro_f1_ci_low"], tfidf["test_macro_f1_ci_high"]) == (1.0, 1.0)
    # Recomputed independently with training's own metric code on the same tables.
    expected = np.mean([compute_metrics(*encode(_predictions(w), LABELS, True), LABELS, True)["macro_f1"]
                        for w in (3, 6, 9)])
    assert bert["ci_point"] == pytest.approx(expected)
    assert bert["test_macro_f1_ci_low"] < expected < bert["test_macro_f1_ci_high"] <= 1.0
    assert bert["ci_runs"] == 3 and bool(bert["ci_paired"])

    md = (out / "leaderboard.md").read_text()
    assert "| 1 | compact_bert | 3 | 1 2 3 | 0.7000 ± 0.1000 | 0.7000 ± 0.2000 |" in md
    assert "| 2 | tfidf_logreg | 3 | 1 2 3 | 0.6000 ± 0.0500 | 1.0000 ± 0.0000 | [1.0000, 1.0000] |" in md
    assert "Model selection uses dev, never test" in md and "1 evaluation run" in md
    assert "1 sweep parent" not in md  # --parent reads children only

    pngs = sorted(p.name for p in out.glob("*.png"))
    assert pngs == ["macro_f1.png", "per_class_f1-topic-demo.png"]
    assert all((out / p).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)
    assert all(f"]({p})" in md for p in pngs)

    logged = {Path(a.path).name for a in store["client"].list_artifacts(store["parent"], "comparison")}
    assert logged == {"leaderboard.md", "leaderboard.csv", "leaderboard.html", *pngs}
    # In the MLflow UI the charts display as images: the HTML report holds them, and the
    # parent's description links them through the server's get-artifact endpoint. The UI
    # prints image links in a Markdown artifact as text, so the logged .md names them.
    page = (out / "leaderboard.html").read_text()
    assert page.count('src="data:image/png;base64,') == len(pngs)
    assert "<td>compact_bert</td>" in page and "<td>0.7000 ± 0.1000</td>" in page
    ui_md = Path(store["client"].download_artifacts(store["parent"], "comparison/leaderboard.md", str(cwd))).read_text()
    assert "![" not in ui_md and all(f"`{p}`" in ui_md for p in pngs)
    note = store["client"].get_run(store["parent"]).data.tags["mlflow.note.content"]
    for png in pngs:
        assert f"](get-artifact?path=comparison%2F{png}&run_uuid={store['parent']})" in note
    assert note.startswith("Hydra sweep: `python train.py -m seed=1,2,3`")
    assert "## Comparison report (compare.py)" in note and "| 1 | compact_bert | 3 |" in note


def test_sort_by_test_and_filters(store, cwd):
    args = ["--tracking-uri", store["uri"], "--experiment", "arnews-topic-demo", "--n-boot", "50"]
    assert main(args + ["--sort", "test", "--out", "by_test"]) == 0
    board = pd.read_csv(cwd / "by_test" / "leaderboard.csv")
    # Without --parent the run outside the sweep joins tfidf_logreg; FAILED/evaluation runs
    # never do, and neither does the sweep parent, which repeats its best child's metrics.
    assert list(board["group"]) == ["tfidf_logreg", "compact_bert"]
    assert list(board["n_seeds"]) == [4, 3]
    assert "1 sweep parent" in (cwd / "by_test" / "leaderboard.md").read_text()
    assert main(args + ["--tag", "model=compact_bert", "--out", "bert"]) == 0
    assert list(pd.read_csv(cwd / "bert" / "leaderboard.csv")["group"]) == ["compact_bert"]
    assert main(args + ["--tag", "evaluation=true", "--include-evaluations", "--out", "ev"]) == 0
    assert list(pd.read_csv(cwd / "ev" / "leaderboard.csv")["model"]) == ["logged"]


@pytest.mark.parametrize("argv, expected", [
    (["--tag", "model=nope"], ["no FINISHED runs matched", "tag model=nope", "--tracking-uri"]),
    (["--experiment", "arnews-nope"], ["no experiment named 'arnews-nope'", "arnews-topic-demo"]),
    (["--tag", "evaluation=true"], ["1 skipped as evaluation run", "--include-evaluations"]),
    (["--parent", "0" * 32], ["no run with id", "--parent"]),
    (["--log-to-parent"], ["--log-to-parent needs --parent"]),
    (["--tag", "model"], ["expected KEY=VALUE"]),
])
def test_user_errors_are_one_line_and_exit_2(store, cwd, capsys, argv, expected):
    assert main(["--tracking-uri", store["uri"], "--out", "x"] + argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err
    assert all(e in err for e in expected), err
    assert not (cwd / "x" / "leaderboard.md").exists()


def test_no_log_to_parent(store, cwd):
    client, parent = store["client"], store["parent"]
    before = [a.path for a in client.list_artifacts(parent, "comparison")]
    args = ["--tracking-uri", store["uri"], "--parent", parent, "--n-boot", "20", "--out", "quiet",
            "--no-log-to-parent"]
    assert main(args) == 0
    assert (cwd / "quiet" / "leaderboard.md").exists()
    assert [a.path for a in client.list_artifacts(parent, "comparison")] == before
