"""Claim–article pair features for the classical stance models (``stance_models``).

Beyond ``pair_features``' per-side TF-IDF and similarity block:

- :class:`PairCounts`: raw overlap counts, refuting/hedging cues and negations on *each*
  side and their difference, and numbers of one side missing from the other;
- :class:`PairInteraction`: in one TF-IDF space fitted on both sides, the elementwise
  product of claim and article vectors and the n-grams found on one side only, as sparse
  blocks a linear model weighs n-gram by n-gram;
- :class:`TargetCross`: the article's TF-IDF crossed with the target, for datasets
  with a handful of targets (Mawqif);
- :func:`dense_pair_features`: PairSimilarity and PairCounts, standardised.

Every piece is a module-level class, so a fitted Pipeline pickles with joblib.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.pipeline import FeatureUnion, make_pipeline
from sklearn.preprocessing import StandardScaler

from arnews.errors import ArnewsError
from arnews.models.pair_features import (_NORMALIZE, _TOKEN, PairSimilarity, _char_tfidf, _cue_pattern,
                                         _word_tfidf, content_tokens, count_cues, require_pair)

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
