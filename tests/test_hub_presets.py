"""Every hub preset, on a tiny random model of its own family, through train.py,
long_text=chunks, evaluate.py and the logged pyfunc: offline, in seconds.

The real checkpoints need the hub; what can break a first GPU run is the preset's
config and its architecture (tokenizer type, token types, position offsets, pair
templates), and those are exercised here.
"""
from __future__ import annotations

import json

import mlflow
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from arnews.data.demo import read_demo
from arnews.evaluate import evaluate
from arnews.train import train
from conftest import compose_cfg, tracking_uri
from tiny_hub_models import PRESET_FAMILY, build

# Every test here trains, serves or runs an entry point: seconds each.
pytestmark = pytest.mark.slow

TINY_RUN = ["model.max_length=64", "model.training.num_train_epochs=1",
            "model.training.per_device_train_batch_size=16", "model.training.per_device_eval_batch_size=32",
            "trainer.args.disable_tqdm=true"]


@pytest.fixture(scope="session")
def family_dirs(tmp_path_factory):
    rows = read_demo("stance", ("train",))["train"]
    texts = list(dict.fromkeys(t for r in rows for t in (r["claim"], r["title"] + "\n" + r["text"])))
    root = tmp_path_factory.mktemp("families")
    return {fam: build(fam, root / fam, texts) for fam in set(PRESET_FAMILY.values())}


def _run(workdir, data_dir, task, preset, folder, *extra):
    uri = tracking_uri(workdir)
    cfg = compose_cfg("train", [f"task={task}", "data=jsonl", f"data.path={data_dir}", f"tracking.uri={uri}",
                                f"model={preset}", f"model.pretrained={folder}", *TINY_RUN, *extra])
    train(cfg)
    client = MlflowClient(uri)
    exp = client.get_experiment_by_name(cfg.tracking.experiment)
    return client.search_runs([exp.experiment_id], order_by=["attributes.start_time DESC"])[0]


@pytest.mark.slow
@pytest.mark.parametrize("preset", sorted(PRESET_FAMILY))
def test_topic_preset_trains_with_chunks_and_serves(preset, family_dirs, workdir, tiny_topic_dir):
    run = _run(workdir, tiny_topic_dir, "topic", preset, family_dirs[PRESET_FAMILY[preset]],
               "long_text=chunks", "long_text.stride=16", "long_text.max_chunks=4")
    assert run.info.status == "FINISHED" and run.data.tags["long_text"] == "chunks"
    assert 0 <= run.data.metrics["test/macro_f1"] <= 1
    mlflow.set_tracking_uri(tracking_uri(workdir))
    model = mlflow.pyfunc.load_model(run.data.tags["model_uri"])
    frame = pd.DataFrame({"title": ["عنوان"], "text": ["اخترق قراصنة أنظمة وزارة المالية " * 20]})
    out = model.predict(frame)
    assert list(out.columns) == ["labels", "score_arms_control", "score_cybersecurity",
                                 "score_regional_conflicts"]
    meta = json.loads(next((workdir / "mlruns").rglob("arnews_model.json")).read_text())
    expected = "arabert:bert-base-arabertv02" if preset == "arabert_v02" else None
    assert meta["preprocess"] == expected  # AraBERT's preprocessing travels with the model
    reqs = next((workdir / "mlruns").rglob("requirements.txt")).read_text()
    assert ("arabert==" in reqs) == (preset == "arabert_v02")


@pytest.mark.slow
@pytest.mark.parametrize("preset", ["arabert_v02", "xlmr_base"])  # one per family
def test_stance_pairs_train_and_evaluate(preset, family_dirs, workdir, tiny_stance_dir):
    run = _run(workdir, tiny_stance_dir, "stance", preset, family_dirs[PRESET_FAMILY[preset]],
               "long_text=head_tail")
    assert run.info.status == "FINISHED"
    cfg = compose_cfg("evaluate", ["task=stance", f"model_uri={run.data.tags['model_uri']}", "data=jsonl",
                                   f"data.path={tiny_stance_dir}", f"tracking.uri={tracking_uri(workdir)}"])
    assert evaluate(cfg) == pytest.approx(run.data.metrics["test/macro_f1"])


def test_a_claim_that_fills_the_window_is_cut_not_fatal(family_dirs, caplog):
    from transformers import AutoTokenizer

    from arnews.models.long_text import LongTextConfig, encode
    from arnews.tasks.inputs import Inputs

    tokenizer = AutoTokenizer.from_pretrained(family_dirs["bert"])
    claim = "اخترق قراصنة أنظمة وزارة المالية " * 20
    for strategy in ("head", "head_tail", "chunks"):
        feats, _ = encode(tokenizer, Inputs([claim], ["نص المقال الطويل " * 30]), 32,
                          LongTextConfig(strategy=strategy, stride=4))
        article = [t for ids, types in zip(feats["input_ids"], feats["token_type_ids"])
                   for t, k in zip(ids, types) if k == 1]
        assert all(len(ids) <= 32 for ids in feats["input_ids"]) and len(article) >= 8
    assert "were cut" in caplog.text


def test_arabert_preprocessing_is_applied_before_tokenizing(family_dirs):
    from arnews.models.transformer import TransformerClassifier
    from arnews.tasks.inputs import Inputs

    clf = TransformerClassifier(["a", "b"], False, pretrained=str(family_dirs["bert"]), max_length=32,
                                preprocess="arabert:bert-base-arabertv02")
    from arnews.models.long_text import encode

    features, _ = encode(clf.tokenizer, clf._prepared(Inputs(["زوروا www.example.com الآن"])), clf.max_length,
                         clf.long_text)
    tokens = clf.tokenizer.convert_ids_to_tokens(features["input_ids"][0])
    assert "www" not in "".join(tokens) and "example" not in "".join(tokens)


@pytest.mark.parametrize("preset", ["arabert_v02", "xlmr_base"])  # BERT and XLM-R heads
def test_hub_families_continue_pretraining(preset, family_dirs, workdir):
    from arnews.pretrain import pretrain

    cfg = compose_cfg("pretrain", [f"tracking.uri={tracking_uri(workdir)}", f"model={preset}",
                                   f"model.pretrained={family_dirs[PRESET_FAMILY[preset]]}",
                                   "pretrain.block_size=64", "pretrain.max_steps=2", "pretrain.eval_steps=2",
                                   "pretrain.save_steps=2", "pretrain.training.per_device_train_batch_size=4",
                                   "trainer.args.disable_tqdm=true"])
    assert pretrain(cfg) > 0
    assert (workdir / "outputs/pretrain/encoder/model.safetensors").is_file()
