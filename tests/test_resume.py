"""Interrupt and resume: a KILLED run keeps its epoch checkpoint and ``resume=<run_id>``
finishes it in the same MLflow run, with the result of an uninterrupted run."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from arnews.errors import ArnewsError
from arnews.models import transformer_training as transformer
from arnews.resume import CHECKPOINT_TAG, last_checkpoint
from arnews.train import train
from conftest import ROOT, TINY_BERT, compose_cfg, tracking_uri

# Every test here trains, serves or runs an entry point: seconds each.
pytestmark = pytest.mark.slow

EPOCHS = 4


def _overrides(workdir, data_dir, *extra):
    return [*TINY_BERT, "data=jsonl", f"data.path={data_dir}", f"tracking.uri={tracking_uri(workdir)}",
            f"model.training.num_train_epochs={EPOCHS}", "model.early_stopping_patience=10", *extra]


def _runs(workdir):
    client = MlflowClient(tracking_uri(workdir))
    exp = client.get_experiment_by_name("arnews-topic-jsonl")
    return client, client.search_runs([exp.experiment_id], order_by=["attributes.start_time ASC"])


def _predictions(client, run_id, tmp):
    return Path(client.download_artifacts(run_id, "predictions/test.csv", str(tmp))).read_text()


def _stop_after_epoch(monkeypatch, epoch: int):
    """Ctrl-C right after the checkpoint of ``epoch`` is written (as a user would, late)."""
    def on_save(self, args, state, control, **kwargs):
        if state.epoch >= epoch:
            raise KeyboardInterrupt

    monkeypatch.setattr(transformer._EpochMetricsToTracker, "on_save", on_save)


@pytest.mark.slow
def test_an_interrupted_run_resumes_to_the_uninterrupted_result(workdir, tiny_topic_dir, monkeypatch, tmp_path):
    overrides = _overrides(workdir, tiny_topic_dir)
    train(compose_cfg("train", overrides))
    client, (reference,) = _runs(workdir)

    with monkeypatch.context() as patch:
        _stop_after_epoch(patch, 2)
        with pytest.raises(KeyboardInterrupt):
            train(compose_cfg("train", overrides))
    _, runs = _runs(workdir)
    killed = runs[-1]
    assert killed.info.status == "KILLED"
    folder = Path(killed.data.tags[CHECKPOINT_TAG])
    assert folder.is_dir() and [p.name for p in folder.glob("checkpoint-*")]
    # A kill while saving leaves a newer folder without trainer_state.json: resuming
    # must continue from the last finished checkpoint and still match the reference.
    (folder / "checkpoint-99999").mkdir()
    (folder / "checkpoint-99999" / "model.safetensors").write_bytes(b"")

    train(compose_cfg("train", [f"tracking.uri={tracking_uri(workdir)}", f"resume={killed.info.run_id}"]))
    _, runs = _runs(workdir)
    assert len(runs) == 2, "resuming must reopen the run, not start another"
    resumed = client.get_run(killed.info.run_id)
    assert resumed.info.status == "FINISHED"
    assert resumed.data.tags["resumed"] == "true"
    # Each epoch logged once, across the two processes.
    for name in ("train/loss", "dev_epoch/loss"):
        steps = sorted(m.step for m in client.get_metric_history(resumed.info.run_id, name))
        assert steps == list(range(1, EPOCHS + 1)), name
    # The same numbers as the run that was never stopped, and its checkpoints are gone.
    for name in ("dev/macro_f1", "test/macro_f1", "test/micro_f1"):
        assert resumed.data.metrics[name] == reference.data.metrics[name], name
    assert _predictions(client, resumed.info.run_id, tmp_path / "a") == \
        _predictions(client, reference.info.run_id, tmp_path / "b")
    assert not folder.exists()


def test_resume_refuses_a_finished_run_and_an_unknown_id(workdir, tiny_topic_dir):
    train(compose_cfg("train", ["model=tfidf_logreg", "data=jsonl", f"data.path={tiny_topic_dir}",
                                f"tracking.uri={tracking_uri(workdir)}"]))
    _, (run,) = _runs(workdir)
    uri = f"tracking.uri={tracking_uri(workdir)}"
    with pytest.raises(ArnewsError, match="already FINISHED"):
        train(compose_cfg("train", [uri, f"resume={run.info.run_id}"]))
    with pytest.raises(ArnewsError, match="no such run"):
        train(compose_cfg("train", [uri, "resume=0123456789abcdef0123456789abcdef"]))


@pytest.mark.slow
def test_sigterm_ends_the_run_killed_and_resume_finishes_it(workdir, tiny_topic_dir):
    """The real thing, in processes: SIGTERM after the first checkpoint, then resume."""
    env = {k: v for k, v in os.environ.items() if k not in ("ARNEWS_PARENT_RUN_ID", "PYTEST_CURRENT_TEST")}
    env.update(ARNEWS_CACHE_DIR=str(workdir / "cache"), MLFLOW_DISABLE_TELEMETRY="true", OMP_NUM_THREADS="1")
    command = [sys.executable, str(ROOT / "train.py"), f"hydra.run.dir={workdir / 'run'}",
               *_overrides(workdir, tiny_topic_dir, "model.training.num_train_epochs=40",
                           "model.early_stopping_patience=100")]
    proc = subprocess.Popen(command, cwd=workdir, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while not list((workdir / "run" / "checkpoints").glob("checkpoint-*/trainer_state.json")):
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err[-2000:]
    last = err.strip().splitlines()[-1]
    _, (run,) = _runs(workdir)
    assert run.info.status == "KILLED"
    assert last.startswith("interrupted: ") and f"resume={run.info.run_id}" in last, last

    done = subprocess.run([sys.executable, str(ROOT / "train.py"), f"resume={run.info.run_id}",
                           f"tracking.uri={tracking_uri(workdir)}", f"hydra.run.dir={workdir / 'run2'}"],
                          cwd=workdir, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    client, (run,) = _runs(workdir)
    assert run.info.status == "FINISHED"
    steps = [m.step for m in client.get_metric_history(run.info.run_id, "dev_epoch/loss")]
    assert sorted(steps) == sorted(set(steps)), "an epoch was logged twice"


def test_resume_skips_a_checkpoint_the_interruption_cut_short(tmp_path):
    """A run killed while saving leaves its newest checkpoint folder without
    trainer_state.json; resuming must take the newest complete one, not that folder."""
    from transformers.trainer import TRAINER_STATE_NAME
    from transformers.trainer_utils import PREFIX_CHECKPOINT_DIR

    from arnews.models import checkpoints

    # the spelled-out names still match the Trainer's
    assert (checkpoints.STATE_FILE, checkpoints.CHECKPOINT_PREFIX) == (TRAINER_STATE_NAME, PREFIX_CHECKPOINT_DIR)
    assert last_checkpoint(tmp_path / "missing") is None
    for step in (4, 12, 8):
        (tmp_path / f"checkpoint-{step}").mkdir()
    (tmp_path / "checkpoint-old").mkdir()
    assert last_checkpoint(tmp_path) is None          # nothing finished yet
    (tmp_path / "checkpoint-4" / TRAINER_STATE_NAME).write_text("{}")
    (tmp_path / "checkpoint-8" / TRAINER_STATE_NAME).write_text("{}")
    assert last_checkpoint(tmp_path) == tmp_path / "checkpoint-8"   # not the cut-short 12
