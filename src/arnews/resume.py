"""Continuing an interrupted training run: ``python train.py resume=<run_id>``.

A transformer run saves a full checkpoint (weights, optimizer, scheduler, RNG and
early-stopping state) at the end of every epoch into ``checkpoints/`` of its run
folder, and records that folder on the MLflow run as the tag ``arnews.checkpoint_dir``.
When the run is interrupted (Ctrl-C, SIGTERM) the run ends KILLED and the folder
stays. Resuming reads the run's own logged ``config.yaml`` (so the command line needs
only the run id and, if it is not the default, ``tracking.uri``), reopens the same
MLflow run and lets ``transformers.Trainer`` continue from the latest checkpoint.
A run that finishes deletes its checkpoints (``trainer.keep_checkpoints=true`` keeps
them); the logged model is its artifact.
"""
from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from arnews.errors import ArnewsError
from arnews.models.checkpoints import latest_complete_checkpoint
from arnews.run_context import overrides

log = logging.getLogger(__name__)

CHECKPOINT_TAG = "arnews.checkpoint_dir"
CONFIG_ARTIFACT = "config.yaml"


@dataclass
class Resumption:
    """What ``train`` needs to continue a run: its config, id and checkpoint folder."""

    cfg: DictConfig
    run_id: str
    checkpoint_dir: Path


def last_checkpoint(folder: str | Path) -> Path | None:
    """The newest ``checkpoint-<step>`` folder the Trainer finished writing in ``folder``
    (not one cut short by the interruption), if any."""
    return latest_complete_checkpoint(folder)


def prepare_resume(cfg: DictConfig) -> Resumption:
    """Load the interrupted run named by ``cfg.resume`` from ``cfg.tracking.uri``.

    Everything comes from the run's logged config except ``tracking.uri`` (where the
    run was found) and ``trainer.num_threads`` (a property of this machine, not of
    the experiment). Raises ArnewsError when there is nothing to resume.
    """
    from mlflow.exceptions import MlflowException
    from mlflow.tracking import MlflowClient

    from arnews.tracking import check_reachable

    run_id, uri = str(cfg.resume), str(cfg.tracking.uri)
    check_reachable(uri)
    client = MlflowClient(uri)
    try:
        run = client.get_run(run_id)
    except MlflowException:
        raise ArnewsError(f"resume={run_id}: no such run at tracking.uri={uri}; copy the run id "
                          "from the MLflow UI or the interrupted run's last lines, and pass the "
                          "tracking.uri it was logged to") from None
    status = run.info.status
    if status == "FINISHED":
        raise ArnewsError(f"resume={run_id}: this run already FINISHED; there is nothing to resume")
    folder = run.data.tags.get(CHECKPOINT_TAG)
    checkpoint = last_checkpoint(folder) if folder else None
    if checkpoint is None:
        raise ArnewsError(f"resume={run_id}: no epoch checkpoint was saved "
                          f"({folder or 'the run records no checkpoint folder'}); it stopped before "
                          "its first epoch ended, or its model has no epochs: start it again")
    if status == "RUNNING":
        log.warning("run %s is still marked RUNNING (its process was killed hard, or is still "
                    "alive): resuming it anyway", run_id)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            text = Path(client.download_artifacts(run_id, CONFIG_ARTIFACT, tmp)).read_text(encoding="utf-8")
    except (MlflowException, OSError):
        raise ArnewsError(f"resume={run_id}: the run has no {CONFIG_ARTIFACT} artifact; "
                          "it was not logged by train.py") from None
    logged = OmegaConf.create(text)
    if "_target_" not in logged.get("model", {}):
        raise ArnewsError(f"resume={run_id}: the run was logged by an older arnews, whose config "
                          "(no model._target_) this version cannot rebuild; start the run again")
    logged.tracking.uri = uri
    logged.resume = run_id
    if "trainer" in logged and "num_threads" in cfg.get("trainer", {}):
        logged.trainer.num_threads = cfg.trainer.num_threads
    ignored = [o for o in overrides() if o.split("=", 1)[0].lstrip("+~")
               not in ("resume", "tracking.uri", "trainer.num_threads")]
    if ignored:
        log.warning("resuming with the run's own config: ignoring %s", " ".join(ignored))
    log.info("resuming run %s from %s", run_id, checkpoint)
    return Resumption(logged, run_id, Path(folder))
