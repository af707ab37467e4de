"""Data-parallel training under torchrun (src/arnews/distributed.py).

The end-to-end tests run ``torchrun --standalone --nproc_per_node 2 train.py ...`` (as
``python -m torch.distributed.run``, the same entry point) on CPUs with gloo: one
fine-tuning of the default compact BERT for one epoch, and at the same time a two-job
sweep, to show that only rank 0 opens runs, logs and writes Hydra's files.

    python -m pytest tests/test_distributed.py -q
"""
from __future__ import annotations

import os

import pytest
from omegaconf import OmegaConf

from arnews import distributed, tracking
from conftest import EXPERIMENT, compose_cfg, launch, runs

TORCHRUN = ("-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2")
# The default model (the shipped compact BERT), for one epoch on 60 articles.
ONE_EPOCH = ("model.training.num_train_epochs=1", "model.max_length=64", "trainer.args.disable_tqdm=true")


@pytest.fixture(scope="module")
def launched(tmp_path_factory, tiny_topic_dir) -> dict:
    base = tmp_path_factory.mktemp("torchrun")
    # OMP_NUM_THREADS=1 is torchrun's own default; explicit, so both ranks share 2 cores.
    env = {"OMP_NUM_THREADS": "1"}
    # The run folder as conf/hydra/default.yaml names it: after the launch time.
    run_dir = "hydra.run.dir=run/${arnews.launch_time:%Y-%m-%d_%H-%M-%S}"
    started = {"ddp": launch(base / "ddp", tiny_topic_dir, *ONE_EPOCH, run_dir, launcher=TORCHRUN, env=env),
               # The sweep callback under torchrun: rank 1 sweeps too, but makes no parent.
               "sweep": launch(base / "sweep", tiny_topic_dir, "-m", "model=majority", "seed=1,2",
                               launcher=TORCHRUN, env=env)}
    try:
        return {name: s.wait() for name, s in started.items()}
    finally:
        for s in started.values():
            if s.proc.poll() is None:
                s.proc.kill()
                s.proc.wait()


@pytest.mark.slow
def test_torchrun_trains_one_run_logged_by_rank_zero(launched):
    from mlflow.tracking import MlflowClient

    ddp = launched["ddp"]
    assert ddp.proc.returncode == 0, ddp.log[-4000:]
    client = MlflowClient(ddp.uri)
    every = client.search_runs([e.experiment_id for e in client.search_experiments()], max_results=100)
    assert len(every) == 1, [(r.info.run_name, r.info.status) for r in every]
    (run,) = every
    assert run.info.status == "FINISHED"
    assert run.data.params["world_size"] == "2"
    # 16 per device (the compact_bert recipe) x 1 accumulation step x 2 processes
    assert run.data.params["effective_train_batch_size"] == "32"
    assert 0.0 <= run.data.metrics["test/macro_f1"] <= 1.0
    assert "dev_epoch/macro_f1" in run.data.metrics  # the Trainer's DDP evaluation, logged once
    history = client.get_metric_history(run.info.run_id, "train/loss")
    assert [m.step for m in history] == [1], "an epoch logged by more than one rank"
    assert "data-parallel: 2 processes, 32 examples per optimizer step" in ddp.log
    # One run folder shared by the ranks; rank 1 adds only its log there.
    (folder,) = (ddp.folder / "run").iterdir()  # both ranks in one folder named by the launch time
    assert (folder / ".hydra" / "config.yaml").exists() and (folder / "train.log").exists()
    assert (folder / "train.rank1.log").exists()
    assert not (folder / "checkpoints").exists(), "rank 0 removes the finished run's checkpoints"
    # No second store: rank 1 never touched MLflow.
    assert sorted(p.name for p in ddp.folder.glob("*.db")) == ["mlflow.db"]


@pytest.mark.slow
def test_a_sweep_under_torchrun_is_one_parent(launched):
    sweep = launched["sweep"]
    assert sweep.proc.returncode == 0, sweep.log[-4000:]
    parent, children = runs(sweep, EXPERIMENT)
    assert parent.info.status == "FINISHED"
    assert sorted(c.data.tags["seed"] for c in children) == ["1", "2"]
    assert all(c.info.status == "FINISHED" and c.data.params["world_size"] == "2" for c in children)
    assert (sweep.folder / "multirun" / "multirun.yaml").exists()
    for job in ("0", "1"):
        job_dir = sweep.folder / "multirun" / job
        assert (job_dir / ".hydra").is_dir() and (job_dir / "train.rank1.log").exists()


def test_other_ranks_get_a_run_that_logs_nowhere(tmp_path, monkeypatch):
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("WORLD_SIZE", "2")
    with tracking.tracked_run(f"sqlite:///{tmp_path / 'm.db'}", "x") as run:
        assert run is tracking.NO_RUN and run.info.run_id is None
    assert not (tmp_path / "m.db").exists()


def test_only_rank_zero_keeps_hydra_files(monkeypatch):
    # What Hydra resolves for its own files on each rank (conf/hydra/default.yaml).
    from hydra import compose, initialize_config_dir

    from conftest import CONF

    def hydra_files(rank: str):
        monkeypatch.setenv("RANK", rank)
        with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
            cfg = compose("train", ["hydra.runtime.output_dir=/out", "hydra.job.name=train"],
                          return_hydra_config=True)
        return (cfg.hydra.output_subdir, cfg.hydra.job_logging.handlers.file.filename)

    assert hydra_files("0") == (".hydra", "/out/train.log")
    assert hydra_files("1") == (None, "/out/train.rank1.log")


def test_ranks_of_one_launch_share_the_run_folder_name(monkeypatch):
    import psutil
    from datetime import datetime

    assert distributed.launch_time("%Y") == datetime.now().strftime("%Y")  # without a launcher: now
    monkeypatch.setenv("LOCAL_RANK", "1")
    monkeypatch.setenv("TORCHELASTIC_RUN_ID", "x")
    started = datetime.fromtimestamp(psutil.Process(os.getppid()).create_time())
    assert distributed.launch_time("%Y-%m-%d_%H-%M-%S") == started.strftime("%Y-%m-%d_%H-%M-%S")


def test_single_process_runs_have_world_size_one(monkeypatch):
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    assert distributed.from_rank_zero("x") == "x"  # no process group needed
    distributed.wait_for_everyone()
    cfg = compose_cfg("train", [])
    assert OmegaConf.select(cfg, "model.training.per_device_train_batch_size") == 16
    assert distributed.batch_params({"per_device_train_batch_size": 16}) == {
        "world_size": "1", "effective_train_batch_size": "16"}
