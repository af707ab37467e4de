"""Data-parallel training: which process is rank 0, and what the other ranks share with it.

``torchrun --nproc_per_node N train.py ...`` (or ``accelerate launch``) starts N copies of
the whole run. Each reads the data and builds the model; ``transformers.Trainer`` sees
``RANK``, ``LOCAL_RANK`` and ``WORLD_SIZE`` and trains them as one DDP model (gloo on
CPUs, NCCL on GPUs). Only rank 0 talks to MLflow: it opens the run, logs, scores dev and
test and logs the model; every other rank trains and otherwise writes nothing, and
returns rank 0's dev score so that a sweep sees one value.

Without a launcher (``WORLD_SIZE`` unset or 1) every function here is a no-op that
imports nothing, so single-process runs and the scikit-learn baselines are unchanged.

Hydra's run folder is named after the launch time (``${arnews.launch_time:...}`` in
``conf/hydra/default.yaml``). Under a launcher that is the start time of the launcher
process (the parent of every local rank), not of each rank, so all ranks of a node agree
on one folder: rank 0 writes ``.hydra/`` and ``train.log`` there, rank k only
``train.rank<k>.log``.
"""
from __future__ import annotations

import atexit
import os
from datetime import datetime
from typing import Any

from omegaconf import OmegaConf

LAUNCH_TIME_RESOLVER = "arnews.launch_time"


def rank() -> int:
    """This process's global rank (0 without a launcher)."""
    return int(os.environ.get("RANK", "0"))


def world_size() -> int:
    """How many processes train together (1 without a launcher)."""
    return int(os.environ.get("WORLD_SIZE", "1"))


def is_main_process() -> bool:
    """Rank 0: the only process that opens MLflow runs, logs and saves."""
    return rank() == 0


def launched() -> bool:
    """Started by torchrun, ``accelerate launch`` or another torch elastic launcher."""
    return "LOCAL_RANK" in os.environ and "TORCHELASTIC_RUN_ID" in os.environ


def launch_time(pattern: str) -> str:
    """``${now:pattern}``, except under a launcher: the launcher's own start time.

    Every local rank is a child of the same launcher process, so they all format the
    same time and share one Hydra run (or sweep) folder.
    """
    when = datetime.now()
    if launched():
        try:
            import psutil

            when = datetime.fromtimestamp(psutil.Process(os.getppid()).create_time())
        except Exception:  # psutil missing or the parent gone: each rank its own folder
            pass
    return when.strftime(pattern)


def rank_zero_only(value: Any = None) -> Any:
    """``value`` on rank 0, None elsewhere: ``hydra.output_subdir`` is ``.hydra`` on rank 0
    only, so a run folder holds one copy of the composed config, not one per rank."""
    return value if is_main_process() else None


def rank_suffix() -> str:
    """Appended to the job's log file name: ``""`` on rank 0, ``.rank<k>`` elsewhere."""
    return "" if is_main_process() else f".rank{rank()}"


def register_resolvers() -> None:
    """Register the ``arnews.*`` resolvers of ``conf/hydra/default.yaml``; importing this
    module (entry points do, through ``arnews.cli``) does it before Hydra composes.

    ``launch_time`` is cached, like Hydra's ``now``, so every job of a sweep sees the
    sweep's start."""
    for name, fn, cache in ((LAUNCH_TIME_RESOLVER, launch_time, True),
                            ("arnews.rank_zero_only", rank_zero_only, False),
                            ("arnews.rank_suffix", rank_suffix, False)):
        if not OmegaConf.has_resolver(name):
            OmegaConf.register_new_resolver(name, fn, use_cache=cache)


def _process_group(cpu: bool):
    """The torch process group, set up as the Trainer will (accelerate's PartialState:
    gloo on CPUs, NCCL on GPUs), or None without a launcher."""
    if world_size() <= 1:
        return None
    from accelerate import PartialState

    state = PartialState(cpu=cpu)
    # Registered after the group exists, so it runs before any exit hook set up with it;
    # unregister first: this function is called more than once per process.
    atexit.unregister(_destroy_process_group)
    atexit.register(_destroy_process_group)
    return state


def _destroy_process_group() -> None:
    """Tear the process group down before the interpreter does: a gloo group still
    alive at exit can abort a rank ("terminate called without an active exception")."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def from_rank_zero(value: Any, cpu: bool = True) -> Any:
    """Rank 0's ``value`` on every rank (a picklable object); ``value`` itself without a
    launcher. Every rank must call it, in the same order."""
    if _process_group(cpu) is None:
        return value
    from accelerate.utils import broadcast_object_list

    return broadcast_object_list([value], from_process=0)[0]


def wait_for_everyone(cpu: bool = True) -> None:
    """A barrier across ranks (nothing without a launcher)."""
    state = _process_group(cpu)
    if state is not None:
        state.wait_for_everyone()


def batch_params(training_args: dict) -> dict[str, str]:
    """What one optimizer step sees: per device x accumulation x processes.

    >>> batch_params({"per_device_train_batch_size": 16, "gradient_accumulation_steps": 2})
    {'world_size': '1', 'effective_train_batch_size': '32'}
    """
    per_device = int(training_args.get("per_device_train_batch_size", 8))
    accumulation = int(training_args.get("gradient_accumulation_steps", 1))
    return {"world_size": str(world_size()),
            "effective_train_batch_size": str(per_device * accumulation * world_size())}


register_resolvers()
