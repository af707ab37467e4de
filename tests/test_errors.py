"""Every user mistake is one clear line: ``error: ...`` on stderr, exit status 2, no
traceback, no run left RUNNING, nothing of the user's overwritten.

    python -m pytest tests/test_errors.py -q

The command-line cases run the real ``python train.py`` (Hydra and all); the rest call
the same code in-process, which is faster.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
import torch
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient
from transformers import BertConfig, BertForSequenceClassification

from arnews.cli import run_entry
from arnews.errors import ArnewsError
from arnews.models.loading import load_pretrained
from arnews.components import build_task
from arnews.train import train
from conftest import ROOT, compose_cfg, tracking_uri, write_jsonl

SHIPPED = ROOT / "src" / "arnews" / "encoders" / "compact_arabic_bert"
TINY = dict(vocab_size=100, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
            intermediate_size=64)


# ---- helpers ----------------------------------------------------------------------------
def _cli(tmp_path: Path, *overrides: str, timeout: int = 300) -> subprocess.CompletedProcess:
    """``python train.py`` with its own MLflow store and run folder under ``tmp_path``."""
    flags = [o for o in overrides if o.startswith("-")]  # argparse wants -m before overrides
    args = [sys.executable, str(ROOT / "train.py"), *flags, f"hydra.run.dir={tmp_path / 'run'}",
            f"tracking.uri=sqlite:///{tmp_path / 'mlflow.db'}",
            *[o for o in overrides if not o.startswith("-")]]
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, cwd=tmp_path,
                          env={**_env(), "ARNEWS_CACHE_DIR": str(tmp_path / "cache")})


def _env() -> dict:
    env = {k: v for k, v in os.environ.items() if k != "ARNEWS_PARENT_RUN_ID"}
    return {**env, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}


def _one_error_line(stderr: str, *needles: str) -> str:
    """The single ``error:`` line, which is the last line, holds every needle; no traceback."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error:")]
    assert len(errors) == 1 and lines[-1] == errors[0], stderr[-2000:]
    assert "Traceback" not in stderr and "Error in call to target" not in stderr
    for needle in needles:
        assert needle in errors[0], (needle, errors[0])
    return errors[0]


def _statuses(db: Path) -> list[str]:
    """Statuses of every run in the store (none if the store was never created)."""
    if not db.exists():
        return []
    client = MlflowClient(f"sqlite:///{db}")
    ids = [e.experiment_id for e in client.search_experiments()]
    return [r.info.status for r in client.search_runs(ids)] if ids else []


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# ---- data mistakes (inside Hydra's instantiate) -------------------------------------------
def _malformed(d):
    with open(d / "train.jsonl", "a", encoding="utf-8") as fh:
        fh.write('{"id": "x", "text": \n')
    return [f"{d}/train.jsonl:61", "not valid JSON"]


def _no_test(d):
    (d / "test.jsonl").unlink()
    return [str(d), "missing test.jsonl"]


def _empty(d):
    (d / "dev.jsonl").write_text("")
    return [f"{d}/dev.jsonl", "holds no rows"]


def _cp1256(d):
    rows = _rows(d / "train.jsonl")
    (d / "train.jsonl").write_bytes(b"".join(
        (json.dumps(r, ensure_ascii=False) + "\n").encode("cp1256", errors="replace") for r in rows))
    return [f"{d}/train.jsonl:1", "not UTF-8", "iconv -f cp1256 -t utf-8"]


def _duplicate_id(d):
    rows = _rows(d / "train.jsonl")
    rows[2]["id"] = rows[0]["id"]
    write_jsonl(d / "train.jsonl", rows)
    return [f"{d}/train.jsonl:3", repr(rows[0]["id"]), f"{d}/train.jsonl:1"]


@pytest.mark.slow
@pytest.mark.parametrize("breaks", [_malformed, _no_test, _empty, _cp1256, _duplicate_id])
def test_bad_data_is_one_line_naming_file_and_line(tmp_path, tiny_topic_dir, breaks):
    data = _copy(tiny_topic_dir, tmp_path / "data")
    needles = breaks(data)
    before = {p.name: p.read_bytes() for p in data.iterdir()}
    out = _cli(tmp_path, "model=majority", "data=jsonl", f"data.path={data}")
    assert out.returncode == 2
    _one_error_line(out.stderr, *needles)
    assert _statuses(tmp_path / "mlflow.db") == []  # data is checked before a run opens
    assert {p.name: p.read_bytes() for p in data.iterdir()} == before


@pytest.mark.slow
def test_test_articles_copied_from_train_are_refused_unless_allowed(tmp_path, tiny_topic_dir):
    data = _copy(tiny_topic_dir, tmp_path / "data")
    train_rows, test_rows = _rows(data / "train.jsonl"), _rows(data / "test.jsonl")
    test_rows[0] = {**train_rows[0], "id": "copied-from-train"}  # the same article, another id
    write_jsonl(data / "test.jsonl", test_rows)
    refused = _cli(tmp_path, "model=majority", "data=jsonl", f"data.path={data}")
    assert refused.returncode == 2
    _one_error_line(refused.stderr, "1 test article(s) also appear in train", "data.leakage.allow=true")
    assert _statuses(tmp_path / "mlflow.db") == []  # refused before a run opens
    allowed = _cli(tmp_path, "model=majority", "data=jsonl", f"data.path={data}", "data.leakage.allow=true")
    assert allowed.returncode == 0, allowed.stderr[-2000:]
    assert "training anyway because data.leakage.allow=true" in allowed.stdout + allowed.stderr
    [run] = MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}").search_runs(["1"])
    assert run.info.status == "FINISHED" and run.data.tags["leakage_test_in_train"] == "1"
    assert run.data.metrics["leakage/train_test_exact"] == 1


@pytest.mark.slow
def test_unlabelled_pretraining_text_is_refused_by_train(tmp_path):
    out = _cli(tmp_path, "data=saudinewsnet", f"data.path={tmp_path}")
    assert out.returncode == 2
    _one_error_line(out.stderr, "data=saudinewsnet is unlabelled", "python pretrain.py corpus=saudinewsnet")


def test_a_csv_table_not_in_utf8_names_the_line(tmp_path):
    from arnews.data.readers.table import read_table

    (tmp_path / "train.csv").write_bytes("id,text,topic\n1,خبر عاجل,economy\n".encode("cp1256"))
    with pytest.raises(ArnewsError, match=r"train\.csv:2: not UTF-8 text.*iconv -f cp1256"):
        read_table(str(tmp_path), test=None, dev=None)


@pytest.mark.slow
def test_missing_data_folder(tmp_path):
    out = _cli(tmp_path, "model=majority", "data=jsonl", f"data.path={tmp_path / 'nope'}")
    assert out.returncode == 2
    _one_error_line(out.stderr, f"data.path={tmp_path / 'nope'}", "no such folder")


@pytest.mark.slow
def test_topic_file_given_to_the_stance_task(tmp_path, tiny_topic_dir):
    out = _cli(tmp_path, "model=majority", "task=stance", "data=jsonl", f"data.path={tiny_topic_dir}")
    assert out.returncode == 2
    _one_error_line(out.stderr, "train.jsonl:1", "'stance'", "task=topic")


@pytest.mark.slow
def test_stance_file_given_to_the_topic_task(tiny_stance_dir):
    from arnews.data.jsonl import read_jsonl_dir

    task = build_task(compose_cfg("train", ["task=topic"]).task)
    with pytest.raises(ArnewsError, match=r"train\.jsonl:1: no 'topics' or 'topic' field.*task=stance"):
        task.setup(read_jsonl_dir(tiny_stance_dir))


# ---- settings and services --------------------------------------------------------------
@pytest.mark.slow
def test_bad_sklearn_parameter_names_the_key_and_fails_the_run(tmp_path, tiny_topic_dir):
    out = _cli(tmp_path, "model=tfidf_logreg", "model.pipeline.C=abc", "data=jsonl",
               f"data.path={tiny_topic_dir}")
    assert out.returncode == 2
    _one_error_line(out.stderr, "model.pipeline.C=abc", "LogisticRegression", "fix the override")
    assert _statuses(tmp_path / "mlflow.db") == ["FAILED"]


@pytest.mark.slow
def test_missing_local_checkpoint_is_not_blamed_on_the_hub(tmp_path, tiny_topic_dir):
    out = _cli(tmp_path, "model=compact_bert", "model.pretrained=/no/such/folder", "data=jsonl",
               f"data.path={tiny_topic_dir}")
    assert out.returncode == 2
    line = _one_error_line(out.stderr, "model.pretrained=/no/such/folder", "no such folder")
    assert "hub may be unreachable" not in line
    assert _statuses(tmp_path / "mlflow.db") == ["FAILED"]


@pytest.mark.slow
@pytest.mark.parametrize("sweep", [(), ("-m", "seed=1,2")], ids=["run", "sweep"])
def test_unreachable_tracking_server_fails_in_seconds(tmp_path, tiny_topic_dir, sweep):
    started = time.monotonic()
    out = _cli(tmp_path, *sweep, "model=majority", "data=jsonl", f"data.path={tiny_topic_dir}",
               "tracking.uri=http://127.0.0.1:9", f"hydra.sweep.dir={tmp_path / 'multirun'}")
    assert out.returncode == 2
    _one_error_line(out.stderr, "tracking.uri=http://127.0.0.1:9", "mlflow server",
                    "sqlite:///mlflow.db")
    assert time.monotonic() - started < 120  # MLflow's own retries take minutes


@pytest.mark.slow
def test_config_mistakes_keep_hydras_own_message(tmp_path):
    out = _cli(tmp_path, "model=no_such_model")
    assert out.returncode == 1
    assert "no_such_model" in out.stderr
    assert not any(line.startswith("error:") for line in out.stderr.splitlines())


@pytest.mark.parametrize("override, needles", [
    ("model.training.learning_rate=abc", ["model.training.learning_rate='abc'", "number"]),
    ("model.training.num_train_epochs=-1", ["model.training.num_train_epochs=-1", "above 0"]),
    ("model.training.lr_scheduler_type=sideways", ["model.training.lr_scheduler_type", "sideways"]),
])
@pytest.mark.slow
def test_bad_training_argument_names_the_key(workdir, tiny_topic_dir, capsys, override, needles):
    cfg = compose_cfg("train", ["data=jsonl", f"data.path={tiny_topic_dir}", "model=compact_bert",
                                f"tracking.uri={tracking_uri(workdir)}", override])
    with pytest.raises(SystemExit) as exit_:
        run_entry(train, cfg)
    assert exit_.value.code == 2
    _one_error_line(capsys.readouterr().err, *needles)
    assert _statuses(workdir / "mlflow.db") == ["FAILED"]


# ---- loading safety ----------------------------------------------------------------------
def _tiny_checkpoint(folder: Path, pickled: bool = False) -> Path:
    """A tiny BERT classifier with the shipped encoder's tokenizer files; ``pickled``
    writes its weights as ``pytorch_model.bin`` only, as old checkpoints have them."""
    torch.manual_seed(0)
    model = BertForSequenceClassification(BertConfig(**TINY))
    if pickled:
        folder.mkdir(parents=True)
        model.config.save_pretrained(folder)
        torch.save(model.state_dict(), folder / "pytorch_model.bin")
    else:
        model.save_pretrained(folder)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(SHIPPED / name, folder / name)
    return folder


@pytest.mark.slow
def test_pickled_weights_are_refused_before_any_unpickling(workdir, tiny_topic_dir, capsys,
                                                           monkeypatch):
    folder = _tiny_checkpoint(workdir / "pickled", pickled=True)

    def no_unpickling(*args, **kwargs):
        raise AssertionError("torch.load was called on a checkpoint")

    monkeypatch.setattr(torch, "load", no_unpickling)
    cfg = compose_cfg("train", ["data=jsonl", f"data.path={tiny_topic_dir}", "model=compact_bert",
                                f"model.pretrained={folder}", f"tracking.uri={tracking_uri(workdir)}"])
    with pytest.raises(SystemExit):
        run_entry(train, cfg)
    _one_error_line(capsys.readouterr().err, f"model.pretrained={folder}", "no model.safetensors",
                    "safetensors only")
    # the same refusal where a folder reaches from_pretrained directly (a hub download)
    with pytest.raises(ArnewsError, match="safetensors only"):
        load_pretrained(str(folder), num_labels=2)


@pytest.mark.parametrize("model_type", ["bert", "evil_bert"])
def test_code_shipped_with_a_checkpoint_never_runs(tmp_path, model_type):
    folder = _tiny_checkpoint(tmp_path / "custom")
    marker = tmp_path / "code_ran"
    (folder / "evil.py").write_text(f"open({str(marker)!r}, 'w').write('ran')\n"
                                    "from transformers import BertConfig as EvilConfig\n"
                                    "from transformers import BertForSequenceClassification as Evil\n")
    config = json.loads((folder / "config.json").read_text())
    config.update(model_type=model_type, auto_map={
        "AutoConfig": "evil.EvilConfig", "AutoModelForSequenceClassification": "evil.Evil"})
    (folder / "config.json").write_text(json.dumps(config))
    if model_type == "bert":  # a known architecture: the library's own class is used
        _, model = load_pretrained(str(folder), num_labels=2)
        assert type(model) is BertForSequenceClassification
    else:  # only the checkpoint's code could build it: refused in one line
        with pytest.raises(ArnewsError, match="cannot load model"):
            load_pretrained(str(folder), num_labels=2)
    assert not marker.exists()


# ---- serving input -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def served(tmp_path_factory, tiny_topic_dir):
    """A logged tfidf_logreg topic model, loaded back as MLflow serves it."""
    folder = tmp_path_factory.mktemp("served")
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    cfg = compose_cfg("train", ["data=jsonl", f"data.path={tiny_topic_dir}", "model=tfidf_logreg",
                                f"tracking.uri={uri}"])
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(folder)
        mp.delenv("ARNEWS_PARENT_RUN_ID", raising=False)
        train(cfg)
        client = MlflowClient(uri)
        run = client.search_runs([client.get_experiment_by_name(cfg.tracking.experiment).experiment_id])[0]
        mlflow.set_tracking_uri(uri)
        return mlflow.pyfunc.load_model(run.data.tags["model_uri"])


TEXT = "اخترق قراصنة أنظمة وزارة المالية وسرقوا بيانات آلاف الموظفين"


@pytest.mark.parametrize("frame, needles", [
    (pd.DataFrame({"title": ["t"]}), ["missing inputs ['text']"]),  # MLflow's schema check
    (pd.DataFrame({"text": [TEXT, None]}), ["'text', row 1", "missing or empty"]),
    (pd.DataFrame({"text": [TEXT, np.nan]}), ["'text', row 1", "missing or empty"]),
    (pd.DataFrame({"text": [TEXT, "  \n"]}), ["'text', row 1", "missing or empty"]),
    (pd.DataFrame({"text": [TEXT, 5]}, dtype=object), ["'text', row 1", "5 is not text"]),
    (pd.DataFrame({"text": [TEXT, TEXT], "title": ["t", 7]}, dtype=object), ["'title', row 1"]),
])
@pytest.mark.slow
def test_serving_rejects_bad_input_naming_column_and_row(served, frame, needles):
    with pytest.raises(MlflowException) as err:
        served.predict(frame)
    assert err.value.error_code == "INVALID_PARAMETER_VALUE"  # HTTP 400 from mlflow models serve
    for needle in needles:
        assert needle in err.value.message


@pytest.mark.parametrize("frame, needles", [
    (pd.DataFrame({"title": ["t"]}), ["lacks column 'text'", "reads columns title, text"]),
    (pd.DataFrame({"body": [TEXT]}), ["lacks column 'text'"]),
])
@pytest.mark.slow
def test_the_model_names_a_missing_column_itself(served, frame, needles):
    """Below MLflow's schema check (a caller of the Python model, or a model logged without
    a signature), the pyfunc's own check names the column it needs."""
    with pytest.raises(MlflowException) as err:
        served.unwrap_python_model().predict(None, frame)
    assert err.value.error_code == "INVALID_PARAMETER_VALUE"
    for needle in needles:
        assert needle in err.value.message


@pytest.mark.slow
def test_serving_accepts_a_missing_title(served):
    out = served.predict(pd.DataFrame({"text": [TEXT, TEXT], "title": [None, "عنوان"]}))
    assert len(out) == 2
