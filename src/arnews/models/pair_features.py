"""Claim–article pair features for stance, in the style of the FNC-1 baseline.

``tfidf_pair`` (``model=tfidf_pair``) reads the DataFrame of ``Inputs.to_frame()``
(columns ``first`` = claim or target, ``second`` = article) and joins three blocks:

- **claim TF-IDF** and **article TF-IDF**, word and character n-grams, as separate
  feature blocks. Each side's vectorizers are fitted on that side's distinct texts
  only (a choice): claims are one short sentence, articles are long, so a shared fit
  would let articles set the idf of claim words and fill ``max_features`` with
  article n-grams. Distinct texts, because one article or claim sits in many pairs
  (:class:`UniqueTexts`);
- **similarity** (:class:`PairSimilarity`): cosine of claim and article in one
  *shared* TF-IDF space (word and char, fitted on both sides, since a cosine needs
  both vectors in the same space), Jaccard overlap of normalised tokens, the share
  of claim tokens (and bigrams) found in the article and in its lead, and refuting
  and hedging cue words in the article, as presence flags and rates per 100 tokens;

then a LogisticRegression (``class_weight`` balanced by default). Every piece is a
module-level function or estimator, so the Pipeline pickles with joblib.

>>> import pandas as pd
>>> frame = pd.DataFrame({"first": ["الوزير استقال", "الوزير استقال"] * 3,
...                       "second": ["نفى الوزير أنه استقال", "استقال الوزير اليوم"] * 3})
>>> pipe = tfidf_pair(multi_label=False, char_ngrams=(2, 3)).fit(frame, [0, 1] * 3)
>>> pipe.predict_proba(frame).shape
(6, 2)
>>> tfidf_pair(multi_label=False).fit(frame[["first"]], [0, 1] * 3)
Traceback (most recent call last):
...
arnews.errors.ArnewsError: model=tfidf_pair needs pair input (a claim or target and an article), but the input has no 'second' column; use it with task=stance, or pick model=tfidf_logreg for single-text tasks
"""
from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
import pandas as pd
import snowballstemmer
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import FunctionTransformer, normalize

from arnews.data.normalize import ArabicNormalizer
from arnews.errors import ArnewsError
from arnews.models.sklearn_models import _wrap

# Cue words, written as a reader would; they are normalised like the text before
# matching, so they match whether or not `normalize.enabled` is on.
REFUTING_CUES = (
    "نفى", "نفت", "نفوا", "ينفي", "تنفي", "ينفون", "نفي", "نفيا", "كذب", "كذبت", "كذبة",
    "تكذيب", "مزاعم", "ادعاءات", "شائعة", "شائعات", "عار عن الصحة", "غير صحيح",
    "غير صحيحة", "لا أساس", "لا صحة", "مفبرك", "مفبركة", "مضلل", "مضللة", "دحض", "فند",
    "فندت", "زائف", "زائفة", "كاذب", "كاذبة",
)
HEDGING_CUES = (
    "زعم", "زعمت", "مزعوم", "مزعومة", "يزعم", "يُزعم", "تزعم", "تقارير", "مصادر",
    "لم يتسن التحقق", "لم يتسن", "لم يتسنَّ", "غير مؤكد", "غير مؤكدة", "لم يؤكد", "لم تؤكد",
    "ربما", "قد يكون", "يعتقد", "يُعتقد", "بحسب", "وفقا", "نقلا عن", "مصدر مطلع",
)
# Clitics an Arabic word may carry in front (conjunction, preposition, article) and
# pronoun or inflection endings after; a cue matches with any of them.
_PREFIX = r"(?:و|ف)?(?:ب|ل|ك)?(?:ال|لل)?"
_SUFFIX = r"(?:ها|هم|هما|ه|ات|ة|ت|وا|ون|ين|ا)?"
_TOKEN = re.compile(r"\w+")
# The one normaliser of the project (arnews.data.normalize), every step on.
_NORMALIZE = ArabicNormalizer()
# Stop words, written as a reader would and normalised like the tokens they are
# compared with: the normaliser writes "على" as "علي", which a raw list never meets.
_STOPWORDS = frozenset(_NORMALIZE(w) for w in (
    "في من على الى عن ان او ثم التي الذي الذين هذا هذه ذلك تلك مع بين قد لا لم لن ما "
    "كان كانت هو هي هم و يا اي كل بعد قبل عند حتي اذا منذ خلال وقال قال وكان ايضا").split())
# Snowball's Arabic stemmer (snowballstemmer: maintained, pure Python, no dependencies;
# PyStemmer's C build of the same algorithm is used when installed). It strips
# clitics, the article and inflection endings, so "الحكومة", "للحكومة" and "حكومته"
# meet. tfidf_pair macro-F1 dev/test (seed 1) on the demo stance data, then ANS: the
# old hand-written prefix stripper .649/.592, .677/.474; no stemming .618/.561,
# .694/.551; Snowball .623/.586, .691/.599; Tashaphyne's light stemmer .654/.610,
# .689/.579 (as good within noise, but it needs PyArabic at run time and was last
# released in 2022).
_STEMMER = snowballstemmer.stemmer("arabic")
# What a logged tfidf_pair model needs beyond scikit-learn (arnews.models.sklearn_models).
SERVING_REQUIREMENTS = ("snowballstemmer",)


def _cue_pattern(cues) -> re.Pattern:
    forms = sorted({_NORMALIZE(c) for c in cues}, key=len, reverse=True)
    body = "|".join(r"\s+".join(map(re.escape, f.split())) for f in forms)
    return re.compile(rf"(?<!\w){_PREFIX}(?:{body}){_SUFFIX}(?!\w)")


_REFUTING = _cue_pattern(REFUTING_CUES)
_HEDGING = _cue_pattern(HEDGING_CUES)


@lru_cache(maxsize=200_000)
def _stem(token: str) -> str:
    """Snowball stem of one normalised token; cached, since news repeats its words."""
    return _STEMMER.stemWord(token)


def content_tokens(text: str) -> list[str]:
    """Normalised, stemmed tokens, stop words left out (before stemming, as listed).

    >>> content_tokens("قالت الحكومة للصحفيين إن الوزراء استقالوا")
    ['قال', 'حكوم', 'صحف', 'وزراء', 'استقال']
    """
    return [_stem(t) for t in _TOKEN.findall(_NORMALIZE(text)) if t not in _STOPWORDS]


def count_cues(text: str) -> tuple[int, int]:
    """(refuting, hedging) cue counts in ``text``.

    >>> count_cues("ونفت الوزارة هذه المزاعم، وقالت مصادر إنها شائعة")
    (3, 1)
    """
    text = _NORMALIZE(text)
    return len(_REFUTING.findall(text)), len(_HEDGING.findall(text))


def require_pair(frame):
    """Pass a pair frame through; reject single-text input with a clear message."""
    if not isinstance(frame, pd.DataFrame) or "second" not in frame.columns:
        raise ArnewsError("model=tfidf_pair needs pair input (a claim or target and an article), "
                         "but the input has no 'second' column; use it with task=stance, or "
                         "pick model=tfidf_logreg for single-text tasks")
    return frame


def _word_tfidf(ngrams, max_features, min_df):
    return UniqueTexts(TfidfVectorizer(ngram_range=tuple(ngrams), max_features=max_features,
                                       min_df=min_df, sublinear_tf=True))


def _char_tfidf(ngrams, max_features, min_df):
    return UniqueTexts(TfidfVectorizer(analyzer="char_wb", ngram_range=tuple(ngrams),
                                       max_features=max_features, min_df=min_df,
                                       sublinear_tf=True))


class UniqueTexts(TransformerMixin, BaseEstimator):
    """Run a text vectorizer once per distinct text.

    Stance data pairs one article with many claims (the demo: ~4 pairs per
    article), so this cuts the char n-gram work by that factor, and the idf counts
    each article once rather than once per pair.

    >>> UniqueTexts(TfidfVectorizer()).fit_transform(["قصف المدينة", "قصف المدينة", "هدنة"]).shape
    (3, 3)
    """

    def __init__(self, vectorizer):
        self.vectorizer = vectorizer

    def fit(self, texts, y=None):
        self.vectorizer_ = clone(self.vectorizer).fit(pd.unique(_as_series(texts)))
        return self

    def transform(self, texts):
        codes, uniques = pd.factorize(_as_series(texts))
        return self.vectorizer_.transform(uniques)[codes]

    def get_feature_names_out(self, input_features=None):
        return self.vectorizer_.get_feature_names_out()


def _as_series(texts) -> pd.Series:
    if isinstance(texts, pd.DataFrame):  # a ColumnTransformer given a column list
        texts = texts.iloc[:, 0]
    return pd.Series(list(texts), dtype=object)


class PairSimilarity(TransformerMixin, BaseEstimator):
    """Dense claim–article agreement features, one row per pair.

    Columns (see ``get_feature_names_out``): word and char TF-IDF cosine in a space
    fitted on claims and articles together; token Jaccard; share of claim tokens and
    claim bigrams found in the article; share of claim tokens in the article's first
    ``lead_tokens`` tokens; refuting and hedging cues in the article, each as a 0/1
    flag and a rate per 100 article tokens (so long articles do not count more).

    >>> import pandas as pd
    >>> f = pd.DataFrame({"first": ["الوزير استقال"], "second": ["نفت الحكومة أن الوزير استقال"]})
    >>> sim = PairSimilarity().fit(f)
    >>> dict(zip(sim.get_feature_names_out()[2:5], sim.transform(f)[0, 2:5].round(2).tolist()))
    {'jaccard': 0.5, 'claim_in_article': 1.0, 'claim_bigrams_in_article': 1.0}
    """

    def __init__(self, word_ngrams=(1, 1), char_ngrams=(2, 4), max_features=50000,
                 lead_tokens=60):
        self.word_ngrams = word_ngrams
        self.char_ngrams = char_ngrams
        self.max_features = max_features
        self.lead_tokens = lead_tokens

    def fit(self, frame, y=None):
        frame = require_pair(frame)
        both = pd.concat([frame["first"], frame["second"]], ignore_index=True)
        self.word_ = _word_tfidf(self.word_ngrams, self.max_features, 1).fit(both)
        self.char_ = _char_tfidf(self.char_ngrams, self.max_features, 1).fit(both)
        return self

    def transform(self, frame):
        frame = require_pair(frame)
        claims, articles = frame["first"], frame["second"]
        cols = [self._cosine(self.word_, claims, articles),
                self._cosine(self.char_, claims, articles)]
        c_info = {c: self._claim_info(c) for c in pd.unique(claims)}
        a_info = {a: self._article_info(a) for a in pd.unique(articles)}
        rows = [self._pair_row(c_info[c], a_info[a]) for c, a in zip(claims, articles)]
        return np.column_stack(cols + [np.asarray(rows, dtype=float).reshape(len(frame), -1)])

    @staticmethod
    def _cosine(vectorizer, claims, articles):
        a, b = normalize(vectorizer.transform(claims)), normalize(vectorizer.transform(articles))
        return np.asarray(a.multiply(b).sum(axis=1)).ravel()

    @staticmethod
    def _claim_info(claim: str):
        tokens = content_tokens(claim)
        return set(tokens), set(zip(tokens, tokens[1:]))

    def _article_info(self, article: str):
        tokens = content_tokens(article)
        refute, hedge = count_cues(article)
        per100 = 100.0 / max(len(_TOKEN.findall(article)), 1)
        return (set(tokens), set(zip(tokens, tokens[1:])), set(tokens[: self.lead_tokens]),
                [float(refute > 0), refute * per100, float(hedge > 0), hedge * per100])

    @staticmethod
    def _pair_row(claim, article) -> list[float]:
        (c_set, c_bi), (a_set, a_bi, lead, cues) = claim, article
        union, shared = c_set | a_set, c_set & a_set
        return [len(shared) / len(union) if union else 0.0,
                len(shared) / len(c_set) if c_set else 0.0,
                len(c_bi & a_bi) / len(c_bi) if c_bi else 0.0,
                len(c_set & lead) / len(c_set) if c_set else 0.0, *cues]

    def get_feature_names_out(self, input_features=None):
        return np.array(["cos_word", "cos_char", "jaccard", "claim_in_article",
                         "claim_bigrams_in_article", "claim_in_lead", "refuting", "refuting_per100",
                         "hedging", "hedging_per100"], dtype=object)


def side_features(word_ngrams=(1, 2), char_ngrams=(2, 5), max_features=50000, min_df=1):
    """Word and char TF-IDF of the claim and of the article, each side on its own texts."""
    return ColumnTransformer([
        ("claim_word", _word_tfidf(word_ngrams, max_features, 1), "first"),
        ("claim_char", _char_tfidf(char_ngrams, max_features, 1), "first"),
        # min_df applies to articles only: a word found in a single claim is often
        # that claim's key word, which the overlap with the article hinges on.
        ("article_word", _word_tfidf(word_ngrams, max_features, min_df), "second"),
        ("article_char", _char_tfidf(char_ngrams, max_features, min_df), "second"),
    ])


def pair_features(word_ngrams=(1, 2), char_ngrams=(2, 5), max_features=50000, min_df=1,
                  similarity_weight=1.0):
    """The feature half of ``tfidf_pair``: per-side TF-IDF ⊕ similarity features."""
    sides = side_features(word_ngrams, char_ngrams, max_features, min_df)
    return FeatureUnion([("sides", sides), ("similarity", PairSimilarity())],
                        transformer_weights={"sides": 1.0, "similarity": similarity_weight})


def tfidf_pair(multi_label: bool, C: float = 10.0, class_weight="balanced",
               similarity_weight: float = 1.0, **features):
    """Claim/article TF-IDF + similarity and cue features → logistic regression.

    ``features`` (word_ngrams, char_ngrams, max_features, min_df) shape the TF-IDF
    blocks as in ``tfidf_logreg``; ``similarity_weight`` scales the dense block
    against the sparse TF-IDF blocks.
    """
    clf = LogisticRegression(C=C, max_iter=2000, class_weight=class_weight)
    return Pipeline([("pair", FunctionTransformer(require_pair)),
                     ("features", pair_features(similarity_weight=similarity_weight, **features)),
                     ("clf", _wrap(clf, multi_label))])
