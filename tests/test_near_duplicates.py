"""The exact near-duplicate search (arnews.data.near_duplicates) against brute force."""
from __future__ import annotations

import itertools
import random

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import cosine_similarity

from arnews.data import near_duplicates
from arnews.data.near_duplicates import CosineSearch, char_ngram_tfidf, connected_groups

_LETTERS = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"
_RNG = random.Random(1)
VOCAB = ["".join(_RNG.choice(_LETTERS) for _ in range(_RNG.randint(2, 7))) for _ in range(800)]
CUM = list(itertools.accumulate(1.0 / (rank + 1) for rank in range(len(VOCAB))))


def corpus() -> list[str]:
    """Articles, copies edited by 1 to 40 words of 120, and short texts of frequent words.

    The short ones consist of common n-grams only, so the search's full-vector path
    (rows whose common part alone could reach the threshold) is exercised too.
    """
    rng = random.Random(7)
    texts = [" ".join(rng.choices(VOCAB, cum_weights=CUM, k=120)) for _ in range(150)]
    for k, n_edits in enumerate([1, 2, 4, 8, 12, 20, 30, 40] * 4):
        words = texts[k].split()
        for pos in rng.sample(range(len(words)), n_edits):
            words[pos] = rng.choice(VOCAB)
        texts.append(" ".join(words))
    top = VOCAB[:4]
    texts += [" ".join(rng.choices(top, k=rng.randint(3, 8))) for _ in range(40)]
    texts += ["", "قد", "خبر"]      # no 4-gram at all: all-zero rows
    return texts


@pytest.fixture
def small_blocks(monkeypatch):
    """Tiny chunks and a low common-n-gram cut, so every code path runs on small data."""
    monkeypatch.setattr(near_duplicates, "_CHUNK", 37)
    monkeypatch.setattr(near_duplicates, "_VERIFY", 101)
    monkeypatch.setattr(near_duplicates, "_MIN_COMMON_DF", 5)


def brute_pairs(vectors, threshold: float) -> set[tuple[int, int]]:
    sims = cosine_similarity(vectors)
    i, j = np.nonzero(np.triu(sims >= threshold - 1e-6, k=1))
    return set(zip(i.tolist(), j.tolist()))


@pytest.mark.parametrize("threshold", [0.5, 0.8, 0.9, 0.97])
def test_all_pairs_equal_brute_force(small_blocks, threshold):
    vectors = char_ngram_tfidf(corpus())
    search = CosineSearch(vectors, threshold)
    assert (search.common_norm >= threshold).any(), "fixture must reach the full-vector path"
    found = set(zip(*(a.tolist() for a in search.all_pairs())))
    assert found == brute_pairs(vectors, threshold)
    assert found


def test_best_matches_equal_brute_force(small_blocks):
    vectors = char_ngram_tfidf(corpus())
    query, ref = np.arange(150, vectors.shape[0]), np.arange(150)
    best, where = CosineSearch(vectors, 0.8).best_matches(query, ref)
    sims = cosine_similarity(vectors[query], vectors[ref])
    hit = sims.max(axis=1) >= 0.8 - 1e-6
    assert np.array_equal(where >= 0, hit)
    assert np.allclose(best[hit], sims.max(axis=1)[hit], atol=1e-5)
    assert np.allclose(sims[hit, where[hit]], sims.max(axis=1)[hit], atol=1e-5)


def test_vectors_are_sklearns_char_tfidf():
    texts = corpus()[:60]
    expected = TfidfVectorizer(analyzer="char", ngram_range=(4, 4), sublinear_tf=True,
                               lowercase=False).fit_transform(texts)
    got = char_ngram_tfidf(texts)
    assert np.allclose((got @ got.T).toarray(), (expected @ expected.T).toarray(), atol=1e-5)
    assert char_ngram_tfidf(["قد", ""]).shape == (2, 0)          # nothing to vectorise
    assert list(CosineSearch(char_ngram_tfidf(["قد", ""]), 0.9).all_pairs()[0]) == []


def test_connected_groups_are_numbered_by_their_first_row():
    assert connected_groups(6, [4, 1, 5], [2, 4, 5]) == [0, 1, 1, 3, 1, 5]
    assert connected_groups(3, [], []) == [0, 1, 2]
    assert connected_groups(0, [], []) == []
