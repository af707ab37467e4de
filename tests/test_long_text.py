"""Long articles: chunks reads every window, head reads only the start, head_tail the
start and the end.

The scoring tests run the real path (``encode`` → ``Trainer.predict`` → ``pool_logits``)
of a ``TransformerClassifier`` built on a real tiny compact BERT, whose model is
swapped for a deterministic keyword detector: it answers ``alert`` iff the keyword's
token id is inside the window it sees. What the classifier reports for a long article
then shows exactly which windows the strategy let through.

    python -m pytest tests/test_long_text.py -q
"""
from __future__ import annotations

import math
import random

import numpy as np
import pytest
import torch
from mlflow.tracking import MlflowClient
from transformers.modeling_outputs import SequenceClassifierOutput

from arnews.evaluate import evaluate
from arnews.models.compact_bert import compact_bert_dir
from arnews.models.long_text import LongTextConfig, encode
from arnews.models.transformer import TransformerClassifier
from arnews.tasks import Inputs
from arnews.train import train
from conftest import TINY_BERT, compose_cfg, tracking_uri

FILLER = ("الحكومة البرلمان الاقتصاد الميناء القطار الجامعة المدينة السوق الطقس الزراعة "
          "المياه الكهرباء الملعب المستشفى المدرسة الطريق").split()
KEYWORD = "انفجار"
CLAIM = "الحكومة تفتتح الميناء"
MAX_LENGTH, STRIDE = 64, 16


def article(n_words: int, keyword_at: int | None = None, seed: int = 0) -> str:
    """``n_words`` filler words (one token each), with the keyword at word ``keyword_at``."""
    words = random.Random(seed).choices(FILLER, k=n_words)
    if keyword_at is not None:
        words[keyword_at] = KEYWORD
    return " ".join(words)


@pytest.fixture(scope="module")
def bert_dir(tmp_path_factory):
    """A real compact BERT whose WordPiece vocabulary holds every filler word and the
    keyword as single tokens."""
    texts = [article(20, seed=i) + (f" {KEYWORD}" if i % 2 else "") for i in range(40)]
    return compact_bert_dir(texts, tmp_path_factory.mktemp("long_bert"), vocab_size=300,
                            hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                            intermediate_size=32, max_position_embeddings=128)


class KeywordDetector(torch.nn.Module):
    """Logits (0, -5) for plain windows and (0, +5) for windows holding the keyword,
    returned the way a Hugging Face classifier returns them.

    ``plain`` stays at 0 because max pooling takes each class's maximum on its own: a
    detector that also pushed ``plain`` up in plain windows would tie with the hit."""

    def __init__(self, keyword_id: int, config):
        super().__init__()
        self.keyword_id, self.config = keyword_id, config
        self.anchor = torch.nn.Parameter(torch.zeros(1))  # the Trainer wants parameters

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, labels=None):
        hit = (input_ids == self.keyword_id).any(dim=1).float() * 2 - 1
        return SequenceClassifierOutput(logits=torch.stack([0 * hit, 5 * hit], 1) + self.anchor)


def detector(bert_dir, tmp_path, strategy: str, pooling: str = "max") -> TransformerClassifier:
    clf = TransformerClassifier(
        ["plain", "alert"], False, pretrained=str(bert_dir), max_length=MAX_LENGTH,
        long_text=LongTextConfig(strategy=strategy, stride=STRIDE, pooling=pooling),
        training_args={"use_cpu": True, "per_device_eval_batch_size": 64, "disable_tqdm": True},
        output_dir=tmp_path / "checkpoints")
    keyword_id = clf.tokenizer.convert_tokens_to_ids(KEYWORD)
    assert keyword_id != clf.tokenizer.unk_token_id
    clf.model = KeywordDetector(keyword_id, clf.model.config)
    return clf


def alert(clf, texts: list[str], claim: str | None = None) -> np.ndarray:
    """P(alert) per article, through the classifier's real predict path."""
    inputs = Inputs(texts) if claim is None else Inputs([claim] * len(texts), texts)
    return clf.predict_scores(inputs)[:, 1]


# ---- (a) chunks covers the whole article -------------------------------------------------
def test_chunks_windows_cover_an_article_of_over_2000_tokens(bert_dir):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(bert_dir)
    long, short = article(2100, seed=1), article(30, seed=2)
    ids = tokenizer(long, add_special_tokens=False)["input_ids"]
    assert len(ids) == 2100
    feats, doc = encode(tokenizer, Inputs([long, short]), MAX_LENGTH,
                        LongTextConfig(strategy="chunks", stride=STRIDE))
    body, step = MAX_LENGTH - 2, MAX_LENGTH - 2 - STRIDE  # [CLS] and [SEP] take two places
    n_windows = 1 + math.ceil((len(ids) - body) / step)
    assert n_windows == 46
    assert doc.tolist() == [0] * n_windows + [1]
    for w in range(n_windows):  # window w reads tokens [w*step, w*step + body)
        assert feats["input_ids"][w][1:-1] == ids[w * step: w * step + body]
    assert feats["input_ids"][n_windows - 1][-2] == ids[-1]

    capped, doc = encode(tokenizer, Inputs([long]), MAX_LENGTH,
                         LongTextConfig(strategy="chunks", stride=STRIDE, max_chunks=10))
    assert len(doc) == 10  # spread evenly, still from the first to the last window
    assert capped["input_ids"][0] == feats["input_ids"][0]
    assert capped["input_ids"][-1] == feats["input_ids"][n_windows - 1]


def test_chunks_pools_the_logits_of_every_window(bert_dir, tmp_path):
    text = article(2100, keyword_at=2099, seed=1)  # the keyword sits in the last window only
    p_alert = alert(detector(bert_dir, tmp_path, "chunks", pooling="mean"), [text])[0]
    # The alert logit is the mean of 45 misses (-5) and 1 hit (+5): any window left
    # out, or counted twice, moves this number.
    n = 46
    pooled = (5 - 5 * (n - 1)) / n
    assert p_alert == pytest.approx(1 / (1 + math.exp(-pooled)), rel=1e-4)


# ---- (b) the key test: a signal only at the end ------------------------------------------
@pytest.mark.parametrize("claim", [None, CLAIM], ids=["single", "pair"])
def test_signal_at_the_end_is_found_by_chunks_and_missed_by_head(bert_dir, tmp_path, claim):
    at_end = article(2100, keyword_at=2099, seed=3)
    control = article(2100, seed=3)
    at_start = article(2100, keyword_at=0, seed=3)

    head = alert(detector(bert_dir, tmp_path, "head"), [at_end, control, at_start], claim)
    chunks = alert(detector(bert_dir, tmp_path, "chunks"), [at_end, control, at_start], claim)
    assert head[0] < 0.01 and head[0] == pytest.approx(head[1])  # reads as no keyword
    assert chunks[0] > 0.99
    assert chunks[1] < 0.01  # chunks finds the keyword, it does not invent one
    assert head[2] > 0.99 and chunks[2] > 0.99


# ---- (c) head_tail keeps both ends --------------------------------------------------------
@pytest.mark.parametrize("claim", [None, CLAIM], ids=["single", "pair"])
def test_head_tail_keeps_the_start_and_the_end(bert_dir, tmp_path, claim):
    texts = [article(2100, keyword_at=at, seed=4) for at in (2099, 0, 1050)]
    p = alert(detector(bert_dir, tmp_path, "head_tail"), texts, claim)
    assert p[0] > 0.99 and p[1] > 0.99  # the end and the start survive
    assert p[2] < 0.01                  # the middle of a long article is cut


# ---- (d) the strategy is part of the run's record ------------------------------------------
@pytest.mark.slow
def test_long_text_is_logged_and_evaluate_can_override_it(workdir, tiny_topic_dir):
    uri = tracking_uri(workdir)
    common = ["data=jsonl", f"data.path={tiny_topic_dir}", f"tracking.uri={uri}"]
    train(compose_cfg("train", [*common, *TINY_BERT, "long_text=chunks", "long_text.max_chunks=4",
                                "model.training.num_train_epochs=1"]))
    client = MlflowClient(uri)
    exp = client.get_experiment_by_name("arnews-topic-jsonl").experiment_id
    run = client.search_runs([exp])[0]
    assert run.data.tags["long_text"] == "chunks"
    assert run.data.params["long_text.strategy"] == "chunks"

    model_uri = run.data.tags["model_uri"]  # runs:/<run_id>/<task>-<model>
    kept = evaluate(compose_cfg("evaluate", [f"model_uri={model_uri}", *common]))
    assert kept == pytest.approx(run.data.metrics["test/macro_f1"])
    evaluate(compose_cfg("evaluate", [f"model_uri={model_uri}", *common, "long_text=head"]))
    evals = client.search_runs([exp], "tags.evaluation = 'true'",
                               order_by=["attributes.start_time ASC"])
    assert [e.data.tags["long_text"] for e in evals] == ["chunks", "head"]
