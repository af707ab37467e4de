"""Cluster sweeps with hydra-submitit-launcher (conf/hydra/launcher/slurm*.yaml).

A two-job sweep through submitit's local executor (``hydra/launcher=slurm_local``): each
job a separate process started from a pickled job, as on a SLURM node, under the same
MLflow sweep callback as the other launchers. The SLURM preset is checked as far as
possible without a cluster: the sbatch script submitit would submit carries the sweep's
parent run id as an ``export`` line.

    python -m pytest tests/test_submitit.py -q
"""
from __future__ import annotations

import pytest

from arnews.sweep import MlflowSweepCallback
from arnews.tracking import PARENT_RUN_ENV
from conftest import CONF, EXPERIMENT, launch, runs

pytest.importorskip("hydra_plugins.hydra_submitit_launcher", reason='pip install "arnews[cluster]"')


def _hydra_cfg(*overrides: str):
    from hydra import compose, initialize_config_dir

    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        return compose("train", list(overrides), return_hydra_config=True)


@pytest.mark.slow
def test_a_submitit_sweep_is_one_parent_with_finished_children(tmp_path, tiny_topic_dir):
    sweep = launch(tmp_path, tiny_topic_dir, "-m", "hydra/launcher=slurm_local", "model=majority",
                   "seed=1,2", env={"OMP_NUM_THREADS": "1"}).wait()
    assert sweep.proc.returncode == 0, sweep.log[-4000:]
    parent, children = runs(sweep, EXPERIMENT)
    assert parent.info.status == "FINISHED"
    assert parent.data.tags["launcher"] == "slurm_local"
    assert sorted(c.data.tags["seed"] for c in children) == ["1", "2"]
    assert all(c.info.status == "FINISHED" and "test/macro_f1" in c.data.metrics for c in children)
    # The jobs ran as submitit jobs: pickled, each with its own log folder.
    assert len(list((sweep.folder / "multirun" / ".submitit").glob("*/*_log.out"))) == 2


def test_slurm_jobs_get_the_parent_id_in_their_job_script(tmp_path):
    from submitit.slurm.slurm import _make_sbatch_string

    cfg = _hydra_cfg("hydra/launcher=slurm", "hydra.launcher.partition=gpu", "hydra.launcher.setup=[module load cuda]",
                     f"tracking.uri=sqlite:///{tmp_path / 'm.db'}", f"hydra.sweep.dir={tmp_path / 'multirun'}")
    callback = MlflowSweepCallback()
    try:
        callback.on_multirun_start(cfg)
        parent = callback.parent_run_id
        launcher = cfg.hydra.launcher
        assert list(launcher.setup) == ["module load cuda", f"export {PARENT_RUN_ENV}={parent}"]
        # What the plugin hands submitit, made into the sbatch script it would submit.
        script = _make_sbatch_string(command="python -u -m submitit.core._submit", folder=str(tmp_path),
                                     partition=launcher.partition, gpus_per_task=launcher.gpus_per_task,
                                     cpus_per_task=launcher.cpus_per_task, time=launcher.timeout_min,
                                     setup=list(launcher.setup))
    finally:
        callback.on_multirun_end(cfg)
    assert "#SBATCH --partition=gpu" in script and "#SBATCH --gpus-per-task=1" in script
    assert "#SBATCH --time=240" in script
    lines = script.splitlines()
    assert lines.index(f"export {PARENT_RUN_ENV}={parent}") < next(i for i, l in enumerate(lines) if "srun" in l)
