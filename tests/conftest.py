"""Shared fixtures: tiny datasets cut from the demo corpus, an isolated MLflow store,
and Hydra composition of the real config tree."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir

from arnews.data.demo import read_demo

ROOT = Path(__file__).resolve().parents[1]
CONF = ROOT / "conf"

# A compact BERT small enough to train in seconds: the same code path as the default.
TINY_BERT = [
    "model=compact_scratch", "model.compact.vocab_size=500", "model.compact.hidden_size=32",
    "model.compact.num_hidden_layers=1", "model.compact.num_attention_heads=2",
    "model.compact.intermediate_size=64", "model.max_length=64",
    "model.training.num_train_epochs=2", "model.training.per_device_train_batch_size=16",
    "trainer.args.disable_tqdm=true",
]


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps({k: v for k, v in row.items() if not k.startswith("_")},
                                ensure_ascii=False) + "\n")
    return path


def _cut(task: str, sizes: dict, folder: Path) -> Path:
    demo = read_demo(task)
    for split, n in sizes.items():
        write_jsonl(folder / f"{split}.jsonl", demo[split][:n])
    return folder


@pytest.fixture(scope="session")
def tiny_topic_dir(tmp_path_factory) -> Path:
    """60/20/20 multi-label topic articles from the demo corpus, as data=jsonl input."""
    return _cut("topic", {"train": 60, "dev": 20, "test": 20}, tmp_path_factory.mktemp("topic"))


@pytest.fixture(scope="session")
def tiny_stance_dir(tmp_path_factory) -> Path:
    """Claim–article pairs from the demo corpus (whole claims, as the splits keep them)."""
    return _cut("stance", {"train": 120, "dev": 40, "test": 40}, tmp_path_factory.mktemp("stance"))


@pytest.fixture
def workdir(tmp_path, monkeypatch) -> Path:
    """Run in a temp dir with its own MLflow SQLite store and model cache."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ARNEWS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("ARNEWS_PARENT_RUN_ID", raising=False)
    return tmp_path


def compose_cfg(config_name: str = "train", overrides: list[str] = ()):
    """The composed config, exactly as ``python train.py`` would build it."""
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        return compose(config_name=config_name, overrides=list(overrides))


def train_on_jsonl(workdir: Path, data_dir: Path, *overrides: str):
    """``python train.py data=jsonl data.path=DATA_DIR ...`` in-process, into the workdir's
    store; returns (dev score, the MLflow run, its client)."""
    from mlflow.tracking import MlflowClient

    from arnews.train import train

    cfg = compose_cfg("train", ["data=jsonl", f"data.path={data_dir}",
                                f"tracking.uri={tracking_uri(workdir)}", *overrides])
    score = train(cfg)
    client = MlflowClient(tracking_uri(workdir))
    run = client.search_runs([client.get_experiment_by_name(cfg.tracking.experiment).experiment_id],
                             order_by=["attributes.start_time DESC"])[0]
    return score, run, client


def tracking_uri(workdir: Path) -> str:
    return f"sqlite:///{workdir / 'mlflow.db'}"
