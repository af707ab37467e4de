"""``python predict.py``: a file in, the logged model's predictions out, streamed in batches.

    OMP_NUM_THREADS=1 python -m pytest tests/test_predict.py -q -p no:cacheprovider

Each test runs the real ``python predict.py`` in a subprocess against TF-IDF models
trained once per module on the tiny fixtures (seconds). The predictions must equal what
``mlflow.pyfunc.load_model(uri).predict`` gives for the same rows; every bad input must
end in one ``error:`` line naming the file and line, exit 2, and no output file.
"""
from __future__ import annotations

import csv
import gzip
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import mlflow
import pandas as pd
import pytest

from conftest import ROOT, train_on_jsonl, tracking_uri, write_jsonl

# Every test here trains, serves or runs an entry point: seconds each.
pytestmark = pytest.mark.slow


# ---- models, trained once per module ------------------------------------------------------
def _train(tmp_path_factory, data_dir: Path, *overrides: str) -> tuple[str, str]:
    """(model_uri, tracking_uri) of a TF-IDF model trained in its own store."""
    workdir = tmp_path_factory.mktemp("store")
    with pytest.MonkeyPatch.context() as mp:  # what the function-scoped `workdir` fixture does
        mp.chdir(workdir)
        mp.setenv("ARNEWS_CACHE_DIR", str(workdir / "cache"))
        mp.delenv("ARNEWS_PARENT_RUN_ID", raising=False)
        _, run, _ = train_on_jsonl(workdir, data_dir, *overrides)
    return run.data.tags["model_uri"], tracking_uri(workdir)


@pytest.fixture(scope="module")
def topic_model(tmp_path_factory, tiny_topic_dir):
    return _train(tmp_path_factory, tiny_topic_dir, "model=tfidf_logreg")


@pytest.fixture(scope="module")
def stance_model(tmp_path_factory, tiny_stance_dir):
    return _train(tmp_path_factory, tiny_stance_dir, "task=stance", "model=tfidf_pair")


# ---- helpers ----------------------------------------------------------------------------
def _predict(cwd: Path, model: tuple[str, str], *options: str) -> subprocess.CompletedProcess:
    """``python predict.py model_uri=... tracking_uri=... OPTIONS`` run in ``cwd``."""
    env = {k: v for k, v in os.environ.items() if k != "ARNEWS_PARENT_RUN_ID"}
    args = [sys.executable, str(ROOT / "predict.py"), f"model_uri={model[0]}",
            f"tracking_uri={model[1]}", *options]
    return subprocess.run(args, capture_output=True, text=True, timeout=300, cwd=cwd,
                          env={**env, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"})


def _ok(proc: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    return proc


def _one_error_line(proc: subprocess.CompletedProcess, *needles: str) -> str:
    """Exit 2 and a single ``error:`` line, the last of stderr, holding every needle."""
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-3000:])
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error:")]
    assert len(errors) == 1 and lines[-1] == errors[0], proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    for needle in needles:
        assert needle in errors[0], (needle, errors[0])
    return errors[0]


def _pyfunc(model: tuple[str, str], rows: list[dict], columns: list[str]) -> pd.DataFrame:
    """What the logged model itself predicts for ``rows``: the reference."""
    mlflow.set_tracking_uri(model[1])
    frame = pd.DataFrame([{c: r.get(c) for c in columns} for r in rows], columns=columns)
    return mlflow.pyfunc.load_model(model[0]).predict(frame)


def _read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _same_predictions(got: pd.DataFrame, want: pd.DataFrame) -> None:
    assert list(got.columns[1:]) == list(want.columns)  # id, then the model's own columns
    assert got["labels"].tolist() == want["labels"].tolist()
    pd.testing.assert_frame_equal(got[want.columns[1:]].astype(float).reset_index(drop=True),
                                  want[want.columns[1:]].reset_index(drop=True), rtol=1e-9)


def _topic_rows(tiny_topic_dir: Path) -> list[dict]:
    rows = [json.loads(line) for line in (tiny_topic_dir / "test.jsonl").read_text().splitlines()]
    return rows[::-1]  # not the order the model saw them in


# ---- predictions --------------------------------------------------------------------------
def test_jsonl_in_jsonl_out_keeps_ids_and_order_and_matches_the_logged_model(
        tmp_path, topic_model, tiny_topic_dir):
    rows = _topic_rows(tiny_topic_dir)
    del rows[3]["id"]  # a row without an id is named by its line number
    write_jsonl(tmp_path / "news.jsonl", rows)

    proc = _ok(_predict(tmp_path, topic_model, "input=news.jsonl", "output=labels.jsonl",
                        "batch_size=7"))  # 20 rows: three batches, the last one short

    out = _read_jsonl(tmp_path / "labels.jsonl")
    assert [r["id"] for r in out] == [r.get("id", 4) for r in rows]
    assert all(isinstance(r["labels"], list) for r in out)  # a multi-label topic model
    _same_predictions(pd.DataFrame(out), _pyfunc(topic_model, rows, ["title", "text"]))
    assert "20 rows" in proc.stdout
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp file left


def test_csv_in_csv_out_joins_the_labels(tmp_path, topic_model, tiny_topic_dir):
    rows = _topic_rows(tiny_topic_dir)
    with open(tmp_path / "news.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "title", "text", "source"])  # an extra column is ignored
        writer.writerows([r["id"], r["title"], r["text"], r.get("source", "")] for r in rows)

    _ok(_predict(tmp_path, topic_model, "--input", "news.csv", "--output", "labels.csv.gz"))

    with gzip.open(tmp_path / "labels.csv.gz", "rt", encoding="utf-8", newline="") as fh:
        out = pd.DataFrame(list(csv.DictReader(fh)))
    assert out["id"].tolist() == [r["id"] for r in rows]
    want = _pyfunc(topic_model, rows, ["title", "text"])
    want["labels"] = want["labels"].map("|".join)  # a CSV cell holds the labels joined by |
    _same_predictions(out, want)


def test_a_stance_model_reads_claim_and_text(tmp_path, stance_model, tiny_stance_dir):
    rows = [json.loads(line) for line in (tiny_stance_dir / "test.jsonl").read_text().splitlines()]
    write_jsonl(tmp_path / "pairs.jsonl", rows)

    _ok(_predict(tmp_path, stance_model, "input=pairs.jsonl", "output=stance.jsonl"))

    out = pd.DataFrame(_read_jsonl(tmp_path / "stance.jsonl"))
    assert out["id"].tolist() == [r["id"] for r in rows]
    assert all(isinstance(label, str) for label in out["labels"])  # one stance per pair
    _same_predictions(out, _pyfunc(stance_model, rows, ["claim", "target", "title", "text"]))


# ---- mistakes -----------------------------------------------------------------------------
GOOD = '{"id": "a", "text": "اندلعت اشتباكات على الحدود"}\n'
BAD_INPUTS = {  # name: (file, its content, what the error line must say)
    "malformed JSON": ("news.jsonl", GOOD * 2 + '{"id": "c", "text": "نص"\n',
                       ["news.jsonl:3:", "not valid JSON"]),
    "not an object": ("news.jsonl", GOOD + '["نص"]\n', ["news.jsonl:2:", "expected a JSON object"]),
    "no text field": ("news.jsonl", GOOD + "\n" + '{"id": "b", "title": "عنوان"}\n',
                      ["news.jsonl:3:", "field 'text'", "missing or empty"]),
    "text not a string": ("news.jsonl", GOOD + '{"id": "b", "text": 42}\n',
                          ["news.jsonl:2:", "field 'text'", "42 is not text"]),
    "empty CSV cell": ("news.csv", "id,text\na,نص\nb,\n", ["news.csv:3:", "column 'text'", "empty"]),
    "no text column": ("news.csv", "id,body\na,نص\n", ["news.csv:1:", "text", "the header has id, body"]),
    "unknown type": ("news.txt", "نص\n", ["input=news.txt", "unknown file type", ".jsonl"]),
}


@pytest.mark.parametrize("case", BAD_INPUTS, ids=str)
def test_bad_input_is_one_line_naming_the_file_and_line(tmp_path, topic_model, case):
    name, content, needles = BAD_INPUTS[case]
    (tmp_path / name).write_text(content, encoding="utf-8")

    proc = _predict(tmp_path, topic_model, f"input={name}", "output=out.jsonl", "batch_size=1")

    _one_error_line(proc, *needles)
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # no output, no temp file


def test_a_missing_input_or_output_folder_is_named(tmp_path, topic_model):
    _one_error_line(_predict(tmp_path, topic_model, "input=nowhere.jsonl", "output=out.jsonl"),
                    "input=nowhere.jsonl", "file not found")
    (tmp_path / "news.jsonl").write_text(GOOD, encoding="utf-8")
    _one_error_line(_predict(tmp_path, topic_model, "input=news.jsonl", "output=no/out.jsonl"),
                    "output=no/out.jsonl", "does not exist", "mkdir -p no")
    _one_error_line(_predict(tmp_path, topic_model, "input=news.jsonl", "output=out.parquet"),
                    "output=out.parquet", "unknown file type")


def test_an_existing_output_is_refused_and_left_untouched(tmp_path, topic_model):
    (tmp_path / "news.jsonl").write_text(GOOD, encoding="utf-8")
    (tmp_path / "out.jsonl").write_text("the user's own file\n", encoding="utf-8")

    _one_error_line(_predict(tmp_path, topic_model, "input=news.jsonl", "output=out.jsonl"),
                    "output=out.jsonl", "already exists", "overwrite=true")
    assert (tmp_path / "out.jsonl").read_text(encoding="utf-8") == "the user's own file\n"

    _ok(_predict(tmp_path, topic_model, "input=news.jsonl", "output=out.jsonl", "overwrite=true"))
    assert [r["id"] for r in _read_jsonl(tmp_path / "out.jsonl")] == ["a"]


def test_a_failure_after_some_batches_leaves_no_partial_output(tmp_path, topic_model):
    (tmp_path / "news.jsonl").write_text(GOOD * 30 + "{oops\n", encoding="utf-8")
    (tmp_path / "out.csv").write_text("kept\n", encoding="utf-8")

    proc = _predict(tmp_path, topic_model, "input=news.jsonl", "output=out.csv", "overwrite=true",
                    "batch_size=4", "progress=true")  # the bar is closed before the error line

    _one_error_line(proc, "news.jsonl:31:", "not valid JSON")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["news.jsonl", "out.csv"]
    assert (tmp_path / "out.csv").read_text(encoding="utf-8") == "kept\n"


def test_sigterm_mid_file_exits_130_and_leaves_no_partial_output(tmp_path, topic_model, tiny_topic_dir):
    write_jsonl(tmp_path / "news.jsonl", _topic_rows(tiny_topic_dir) * 200)  # 4,000 rows: seconds
    env = {k: v for k, v in os.environ.items() if k != "ARNEWS_PARENT_RUN_ID"}
    proc = subprocess.Popen([sys.executable, str(ROOT / "predict.py"), f"model_uri={topic_model[0]}",
                             f"tracking_uri={topic_model[1]}", "input=news.jsonl", "output=out.jsonl",
                             "batch_size=16"], cwd=tmp_path, stderr=subprocess.PIPE, text=True,
                            env={**env, "OMP_NUM_THREADS": "1"})
    deadline = time.monotonic() + 120
    while not list(tmp_path.glob(".out.jsonl.*.part")) and proc.poll() is None:  # writing began
        assert time.monotonic() < deadline, "predict.py never started writing"
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=60)

    assert proc.returncode == 130, stderr[-3000:]
    assert "interrupted" in stderr and "Traceback" not in stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["news.jsonl"]


def test_a_model_that_is_not_there_is_one_line(tmp_path, topic_model):
    (tmp_path / "news.jsonl").write_text(GOOD, encoding="utf-8")
    missing = (topic_model[0].rsplit("/", 1)[0] + "/topic-nothing", topic_model[1])
    _one_error_line(_predict(tmp_path, missing, "input=news.jsonl", "output=out.jsonl"),
                    "model_uri=", "cannot load the model")
    no_store = (topic_model[0], f"sqlite:///{tmp_path / 'none.db'}")
    _one_error_line(_predict(tmp_path, no_store, "input=news.jsonl", "output=out.jsonl"),
                    "no MLflow store")
    assert not (tmp_path / "none.db").exists()  # no empty store created on the way


def test_options_are_checked_before_anything_loads_and_help_names_them_all(tmp_path):
    no_model = ("runs:/0/m", f"sqlite:///{tmp_path / 'mlflow.db'}")
    _one_error_line(_predict(tmp_path, no_model, "input=a.jsonl", "colour=blue"), "unknown option colour=")
    _one_error_line(_predict(tmp_path, no_model, "input=a.jsonl"), "missing output=")
    _one_error_line(_predict(tmp_path, no_model, "input=a.jsonl", "output=b.jsonl", "batch_size=0"),
                    "batch_size=0")
    help_text = _ok(subprocess.run([sys.executable, str(ROOT / "predict.py"), "--help"],
                                   capture_output=True, text=True, timeout=60)).stdout
    for option in ("model_uri=", "input=", "output=", "tracking_uri=", "batch_size=", "overwrite=",
                   "progress="):
        assert option in help_text, option
