"""Every option of every config group composes, and the entry points answer --help."""
from __future__ import annotations

import subprocess
import sys

import pytest
from omegaconf import OmegaConf

from conftest import CONF, ROOT, compose_cfg

GROUPS = ["task", "data", "model", "trainer", "long_text", "tracking", "paths", "experiment",
          "hparams_search"]


def options(group: str) -> list[str]:
    return sorted(p.stem for p in (CONF / group).glob("*.yaml"))


@pytest.mark.parametrize("group,option", [(g, o) for g in GROUPS for o in options(g)])
def test_every_option_composes(group, option):
    overrides = [f"{group}={option}"]
    if group == "data" and option not in ("demo",):
        overrides.append("data.path=/tmp/somewhere")
    cfg = compose_cfg("train", overrides)
    # Resolving catches broken interpolations, which composition alone does not.
    resolved = OmegaConf.to_container(cfg, resolve=True)
    assert resolved["task"]["name"] in ("topic", "stance")
    for key in ("seed", "optimized_metric", "normalize", "model", "data", "tracking"):
        assert key in resolved


def test_groups_exist_and_defaults_are_offline():
    cfg = compose_cfg("train")
    assert cfg.model.name == "compact_bert" and cfg.model.pretrained == "arnews:compact_arabic_bert"
    assert compose_cfg("train", ["model=compact_scratch"]).model.pretrained is None
    assert cfg.data.name == "demo" and cfg.tracking.uri == "sqlite:///mlflow.db"
    for group in GROUPS + ["hydra"]:
        assert (CONF / group).is_dir(), group


@pytest.mark.parametrize("preset,hub_id", [
    ("arabert_v02", "aubmindlab/bert-base-arabertv02"),
    ("camelbert_msa", "CAMeL-Lab/bert-base-arabic-camelbert-msa"),
    ("marbert_v2", "UBC-NLP/MARBERTv2"),
    ("arbert", "UBC-NLP/ARBERT"),
    ("xlmr_base", "FacebookAI/xlm-roberta-base"),
])
def test_hub_presets_name_real_ids(preset, hub_id):
    cfg = compose_cfg("train", [f"model={preset}"])
    assert cfg.model.pretrained == hub_id
    assert 1e-7 < cfg.model.training.learning_rate < 1e-3


def test_evaluate_config_composes():
    cfg = compose_cfg("evaluate", ["model_uri=runs:/abc/model", "long_text=chunks"])
    assert cfg.long_text.strategy == "chunks" and cfg.split == "test"


def test_help_lists_groups_and_cfg_job_prints_config():
    out = subprocess.run([sys.executable, str(ROOT / "train.py"), "--help"], capture_output=True,
                         text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    for group in ("task", "model", "data", "trainer", "tracking"):
        assert f"{group}:" in out.stdout or f"{group}/" in out.stdout, group
    job = subprocess.run([sys.executable, str(ROOT / "train.py"), "--cfg", "job", "model=majority"],
                         capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert job.returncode == 0, job.stderr
    assert "name: majority" in job.stdout and "seed:" in job.stdout


def test_stance_encoder_experiment_is_the_recipe_chosen_on_ans_dev():
    """experiment=stance_encoder carries study 05's step-9 recipe, not the topic one."""
    cfg = compose_cfg("train", ["experiment=stance_encoder"])
    topic = compose_cfg("train")
    assert cfg.task.name == "stance" and cfg.model.name == "compact_bert"
    assert cfg.model.class_weights == "balanced" and cfg.model.select_by == "macro_f1"
    assert cfg.model.training.learning_rate == 1e-4 != topic.model.training.learning_rate
    assert cfg.model.training.num_train_epochs == 10
    # A data group chosen on the command line still applies.
    assert compose_cfg("train", ["experiment=stance_encoder", "data=ans", "data.path=/x"]).data.name == "ans"
