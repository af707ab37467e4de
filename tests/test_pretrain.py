"""pretrain.py end to end on a small slice, and the pieces it is made of."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from mlflow.tracking import MlflowClient

from arnews.data.demo import read_demo
from arnews.pretrain import gather
from arnews.pretraining.corpus import documents
from arnews.pretraining.encoder import new_bert, train_wordpiece
from arnews.pretraining.mlm import MaskedPositionsTrainer, MaskingCollator
from arnews.pretraining.packing import pack
from conftest import compose_cfg, tracking_uri

# Every test here trains, serves or runs an entry point: seconds each.
pytestmark = pytest.mark.slow

TINY_ENCODER = ["model.pretrained=null", "model.compact.vocab_size=600", "model.compact.hidden_size=32",
                "model.compact.num_hidden_layers=1", "model.compact.num_attention_heads=2",
                "model.compact.intermediate_size=64", "model.compact.max_position_embeddings=64",
                "pretrain.block_size=64", "pretrain.max_steps=4", "pretrain.eval_steps=2",
                "pretrain.save_steps=2", "pretrain.logging_steps=1", "pretrain.held_out_fraction=0.05",
                "pretrain.training.per_device_train_batch_size=8", "trainer.args.disable_tqdm=true"]
TEXTS = [r["title"] + "\n" + r["text"] for r in read_demo("topic", ("train",))["train"][:80]]


def _pretrain(workdir, *overrides):
    from arnews.pretrain import pretrain

    cfg = compose_cfg("pretrain", [f"tracking.uri={tracking_uri(workdir)}", *TINY_ENCODER, *overrides])
    loss = pretrain(cfg)
    client = MlflowClient(tracking_uri(workdir))
    exp = client.get_experiment_by_name("arnews-pretrain")
    runs = client.search_runs([exp.experiment_id], order_by=["attributes.start_time DESC"])
    return loss, runs, client


def test_the_corpus_reads_train_splits_only():
    cfg = compose_cfg("pretrain", ["corpus=demo"])
    docs, counts = gather(cfg.corpus.sources, normalizer=None)
    held = set()
    for task in ("topic", "stance"):
        for split in ("dev", "test"):
            held |= set(documents(read_demo(task, (split,))[split]))
    train = set(documents(read_demo("topic", ("train",))["train"]))
    assert train <= set(docs) and not held & set(docs)
    assert set(counts) == {"demo_topic", "demo_stance"}


def test_only_masked_positions_are_scored_and_the_loss_is_unchanged():
    tokenizer = train_wordpiece(TEXTS, vocab_size=300)
    model = new_bert(tokenizer, seed=0, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                     intermediate_size=64, max_position_embeddings=64).eval()  # no dropout
    blocks = pack(tokenizer, TEXTS, block_size=32)
    torch.manual_seed(0)
    batch = MaskingCollator(tokenizer)([blocks[i] for i in range(8)])
    assert (batch["labels"] != -100).sum() > 0
    full = model(**batch).loss  # BertForMaskedLM scores every position
    ours = MaskedPositionsTrainer.compute_loss(None, model, dict(batch))
    assert torch.allclose(full, ours, atol=1e-5)


def test_whole_words_are_masked_together():
    tokenizer = train_wordpiece(TEXTS, vocab_size=300)  # small vocab: many words split in pieces
    blocks = pack(tokenizer, TEXTS, block_size=64)
    torch.manual_seed(1)
    features = [blocks[i] for i in range(16)]
    batch = MaskingCollator(tokenizer, mlm_probability=0.3)(features)
    masked = (batch["labels"] != -100).numpy()
    checked = 0
    for row, feats in zip(masked, features):
        tokens = tokenizer.convert_ids_to_tokens(feats["input_ids"])
        for i in range(1, len(tokens)):
            # a continuation piece shares its word's fate (unless the block cut the word)
            if tokens[i].startswith("##") and tokens[i - 1] not in tokenizer.all_special_tokens:
                assert row[i] == row[i - 1], (tokens[i - 1], tokens[i])
                checked += int(row[i])
    assert checked > 0


def test_pretrain_end_to_end_logs_a_checkpoint_that_train_py_fine_tunes(workdir, tiny_topic_dir):
    from arnews.train import train

    loss, runs, client = _pretrain(workdir)
    run = runs[0]
    assert run.info.status == "FINISHED" and math.isfinite(loss)
    metrics = run.data.metrics
    assert metrics["held_out/mlm_loss"] == pytest.approx(loss)
    assert metrics["held_out/perplexity"] == pytest.approx(math.exp(loss), rel=1e-4)
    assert metrics["pretrain/tokens_seen"] == 4 * 8 * 64
    assert metrics["pretrain/tokens_per_s"] > 0 and metrics["corpus/held_out_documents"] >= 1
    assert run.data.tags["stage"] == "pretrain" and run.data.tags["corpus"] == "demo"
    files = {a.path for a in client.list_artifacts(run.info.run_id, "encoder")}
    assert {"encoder/model.safetensors", "encoder/tokenizer.json", "encoder/config.json"} <= files

    # The logged encoder is fine-tuned through the same from_pretrained path.
    encoder_vocab = json.loads((workdir / "outputs/pretrain/encoder/tokenizer.json").read_text())["model"]["vocab"]
    cfg = compose_cfg("train", ["data=jsonl", f"data.path={tiny_topic_dir}", f"tracking.uri={tracking_uri(workdir)}",
                                "model=compact_bert", f"model.pretrained=runs:/{run.info.run_id}/encoder",
                                "model.max_length=64", "model.training.num_train_epochs=1",
                                "trainer.args.disable_tqdm=true", "tracking.log_model=false"])
    assert 0 <= train(cfg) <= 1
    cached = list((workdir / "cache" / "mlflow-checkpoints").glob("*/*/tokenizer.json"))
    assert len(cached) == 1
    assert json.loads(cached[0].read_text())["model"]["vocab"] == encoder_vocab


def test_pretraining_resumes_from_its_last_checkpoint(workdir):
    _, runs, _ = _pretrain(workdir, "pretrain.max_steps=2", "pretrain.save_steps=2")
    first = runs[0]
    out = workdir / "outputs/pretrain"
    assert (out / "checkpoints/checkpoint-2").is_dir()
    _, runs, client = _pretrain(workdir, "pretrain.max_steps=4", f"pretrain.resume={out}")
    assert len(runs) == 1 and runs[0].info.run_id == first.info.run_id  # the same MLflow run
    state = json.loads((out / "checkpoints/checkpoint-4/trainer_state.json").read_text())
    assert state["global_step"] == 4
    steps = [m.step for m in client.get_metric_history(first.info.run_id, "train/mlm_loss")]
    assert steps == [1, 2, 3, 4]


def test_resume_without_a_checkpoint_is_one_clear_error(workdir):
    from arnews.errors import ArnewsError

    with pytest.raises(ArnewsError, match="no checkpoint-"):
        _pretrain(workdir, f"pretrain.resume={workdir}")


def test_embeddings_are_seeded_from_word_vectors(workdir):
    from arnews.pretraining.word_vectors import ppmi_svd

    tokenizer = train_wordpiece(TEXTS, vocab_size=300)
    blocks = np.asarray(pack(tokenizer, TEXTS, block_size=32)["input_ids"])
    vectors = ppmi_svd(blocks, len(tokenizer), dim=16, skip_ids=tokenizer.all_special_ids)
    unseen = sorted(set(range(len(tokenizer))) - set(blocks.ravel()))
    assert np.abs(vectors[tokenizer.all_special_ids]).sum() == 0
    assert all(np.abs(vectors[i]).sum() == 0 for i in unseen)
    assert (np.abs(vectors).sum(axis=1) > 0).sum() > len(tokenizer) // 2


def test_pretraining_without_a_held_out_slice(workdir):
    loss, runs, _ = _pretrain(workdir, "pretrain.held_out_fraction=0", "pretrain.max_steps=2")
    assert runs[0].info.status == "FINISHED" and math.isnan(loss)
    assert (workdir / "outputs/pretrain/encoder/model.safetensors").is_file()
