"""Tokens of the stance pair features (arnews.models.pair_features): normaliser + Snowball."""
from __future__ import annotations

import pickle

import snowballstemmer

from arnews.data.normalize import ArabicNormalizer
from arnews.models import pair_features
from arnews.models.pair_features import content_tokens


def test_tokens_are_snowball_stems_of_normalised_words_without_stop_words():
    text = "وأعلنت الحكومةُ في بيانٍ أن الوزراء استقالوا"
    reference = snowballstemmer.stemmer("arabic")
    words = ArabicNormalizer()(text).split()
    expected = [reference.stemWord(w) for w in words if w not in ("في", "ان")]
    assert content_tokens(text) == expected


def test_inflected_forms_of_one_word_meet():
    # article, preposition + article, possessive ending: one stem
    assert len(set(content_tokens("الحكومة للحكومة حكومته"))) == 1
    assert content_tokens("المزاعم") == content_tokens("مزاعم")


def test_stop_words_are_spelt_as_the_normaliser_writes_them():
    normalise = ArabicNormalizer()
    assert all(normalise(w) == w for w in pair_features._STOPWORDS)
    assert content_tokens("إلى حتى على") == []


def test_fitted_similarity_block_pickles():
    import pandas as pd

    frame = pd.DataFrame({"first": ["الوزير استقال"], "second": ["نفت الحكومة أن الوزير استقال"]})
    sim = pair_features.PairSimilarity().fit(frame)
    clone = pickle.loads(pickle.dumps(sim))
    assert (clone.transform(frame) == sim.transform(frame)).all()
