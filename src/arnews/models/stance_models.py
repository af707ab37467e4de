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
  refuting/hedging cues in the article) and :class:`PairCounts` (raw overlap counts,
  cues and negations on *each* side and their difference, numbers that do not match),
  standardised so that one weight scales them against the TF-IDF blocks;

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

import re

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin, clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import FeatureUnion, Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sklearn.svm import LinearSVC

from arnews.errors import ArnewsError
from arnews.models.pair_features import (_NORMALIZE, _TOKEN, PairSimilarity, UniqueTexts, _char_tfidf,
                                         _cue_pattern, _word_tfidf, content_tokens, count_cues,
                                         require_pair, side_features)
from arnews.models.sklearn_models import _wrap

# What a logged model of this module needs beyond scikit-learn (see sklearn_models).
SERVING_REQUIREMENTS = ("snowballstemmer",)

# Negation particles and verbs, normalised and matched with clitics like the cue words.
NEGATION_CUES = ("لا", "لم", "لن", "ليس", "ليست", "غير", "دون", "بدون", "عدم", "نفى", "نفت",
                 "ينفي", "تنفي", "رفض", "رفضت", "يرفض", "ترفض")
_NEGATION = _cue_pattern(NEGATION_CUES)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


def count_negations(text: str) -> int:
    """Negation particles and verbs in ``text``, with their clitics.

    >>> count_negations("ولم يعلن الوزير استقالته ولا نيته الرحيل")
    2
    """
    return len(_NEGATION.findall(_NORMALIZE(text)))


def _numbers(text: str) -> set[str]:
    # Eastern Arabic digits are folded to ASCII by str.translate on their Unicode values.
    return set(_NUMBER.findall(text.translate(_DIGITS)))


_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "0123456789" * 2)


class PairCounts(TransformerMixin, BaseEstimator):
    """Dense overlap counts and cues on both sides of a pair, one row per pair.

    ``PairSimilarity`` gives shares and the article's cues; these are the raw counts
    behind them and the claim side as well, since a contradiction (ANS, Baly's
    disagree) often shows as a cue or negation on one side only. Columns: see
    ``get_feature_names_out``.

    >>> f = pd.DataFrame({"first": ["ارتفاع النفط 5 بالمئة"], "second": ["لم يرتفع النفط 7 بالمئة"]})
    >>> row = dict(zip(PairCounts().get_feature_names_out(), PairCounts().fit_transform(f)[0]))
    >>> [float(row[k]) for k in ("negation_diff", "numbers_unmatched", "shared_tokens")]
    [1.0, 1.0, 2.0]
    """

    def fit(self, frame, y=None):
        require_pair(frame)
        return self

    def __sklearn_is_fitted__(self):  # stateless: learns nothing in fit
        return True

    def transform(self, frame):
        frame = require_pair(frame)
        info = {t: self._side(t) for t in pd.unique(pd.concat([frame["first"], frame["second"]]))}
        rows = [self._row(info[c], info[a]) for c, a in zip(frame["first"], frame["second"])]
        return np.asarray(rows, dtype=float).reshape(len(frame), -1)

    @staticmethod
    def _side(text: str):
        tokens = set(content_tokens(text))
        refute, hedge = count_cues(text)
        return tokens, refute, hedge, count_negations(text), _numbers(text), len(_TOKEN.findall(text))

    @staticmethod
    def _row(claim, article) -> list[float]:
        c_tok, c_ref, c_hedge, c_neg, c_num, c_len = claim
        a_tok, a_ref, a_hedge, a_neg, a_num, a_len = article
        return [len(c_tok & a_tok), len(c_tok - a_tok), len(a_tok - c_tok),
                c_ref, a_ref, a_ref - c_ref, c_hedge, a_hedge,
                c_neg, a_neg, a_neg - c_neg, float((c_neg > 0) != (a_neg > 0)),
                len(c_num - a_num), float(bool(c_num) and not (c_num & a_num)),
                np.log1p(c_len), np.log1p(a_len)]

    def get_feature_names_out(self, input_features=None):
        return np.array(["shared_tokens", "claim_only_tokens", "article_only_tokens",
                         "claim_refuting", "article_refuting", "refuting_diff",
                         "claim_hedging", "article_hedging", "claim_negation",
                         "article_negation", "negation_diff", "negation_mismatch",
                         "numbers_unmatched", "no_number_matches", "log_claim_tokens",
                         "log_article_tokens"], dtype=object)


class PairInteraction(TransformerMixin, BaseEstimator):
    """Sparse claim × article interactions in one shared word + char TF-IDF space.

    ``blocks`` picks any of ``product`` (elementwise product of the two L2-normalised
    vectors: the shared n-grams, weighted; its row sum is the cosine) and ``only``
    (the n-grams on one side only, ``max(claim - article, 0)`` and
    ``max(article - claim, 0)`` as two blocks).

    >>> f = pd.DataFrame({"first": ["ارتفاع النفط"], "second": ["انخفاض النفط"]})
    >>> inter = PairInteraction(char_ngrams=None, min_df=1).fit(f)
    >>> x = inter.transform(f)
    >>> [name for name, v in zip(inter.get_feature_names_out(), x.toarray()[0]) if v > 0]
    ['product__word__النفط', 'claim_only__word__ارتفاع', 'article_only__word__انخفاض']
    """

    def __init__(self, word_ngrams=(1, 1), char_ngrams=(2, 4), max_features=50000, min_df=2,
                 blocks=("product", "only")):
        self.word_ngrams = word_ngrams
        self.char_ngrams = char_ngrams
        self.max_features = max_features
        self.min_df = min_df
        self.blocks = blocks

    def fit(self, frame, y=None):
        frame = require_pair(frame)
        unknown = set(self.blocks) - {"product", "only"}
        if unknown or not self.blocks:
            raise ArnewsError(f"model.pipeline.interaction_blocks={list(self.blocks)}: choose from "
                              "product, only (at least one)")
        both = pd.concat([frame["first"], frame["second"]], ignore_index=True)
        self.spaces_ = []
        if self.word_ngrams:
            self.spaces_.append(("word", _word_tfidf(self.word_ngrams, self.max_features, self.min_df).fit(both)))
        if self.char_ngrams:
            self.spaces_.append(("char", _char_tfidf(self.char_ngrams, self.max_features, self.min_df).fit(both)))
        return self

    def transform(self, frame):
        frame = require_pair(frame)
        a = sp.hstack([s.transform(frame["first"]) for _, s in self.spaces_]).tocsr()
        b = sp.hstack([s.transform(frame["second"]) for _, s in self.spaces_]).tocsr()
        from sklearn.preprocessing import normalize
        a, b = normalize(a), normalize(b)
        out = []
        if "product" in self.blocks:
            out.append(a.multiply(b))
        if "only" in self.blocks:
            diff = (a - b).tocsr()
            out += [diff.maximum(0), (-diff).maximum(0)]
        return sp.hstack(out).tocsr()

    def get_feature_names_out(self, input_features=None):
        names = np.concatenate([[f"{kind}__{n}" for n in s.get_feature_names_out()]
                                for kind, s in self.spaces_])
        prefixes = (["product"] if "product" in self.blocks else []) + \
                   (["claim_only", "article_only"] if "only" in self.blocks else [])
        return np.array([f"{p}__{n}" for p in prefixes for n in names], dtype=object)


class TargetCross(TransformerMixin, BaseEstimator):
    """The article's word + char TF-IDF, one copy per target: target-specific weights.

    Target stance (Mawqif: 3 targets) is a different task per target: the words that
    favour a vaccine are not those that favour women's empowerment, and a shared linear
    model must average them. Crossing the article vector with the target gives each
    target its own weights (next to the shared ones of the per-side block). With more
    than ``max_targets`` distinct claims (claim stance: every claim is new) it adds no
    columns. Rows whose target train never saw get zeros.

    >>> f = pd.DataFrame({"first": ["لقاح", "لقاح", "المرأة"], "second": ["مفيد", "خطير", "تمكين"]})
    >>> TargetCross(char_ngrams=None).fit(f).transform(f).shape
    (3, 6)
    >>> TargetCross(max_targets=1).fit(f).transform(f).shape
    (3, 0)
    """

    def __init__(self, word_ngrams=(1, 2), char_ngrams=(2, 5), max_features=50000, min_df=1,
                 max_targets: int = 20):
        self.word_ngrams = word_ngrams
        self.char_ngrams = char_ngrams
        self.max_features = max_features
        self.min_df = min_df
        self.max_targets = max_targets

    def fit(self, frame, y=None):
        frame = require_pair(frame)
        targets = pd.unique(frame["first"])
        self.targets_ = list(targets) if len(targets) <= self.max_targets else []
        self.spaces_ = []
        if self.targets_:
            if self.word_ngrams:
                self.spaces_.append(_word_tfidf(self.word_ngrams, self.max_features, self.min_df).fit(frame["second"]))
            if self.char_ngrams:
                self.spaces_.append(_char_tfidf(self.char_ngrams, self.max_features, self.min_df).fit(frame["second"]))
        return self

    def transform(self, frame):
        frame = require_pair(frame)
        if not self.targets_:
            return sp.csr_matrix((len(frame), 0))
        x = sp.hstack([s.transform(frame["second"]) for s in self.spaces_]).tocsr()
        blocks = [sp.diags((frame["first"].to_numpy() == t).astype(float)) @ x for t in self.targets_]
        return sp.hstack(blocks).tocsr()


def dense_pair_features():
    """PairSimilarity ⊕ PairCounts, standardised: the dense half of the pair models."""
    return make_pipeline(FeatureUnion([("similarity", PairSimilarity()), ("counts", PairCounts())]),
                         StandardScaler())


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
