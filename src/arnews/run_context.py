"""Facts about the current invocation: output folder, command-line overrides, tags."""
from __future__ import annotations

from pathlib import Path

from hydra.core.hydra_config import HydraConfig

from arnews.tracking import git_commit


def output_dir(fallback: str | Path) -> Path:
    """Hydra's run folder when launched by Hydra, else ``fallback`` (tests, notebooks)."""
    if HydraConfig.initialized():
        return Path(HydraConfig.get().runtime.output_dir)
    return Path(fallback)


def overrides() -> list[str]:
    """The command-line overrides of this job (empty outside Hydra)."""
    if HydraConfig.initialized():
        return list(HydraConfig.get().overrides.task)
    return []


def project_root() -> Path:
    if HydraConfig.initialized():
        return Path(HydraConfig.get().runtime.cwd)
    return Path.cwd()


def run_tags(cfg, task=None) -> dict[str, str]:
    """Tags that let the MLflow UI filter runs by task, data and model."""
    tags = {"task": cfg.task.name, "data": cfg.data.name,
            "model": cfg.model.name if "model" in cfg else "logged",
            "git_commit": git_commit(project_root()), "overrides": " ".join(overrides()) or "(none)",
            "long_text": cfg.long_text.strategy if "long_text" in cfg and cfg.long_text else "head",
            "seed": str(cfg.get("seed", ""))}
    if task is not None:
        tags["multi_label"] = str(task.multi_label)
    if cfg.data.name == "demo":
        from arnews.data.demo import corpus_version

        tags["data_version"] = corpus_version()
    return tags
