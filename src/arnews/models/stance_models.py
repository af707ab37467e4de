"""Stronger classical stance models, built on the pieces of ``pair_features``.

``pair_linear`` (``model=pair_linear``) reads the pair frame of ``Inputs.to_frame()``
(``first`` = claim or target, ``second`` = article) and joins:

- the **per-side TF-IDF** blocks of ``tfidf_pair`` (word and char n-grams of each side,
  each side fitted on its own distinct texts; ``pair_features.pair_features``),
- **interactions** (:class:`PairInteraction`): in one TF-IDF space fitted on both sides,
  the elementwise product of the claim and article vectors (the n-grams they share,
  weighted) and the n-grams found on one side only (what the article changed: "rose"
  became "fell", a negation appeared), as sparse blocks a linear model can weigh n-gram
  by n-gram, which a single cosine cannot;
- the dense **similarity** and **cue** features: ``PairSimilarity`` (cosines, overlap,
  refuting/hedging cues in the article) and ``PairCounts`` (raw overlap counts, cues and
  negations on *each* side and their difference, numbers that do not match),
  standardised so that one weight scales them against the TF-IDF blocks
  (the feature transformers live in :mod:`.pair_interactions`);

then a linear model: logistic regression, or a linear SVM calibrated into
probabilities (``CalibratedClassifierCV``), with ``class_weight``. The final step is
:class:`PriorShift`: per-class log-score offsets, zero after ``fit``, that the
Classifier tunes on dev (``tune_on_dev``) to maximise dev macro-F1, the threshold
analogue for a rare single-label class (Baly's disagree).

``pair_hgb`` is scikit-learn's HistGradientBoostingClassifier on the dense features
only (similarity, counts, and the out-of-fold probabilities of a word/char TF-IDF
logistic regression, so the trees see the text too).

Every piece is a module-level class or function, so the fitted Pipeline pickles with
joblib and serves with scikit-learn and snowballstemmer only.

>>> import pandas as pd
>>> frame = pd.DataFrame({"first": ["الوزير استقال", "الوزير استقال"] * 4,
...                       "second": ["نفى الوزير أنه استقال", "استقال الوزير اليوم"] * 4})
>>> pipe = pair_linear(multi_label=False, char_ngrams=(2, 3)).fit(frame, [0, 1] * 4)
>>> pipe.predict_proba(frame).shape
(8, 2)
"""
from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin, clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.svm import LinearSVC

from arnews.errors import ArnewsError
from arnews.models.pair_features import PairSimilarity, _char_tfidf, _word_tfidf, require_pair, side_features
from arnews.models.pair_interactions import PairCounts, PairInteraction, TargetCross, dense_pair_features

# What a logged model of this module needs beyond scikit-learn (see sklearn_models).
SERVING_REQUIREMENTS = ("snowballstemmer",)

class PriorShift(ClassifierMixin, BaseEstimator):
    """A probabilistic classifier whose class scores are shifted by per-class log offsets.

    ``fit`` fits ``estimator`` and sets the offsets to zero (plain argmax).
    ``tune_on_dev(X, y)`` then chooses the offsets that maximise macro-F1 on dev, by
    coordinate search over a grid, one class at a time, a few rounds; ties keep the
    smaller shift. Scores stay a distribution: ``p * exp(offset)``, renormalised.

    >>> import numpy as np
    >>> X = np.r_[np.zeros((8, 1)), np.ones((2, 1))]
    >>> y = np.r_[np.zeros(8, int), np.ones(2, int)]
    >>> clf = PriorShift(LogisticRegression(C=0.1)).fit(X, y)
    >>> clf.predict(X).tolist() == [0] * 10   # the rare class is never chosen
    True
    >>> clf.tune_on_dev(X, y).predict(X).tolist() == y.tolist()
    True
    """

    def __init__(self, estimator, tune: bool = True, candidates: int = 64, max_shift: float = 5.0,
                 rounds: int = 3):
        self.estimator = estimator
        self.tune = tune
        self.candidates = candidates
        self.max_shift = max_shift
        self.rounds = rounds

    def fit(self, X, y, **fit_params):
        self.estimator_ = clone(self.estimator).fit(X, y, **fit_params)
        self.classes_ = self.estimator_.classes_
        self.offsets_ = np.zeros(len(self.classes_))
        return self

    def _log_scores(self, X):
        return np.log(np.clip(self.estimator_.predict_proba(X), 1e-12, None))

    def tune_on_dev(self, X, y):
        """Choose the offsets on dev (a no-op when ``tune`` is off or dev has one class).

        For class k the candidates are where some dev decision flips (the gap between
        the best other class and k, at up to ``candidates`` quantiles, within
        ±``max_shift``), so the search is exact on small dev sets and coarse on big ones.
        """
        y = np.asarray(y)
        known = np.isin(y, self.classes_)  # a dev label train never saw cannot be chosen
        if not self.tune or known.sum() == 0 or len(set(y[known])) < 2:
            return self
        logp = self._log_scores(X[known])
        target = np.searchsorted(self.classes_, y[known])
        n_classes = len(self.classes_)
        offsets = np.zeros(n_classes)
        best = _macro_f1(target, logp.argmax(axis=1), n_classes)
        for _ in range(self.rounds):
            improved = False
            for k in range(1, n_classes):  # class 0 is the reference
                shifted = logp + offsets
                others = np.delete(shifted, k, axis=1).max(axis=1)
                gaps = np.unique(np.clip(others - logp[:, k], -self.max_shift, self.max_shift))
                if len(gaps) > self.candidates:
                    gaps = np.quantile(gaps, np.linspace(0, 1, self.candidates))
                for value in sorted(np.r_[gaps + 1e-6, offsets[k]], key=abs):
                    trial = offsets.copy()
                    trial[k] = value
                    s = _macro_f1(target, (logp + trial).argmax(axis=1), n_classes)
                    if s > best + 1e-9:
                        best, offsets, improved = s, trial, True
            if not improved:
                break
        self.offsets_ = offsets
        self.dev_macro_f1_ = best
        return self

    def predict_proba(self, X):
        shifted = self._log_scores(X) + self.offsets_
        shifted -= shifted.max(axis=1, keepdims=True)
        p = np.exp(shifted)
        return p / p.sum(axis=1, keepdims=True)

    def predict(self, X):
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


def _macro_f1(target: np.ndarray, predicted: np.ndarray, n_classes: int) -> float:
    """Macro-F1 over ``n_classes`` (a class never seen nor predicted scores 0), fast."""
    cm = np.bincount(target * n_classes + predicted, minlength=n_classes ** 2).reshape(n_classes, n_classes)
    tp = np.diag(cm).astype(float)
    denom = cm.sum(axis=0) + cm.sum(axis=1)
    return float(np.mean(np.divide(2 * tp, denom, out=np.zeros(n_classes), where=denom > 0)))


def linear_model(classifier: str, C: float, class_weight, calibration_folds: int = 3):
    """``logreg`` (already calibrated log-loss) or ``svm`` (LinearSVC + sigmoid calibration)."""
    if classifier == "logreg":
        return LogisticRegression(C=C, max_iter=3000, class_weight=class_weight)
    if classifier == "svm":
        return CalibratedClassifierCV(LinearSVC(C=C, class_weight=class_weight),
                                      method="sigmoid", cv=calibration_folds)
    raise ArnewsError(f"model.pipeline.classifier={classifier}: choose logreg or svm")


def pair_linear(multi_label: bool, C: float = 1.0, classifier: str = "logreg",
                class_weight="balanced", sides: bool = True, sides_weight: float = 1.0,
                interaction_blocks=("product", "only"), interaction_weight: float = 1.0,
                dense_weight: float = 0.3, tune_priors: bool = True,
                word_ngrams=(1, 2), char_ngrams=(2, 5), max_features=50000, min_df=1,
                interaction_char_ngrams=(2, 4), interaction_min_df: int = 2,
                target_cross_weight: float = 1.0, max_targets: int = 20):
    """Per-side TF-IDF ⊕ interactions ⊕ dense pair features → calibrated linear model.

    Weights scale each block against the others (TF-IDF rows are unit length, dense
    columns are standardised). ``interaction_blocks: []`` or ``sides: false`` drops a
    block, so the search can find which ones earn their place.
    """
    if multi_label:
        raise ArnewsError("model=pair_linear is a single-label stance model; use task=stance")
    parts, weights = [], {}
    if sides:
        parts.append(("sides", side_features(word_ngrams, char_ngrams, max_features, min_df)))
        weights["sides"] = sides_weight
    if interaction_blocks:
        parts.append(("interaction", PairInteraction(char_ngrams=interaction_char_ngrams,
                                                     max_features=max_features,
                                                     min_df=interaction_min_df,
                                                     blocks=tuple(interaction_blocks))))
        weights["interaction"] = interaction_weight
    if target_cross_weight:
        parts.append(("target_cross", TargetCross(word_ngrams, char_ngrams, max_features, min_df,
                                                  max_targets=max_targets)))
        weights["target_cross"] = target_cross_weight
    parts.append(("dense", dense_pair_features()))
    weights["dense"] = dense_weight
    clf = PriorShift(linear_model(classifier, C, class_weight), tune=tune_priors)
    return Pipeline([("pair", FunctionTransformer(require_pair)),
                     ("features", FeatureUnion(parts, transformer_weights=weights)),
                     ("clf", clf)])


class TextProbabilities(TransformerMixin, BaseEstimator):
    """A word/char TF-IDF logistic regression on the joined pair, as k probability columns.

    On the training data the columns are out-of-fold (``folds``-fold
    cross_val_predict), so the model stacked on top sees honest probabilities.
    """

    def __init__(self, C: float = 3.0, folds: int = 5, char_ngrams=(2, 5), max_features=50000,
                 class_weight="balanced"):
        self.C = C
        self.folds = folds
        self.char_ngrams = char_ngrams
        self.max_features = max_features
        self.class_weight = class_weight

    def _pipe(self):
        from sklearn.compose import ColumnTransformer
        sides = ColumnTransformer([
            ("claim_char", _char_tfidf(self.char_ngrams, self.max_features, 1), "first"),
            ("article_char", _char_tfidf(self.char_ngrams, self.max_features, 1), "second"),
            ("article_word", _word_tfidf((1, 2), self.max_features, 1), "second"),
        ])
        return Pipeline([("tfidf", sides),
                         ("clf", LogisticRegression(C=self.C, max_iter=3000, class_weight=self.class_weight))])

    def fit(self, frame, y):
        self.fit_transform(frame, y)
        return self

    def fit_transform(self, frame, y=None, **fit_params):
        frame = require_pair(frame)
        y = np.asarray(y)
        folds = min(self.folds, int(np.bincount(np.unique(y, return_inverse=True)[1]).min()))
        self.pipe_ = self._pipe().fit(frame, y)
        if folds < 2:
            return self.pipe_.predict_proba(frame)
        cv = StratifiedKFold(folds, shuffle=True, random_state=0)
        return cross_val_predict(self._pipe(), frame, y, cv=cv, method="predict_proba")

    def transform(self, frame):
        return self.pipe_.predict_proba(require_pair(frame))


def pair_hgb(multi_label: bool, learning_rate: float = 0.05, max_iter: int = 300,
             max_leaf_nodes: int = 15, l2_regularization: float = 1.0, class_weight="balanced",
             text_probabilities: bool = True, text_C: float = 3.0, text_folds: int = 5,
             char_ngrams=(2, 5), tune_priors: bool = True, random_state: int = 0):
    """Gradient-boosted trees on the dense pair features (+ stacked text probabilities)."""
    if multi_label:
        raise ArnewsError("model=pair_hgb is a single-label stance model; use task=stance")
    parts = [("similarity", PairSimilarity()), ("counts", PairCounts())]
    if text_probabilities:
        parts.append(("text", TextProbabilities(C=text_C, folds=text_folds, char_ngrams=char_ngrams)))
    clf = HistGradientBoostingClassifier(learning_rate=learning_rate, max_iter=max_iter,
                                         max_leaf_nodes=max_leaf_nodes,
                                         l2_regularization=l2_regularization,
                                         class_weight=class_weight, random_state=random_state)
    return Pipeline([("pair", FunctionTransformer(require_pair)),
                     ("features", FeatureUnion(parts)),
                     ("clf", PriorShift(clf, tune=tune_priors))])
