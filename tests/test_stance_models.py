"""The stronger classical models (study 06): pair_linear, pair_hgb, tfidf_union, and the
pieces they add (interactions, counts, target crossing, dev-tuned class offsets).

    python -m pytest tests/test_stance_models.py -q
"""
from __future__ import annotations

import functools

import mlflow
import numpy as np
import pandas as pd
import pytest
from hydra.utils import instantiate

from arnews.data.demo import read_demo
from arnews.models import load_classifier
from arnews.models.base import ModelContext
from arnews.models.sklearn_models import sklearn_classifier, tfidf_union
from arnews.models.pair_interactions import PairCounts, PairInteraction, TargetCross, count_negations
from arnews.models.stance_models import PriorShift, pair_hgb, pair_linear
from arnews.tasks import Inputs
from conftest import compose_cfg, tracking_uri, train_on_jsonl

STANCE = ["agree", "disagree", "discuss", "unrelated"]


def _demo_pairs(split, n):
    rows = read_demo("stance")[split][:n]
    inputs = Inputs([r["claim"] for r in rows], [r["text"] for r in rows])
    return inputs, np.array([STANCE.index(r["stance"]) for r in rows])


@pytest.fixture(scope="module")
def demo_pairs():
    return _demo_pairs("train", 80), _demo_pairs("dev", 30)


def _fit(factory, demo_pairs, **settings):
    (train, y_train), (dev, y_dev) = demo_pairs
    clf = sklearn_classifier(ModelContext(STANCE, False), pipeline=functools.partial(factory, **settings))
    return clf.fit(train, y_train, dev, y_dev)


# ---- the pieces -------------------------------------------------------------------------
def test_negations_and_cues_are_counted_on_each_side():
    assert count_negations("لم يستقل الوزير ولا نائبه") == 2
    assert count_negations("استقال الوزير") == 0
    frame = pd.DataFrame({"first": ["نفت الوزارة الخبر", "ارتفع النفط 5%"],
                          "second": ["أكدت الوزارة الخبر", "ارتفع النفط ٥%"]})
    names = list(PairCounts().get_feature_names_out())
    rows = PairCounts().fit_transform(frame)
    first, second = (dict(zip(names, r)) for r in rows)
    assert first["claim_refuting"] == 1 and first["article_refuting"] == 0 and first["refuting_diff"] == -1
    # Eastern Arabic digits meet their ASCII form.
    assert second["numbers_unmatched"] == 0 and second["no_number_matches"] == 0
    assert rows.shape == (2, len(names))


def test_interactions_mark_shared_and_one_sided_ngrams():
    frame = pd.DataFrame({"first": ["ارتفاع اسعار النفط", "ارتفاع اسعار النفط"],
                          "second": ["انخفاض اسعار النفط", "ارتفاع اسعار النفط"]})
    inter = PairInteraction(char_ngrams=None, min_df=1).fit(frame)
    x = pd.DataFrame(inter.transform(frame).toarray(), columns=inter.get_feature_names_out())
    assert x.loc[0, "article_only__word__انخفاض"] > 0 and x.loc[0, "claim_only__word__ارتفاع"] > 0
    assert x.loc[1].filter(like="_only__").sum() == 0  # identical pair: nothing one-sided
    # The product block's row sum is the cosine: 1 for identical texts.
    assert x.loc[1].filter(like="product__").sum() == pytest.approx(1.0)
    with pytest.raises(Exception, match="product, only"):
        PairInteraction(blocks=("sum",)).fit(frame)


def test_target_cross_gives_each_target_its_own_columns():
    frame = pd.DataFrame({"first": ["لقاح", "المرأة", "مجهول"], "second": ["مفيد", "مفيد", "مفيد"]})
    cross = TargetCross(char_ngrams=None).fit(frame.iloc[:2])
    x = cross.transform(frame).toarray()
    assert x.shape == (3, 2) and x[0].tolist() == [1.0, 0.0] and x[1].tolist() == [0.0, 1.0]
    assert x[2].sum() == 0  # a target train never saw
    assert TargetCross(max_targets=1).fit(frame).transform(frame).shape == (3, 0)


def test_prior_shift_brings_back_a_rare_class_on_dev_only_when_asked():
    rng = np.random.default_rng(0)
    y = np.r_[np.zeros(95, int), np.ones(5, int)]
    X = (y + rng.normal(0, 0.6, len(y)))[:, None]
    from sklearn.linear_model import LogisticRegression

    plain = PriorShift(LogisticRegression(C=0.01), tune=False).fit(X, y).tune_on_dev(X, y)
    assert plain.offsets_.tolist() == [0.0, 0.0] and set(plain.predict(X)) == {0}
    tuned = PriorShift(LogisticRegression(C=0.01)).fit(X, y).tune_on_dev(X, y)
    assert tuned.offsets_[0] == 0 and tuned.offsets_[1] > 0 and 1 in set(tuned.predict(X))
    assert np.allclose(tuned.predict_proba(X).sum(axis=1), 1.0)
    # A dev label train never saw is ignored rather than mis-mapped.
    tuned.tune_on_dev(X[:3], np.array([0, 7, 1]))


# ---- the models through the Classifier path ------------------------------------------------
def test_pair_linear_tunes_offsets_on_dev_and_survives_save_and_load(demo_pairs, tmp_path):
    clf = _fit(pair_linear, demo_pairs, interaction_char_ngrams=(2, 3), char_ngrams=(2, 3))
    (train, _), (dev, y_dev) = demo_pairs
    offsets = clf.pipeline.steps[-1][1].offsets_
    assert offsets.shape == (4,) and offsets[0] == 0
    scores = clf.predict_scores(dev)
    assert scores.shape == (30, 4) and np.allclose(scores.sum(axis=1), 1.0)
    assert (scores.argmax(axis=1) == y_dev).mean() > 0.4  # learns something (4 classes)
    assert "snowballstemmer" in clf.requirements and "scikit-learn" in clf.requirements
    loaded = load_classifier(clf.save(tmp_path / "m"))
    assert np.allclose(loaded.predict_scores(dev), scores)


def test_pair_linear_without_offsets_is_the_plain_argmax(demo_pairs):
    clf = _fit(pair_linear, demo_pairs, tune_priors=False, classifier="svm", sides=True,
               interaction_blocks=["product"], char_ngrams=(2, 3), interaction_char_ngrams=(2, 3))
    assert clf.pipeline.steps[-1][1].offsets_.tolist() == [0.0] * 4
    assert clf.predict_scores(demo_pairs[1][0]).shape == (30, 4)


def test_pair_hgb_trains_on_dense_features_and_round_trips(demo_pairs, tmp_path):
    clf = _fit(pair_hgb, demo_pairs, max_iter=30, text_folds=3, char_ngrams=(2, 3))
    dev = demo_pairs[1][0]
    scores = clf.predict_scores(dev)
    assert scores.shape == (30, 4) and np.allclose(scores.sum(axis=1), 1.0)
    assert np.allclose(load_classifier(clf.save(tmp_path / "m")).predict_scores(dev), scores)


@pytest.mark.parametrize("classifier", ["svm", "logreg", "ridge"])
def test_tfidf_union_single_and_multi_label(classifier):
    texts = ["مباراة كرة القدم", "هدف في المباراة", "اسعار النفط", "البورصة والنفط"] * 3
    single = sklearn_classifier(ModelContext(["sport", "economy"], False),
                                pipeline=functools.partial(tfidf_union, classifier=classifier, min_df=1))
    single.fit(Inputs(texts), np.array([0, 0, 1, 1] * 3), Inputs(texts[:4]), np.array([0, 0, 1, 1]))
    scores = single.predict_scores(Inputs(["كرة القدم", "النفط"]))
    assert np.allclose(scores.sum(axis=1), 1.0) and scores.argmax(axis=1).tolist() == [0, 1]
    multi = sklearn_classifier(ModelContext(["a", "b"], True),
                               pipeline=functools.partial(tfidf_union, classifier=classifier, min_df=1))
    multi.fit(Inputs(texts), np.array([[1, 0], [1, 0], [0, 1], [1, 1]] * 3), Inputs(texts[:2]),
              np.array([[1, 0], [1, 0]]))
    assert multi.predict_scores(Inputs(["النفط"])).shape == (1, 2)


def test_new_model_configs_build_their_factories():
    for model, task in (("pair_linear", "stance"), ("pair_hgb", "stance"), ("tfidf_union", "topic")):
        cfg = compose_cfg("train", [f"task={task}", f"model={model}"])
        assert cfg.model.name == model
        pipe = instantiate(cfg.model.pipeline)(multi_label=False)
        assert hasattr(pipe, "fit") and pipe.steps[-1][0] == "clf"


# ---- through train.py and the logged model -------------------------------------------------
@pytest.mark.slow
def test_pair_linear_through_train_py_logs_a_servable_model(workdir, tiny_stance_dir):
    _, run, _ = train_on_jsonl(workdir, tiny_stance_dir, "task=stance", "model=pair_linear",
                               "model.pipeline.char_ngrams=[2,3]", "model.pipeline.interaction_char_ngrams=[2,3]")
    metrics = run.data.metrics
    assert run.info.status == "FINISHED" and run.data.tags["model"] == "pair_linear"
    assert 0.0 <= metrics["test/macro_f1"] <= 1.0 and "dev/f1_disagree" in metrics
    mlflow.set_tracking_uri(tracking_uri(workdir))
    out = mlflow.pyfunc.load_model(run.data.tags["model_uri"]).predict(
        pd.DataFrame({"claim": ["استقال الوزير"], "text": ["نفت الحكومة أن الوزير استقال"]}))
    assert list(out.columns) == ["labels"] + [f"score_{lab}" for lab in STANCE]
    assert out["labels"][0] in STANCE


@pytest.mark.slow
def test_tfidf_union_through_train_py(workdir, tiny_topic_dir):
    _, run, _ = train_on_jsonl(workdir, tiny_topic_dir, "model=tfidf_union", "model.pipeline.min_df=1")
    assert run.info.status == "FINISHED" and run.data.tags["model"] == "tfidf_union"
    assert 0.0 <= run.data.metrics["test/macro_f1"] <= 1.0
