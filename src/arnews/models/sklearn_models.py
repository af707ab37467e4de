"""scikit-learn baselines behind the Classifier interface.

Each baseline is a Pipeline built by a factory (``tfidf_logreg``, ``majority``, ...)
that takes ``multi_label``, so that one config serves topics (one-vs-rest) and
single-label tasks alike. ``conf/model`` names ``sklearn_classifier`` with one of them
as its ``pipeline``. Nothing here imports torch or transformers.

>>> from arnews.models.base import ModelContext
>>> from arnews.tasks.inputs import Inputs
>>> clf = sklearn_classifier(ModelContext(["a", "b"], False), pipeline=tfidf_logreg)
>>> _ = clf.fit(Inputs(["قط", "كلب"] * 3), np.array([0, 1] * 3), Inputs(["قط"]), np.array([0]))
>>> clf.predict_scores(Inputs(["قط"])).shape
(1, 2)
"""
from __future__ import annotations

import sys
from pathlib import Path

import joblib
import numpy as np
from scipy.special import expit, softmax
from sklearn.dummy import DummyClassifier
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression, RidgeClassifier
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import FeatureUnion, Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.svm import LinearSVC
from sklearn.utils._param_validation import InvalidParameterError

from arnews.models.base import Classifier, ModelContext
from arnews.errors import ArnewsError
from arnews.models.settings import bad_pipeline_parameter
from arnews.tasks.inputs import Inputs


def _joined(frame):
    """Single-text baselines read the pair as one text (claim, then article)."""
    if "second" in frame:
        return (frame["first"] + "\n" + frame["second"]).tolist()
    return frame["first"].tolist()


def tfidf_features(word_ngrams=(1, 2), char_ngrams=(2, 5), max_features=50000, min_df=1):
    """Word and character n-gram TF-IDF; characters catch Arabic clitics and affixes."""
    return make_pipeline(
        FunctionTransformer(_joined),
        FeatureUnion([
            ("word", TfidfVectorizer(ngram_range=tuple(word_ngrams), max_features=max_features,
                                     min_df=min_df, sublinear_tf=True)),
            ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=tuple(char_ngrams),
                                     max_features=max_features, min_df=min_df, sublinear_tf=True)),
        ]),
    )


def _wrap(estimator, multi_label: bool):
    return OneVsRestClassifier(estimator) if multi_label else estimator


def tfidf_logreg(multi_label: bool, C: float = 10.0, class_weight="balanced", **features):
    """TF-IDF (word + char n-grams) → logistic regression."""
    clf = LogisticRegression(C=C, max_iter=2000, class_weight=class_weight)
    return Pipeline([("tfidf", tfidf_features(**features)), ("clf", _wrap(clf, multi_label))])


def tfidf_svm(multi_label: bool, C: float = 1.0, class_weight="balanced", **features):
    """TF-IDF (word + char n-grams) → linear SVM; margins are squashed into scores."""
    clf = LinearSVC(C=C, class_weight=class_weight)
    return Pipeline([("tfidf", tfidf_features(**features)), ("clf", _wrap(clf, multi_label))])


def tfidf_union(multi_label: bool, classifier: str = "svm", C: float = 0.1,
                class_weight="balanced", word_ngrams=(1, 2), char_ngrams=(2, 5),
                char_analyzer: str = "char_wb", max_features=None, min_df: int = 2,
                max_df: float = 1.0, word_weight: float = 1.0, char_weight: float = 1.0):
    """Word ⊕ char TF-IDF (FeatureUnion, each block weighted) → a tuned linear model.

    Unlike ``tfidf_logreg`` (kept as it was for earlier studies) the vocabulary is not
    capped by default (``max_features: null``) and rare n-grams are cut by ``min_df``;
    ``classifier`` is ``svm`` (LinearSVC; scores are its margins squashed by softmax
    or sigmoid), ``logreg`` or ``ridge`` (RidgeClassifier, one-vs-rest least squares).
    """
    features = Pipeline([
        ("text", FunctionTransformer(_joined)),
        ("union", FeatureUnion([
            ("word", TfidfVectorizer(ngram_range=tuple(word_ngrams), max_features=max_features,
                                     min_df=min_df, max_df=max_df, sublinear_tf=True)),
            ("char", TfidfVectorizer(analyzer=char_analyzer, ngram_range=tuple(char_ngrams),
                                     max_features=max_features, min_df=min_df, max_df=max_df,
                                     sublinear_tf=True)),
        ], transformer_weights={"word": word_weight, "char": char_weight})),
    ])
    if classifier == "svm":
        clf = LinearSVC(C=C, class_weight=class_weight)
    elif classifier == "logreg":
        clf = LogisticRegression(C=C, max_iter=3000, class_weight=class_weight)
    elif classifier == "ridge":
        clf = RidgeClassifier(alpha=1.0 / C, class_weight=class_weight)
    else:
        raise ArnewsError(f"model.pipeline.classifier={classifier}: choose svm, logreg or ridge")
    return Pipeline([("tfidf", features), ("clf", _wrap(clf, multi_label))])


def _no_features(frame):
    return np.zeros((len(frame), 1))


def majority(multi_label: bool):
    """Predicts the training prior: the most frequent class, or each label's majority."""
    clf = DummyClassifier(strategy="prior")
    return Pipeline([("text", FunctionTransformer(_no_features)),
                     ("clf", _wrap(clf, multi_label))])


def sklearn_classifier(context: ModelContext, pipeline, name: str = "",
                       tune_thresholds: bool = True) -> "SklearnClassifier":
    """The Classifier for ``pipeline``, a factory called with ``multi_label``, or a
    ``functools.partial`` of one (what Hydra makes of ``model.pipeline``)."""
    settings = dict(getattr(pipeline, "keywords", {}))  # the model.pipeline keys, for errors
    try:
        built = pipeline(multi_label=context.multi_label)
    except TypeError as exc:
        raise ArnewsError(f"model.pipeline: {exc}; fix the override or conf/model/{name or '<model>'}.yaml") from None
    classifier = SklearnClassifier(built, context.labels, context.multi_label, settings=settings)
    classifier.tune_thresholds = tune_thresholds
    # A factory's module may need more to unpickle its pipeline (tfidf_pair: a stemmer).
    factory = getattr(pipeline, "func", pipeline)
    extra = getattr(sys.modules.get(factory.__module__), "SERVING_REQUIREMENTS", ())
    classifier.requirements = classifier.requirements + tuple(extra)
    return classifier


class SklearnClassifier(Classifier):
    """Adapter from a scikit-learn Pipeline to the Classifier interface."""

    kind = "sklearn"
    requirements = ("scikit-learn", "scipy", "joblib")

    def __init__(self, pipeline, labels, multi_label, settings: dict | None = None):
        super().__init__(labels, multi_label)
        self.pipeline = pipeline
        self.settings = settings or {}  # the model.pipeline config, for error messages

    def fit(self, train, y_train, dev, y_dev, log_metrics=None, resume=False):
        try:
            self.pipeline.fit(train.to_frame(), y_train)
        except InvalidParameterError as exc:  # sklearn checks parameters only here
            raise bad_pipeline_parameter(exc, self.settings) from None
        self._tune_on_dev(dev, y_dev)
        return self

    def _tune_on_dev(self, dev, y_dev) -> None:
        """A final step with ``tune_on_dev`` (stance_models.PriorShift: class offsets)
        gets the dev features and labels after fit: selection on dev, as thresholds are."""
        final = self.pipeline.steps[-1][1] if isinstance(self.pipeline, Pipeline) else None
        if final is None or not hasattr(final, "tune_on_dev") or dev is None or not len(dev):
            return
        final.tune_on_dev(self.pipeline[:-1].transform(dev.to_frame()), np.asarray(y_dev))

    def predict_scores(self, inputs: Inputs) -> np.ndarray:
        frame = inputs.to_frame()
        if hasattr(self.pipeline, "predict_proba"):
            scores = self.pipeline.predict_proba(frame)
        else:
            margins = self.pipeline.decision_function(frame)
            if margins.ndim == 1:  # binary single-label: margin of the positive class
                margins = np.stack([-margins, margins], axis=1)
            scores = expit(margins) if self.multi_label else softmax(margins, axis=1)
        return self._align(np.asarray(scores))

    def _align(self, scores):
        """Put columns in label order, with zeros for classes train never saw."""
        if self.multi_label:
            return scores
        classes = list(self.pipeline.classes_)
        out = np.zeros((scores.shape[0], len(self.labels)))
        out[:, classes] = scores
        return out

    def _save_weights(self, path: Path) -> None:
        joblib.dump(self.pipeline, path / "pipeline.joblib")

    @classmethod
    def load(cls, path: Path, meta: dict) -> "SklearnClassifier":
        return cls(joblib.load(path / "pipeline.joblib"), meta["labels"], meta["multi_label"])
