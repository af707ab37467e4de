"""Cross-split duplicate detection (arnews.data.leakage)."""
from __future__ import annotations

import itertools
import random

import numpy as np
import pytest

from arnews.data.leakage import (LeakageReport, duplicate_groups, find_cross_split_duplicates,
                                 normalise)

# Synthetic news: words drawn from a Zipf-distributed vocabulary of pseudo-Arabic
# words, so that articles share frequent words and n-grams like real news, yet two
# articles are clearly different texts.
_LETTERS = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"
_VOCAB_RNG = random.Random(0)
VOCAB = ["".join(_VOCAB_RNG.choice(_LETTERS) for _ in range(_VOCAB_RNG.randint(2, 8)))
         for _ in range(5000)]
CUM_WEIGHTS = list(itertools.accumulate(1.0 / (rank + 1) for rank in range(len(VOCAB))))


def article(seed: int, n_words: int = 120) -> str:
    return " ".join(random.Random(seed).choices(VOCAB, cum_weights=CUM_WEIGHTS, k=n_words))


def edit_words(text: str, n: int, seed: int = 0) -> str:
    """Replace n words at random positions by other words (a lightly edited copy)."""
    rng = random.Random(seed)
    words = text.split()
    for pos in rng.sample(range(len(words)), n):
        words[pos] = rng.choice(VOCAB)
    return " ".join(words)


def rows(prefix: str, texts: list[str], **extra) -> list[dict]:
    return [{"id": f"{prefix}{i}", "text": t, **extra} for i, t in enumerate(texts)]


def test_exact_duplicate_after_normalisation_is_found():
    original = article(1)
    first, *rest = original.split()
    # the copy differs only in diacritics, tatweel, hamza and spacing
    copy = "  " + " ".join(["أَعْلـــنَ", first, *rest]) + "\n"
    original = " ".join(["اعلن", first, *rest])
    splits = {"train": rows("tr", [original, article(2)]),
              "test": rows("te", [copy, article(3)])}
    report = find_cross_split_duplicates(splits)
    assert report.pairs["train-test"] == {"exact": 1, "near": 0}
    assert report.test_in_train == 1
    assert report.examples[0]["ids"] == ("tr0", "te0")
    assert report.examples[0]["kind"] == "exact"


def test_near_duplicate_with_a_few_edited_words_is_found():
    original = article(10)
    edited = edit_words(original, 3)
    assert normalise(edited) != normalise(original)
    splits = {"train": rows("tr", [original, article(11), article(12)]),
              "dev": rows("dv", [article(13)]),
              "test": rows("te", [edited, article(14)])}
    report = find_cross_split_duplicates(splits, near_threshold=0.9)
    assert report.pairs["train-test"] == {"exact": 0, "near": 1}
    assert report.pairs["train-dev"] == {"exact": 0, "near": 0}
    assert report.pairs["dev-test"] == {"exact": 0, "near": 0}
    near = [e for e in report.examples if e["kind"] == "near"]
    assert near[0]["ids"] == ("tr0", "te0") and 0.9 <= near[0]["similarity"] < 1.0
    # a stricter threshold than the copy's similarity no longer calls it a duplicate
    strict = find_cross_split_duplicates(splits, near_threshold=0.999)
    assert strict.pairs["train-test"]["near"] == 0


def test_similarity_is_the_char_ngram_tfidf_cosine():
    """The reported similarity is sklearn's char 4-gram TF-IDF cosine."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics.pairwise import cosine_similarity

    train = [article(s) for s in (70, 71, 72, 73)]
    test = [edit_words(train[0], 6), article(74)]
    report = find_cross_split_duplicates({"train": rows("tr", train), "test": rows("te", test)},
                                         near_threshold=0.5)
    vectors = TfidfVectorizer(analyzer="char", ngram_range=(4, 4), sublinear_tf=True,
                              lowercase=False).fit_transform(train + test)
    expected = cosine_similarity(vectors[4], vectors[0])[0, 0]
    [near] = [e for e in report.examples if e["kind"] == "near"]
    assert near["ids"] == ("tr0", "te0")
    assert near["similarity"] == pytest.approx(expected, abs=1e-3)   # rounded to 3 places


def test_distinct_articles_are_not_flagged():
    splits = {"train": rows("tr", [article(s) for s in range(30)]),
              "dev": rows("dv", [article(s) for s in range(100, 110)]),
              "test": rows("te", [article(s) for s in range(200, 220)])}
    report = find_cross_split_duplicates(splits)
    assert not report.leaks
    assert report.test_in_train == 0
    assert all(c == {"exact": 0, "near": 0} for c in report.pairs.values())
    assert report.examples == []


def test_duplicates_within_one_split_are_not_leakage():
    same = article(5)
    splits = {"train": rows("tr", [same, same, edit_words(same, 2)]),
              "test": rows("te", [article(6), article(6)])}
    report = find_cross_split_duplicates(splits)
    assert report.pairs == {"train-test": {"exact": 0, "near": 0}}
    assert report.articles == {"train": 2, "test": 1}  # distinct texts per split


def test_stance_pairs_count_articles_once_and_rows_separately():
    shared = article(20)
    train = [{"id": f"tr{i}", "claim": f"ادعاء {i}", "text": shared, "stance": "agree"}
             for i in range(3)]
    test = [{"id": f"te{i}", "claim": f"ادعاء آخر {i}", "text": shared, "stance": "discuss"}
            for i in range(4)] + [{"id": "te9", "claim": "ادعاء", "text": article(21),
                                   "stance": "unrelated"}]
    report = find_cross_split_duplicates({"train": train, "test": test})
    assert report.pairs["train-test"] == {"exact": 1, "near": 0}
    assert report.test_in_train == 1
    assert report.test_rows_in_train == 4


def test_title_is_part_of_the_article():
    body = article(30)
    splits = {"train": [{"id": "a", "title": "عنوان أول مختلف تماما عن الآخر", "text": body}],
              "test": [{"id": "b", "title": "عنوان أول مختلف تماما عن الآخر", "text": body}]}
    assert find_cross_split_duplicates(splits).pairs["train-test"]["exact"] == 1
    splits["test"][0]["title"] = "خبر عاجل"
    # same body, other title: no longer an exact copy, but still a near one
    assert find_cross_split_duplicates(splits).pairs["train-test"] == {"exact": 0, "near": 1}


def test_metrics_and_summary():
    splits = {"train": rows("tr", [article(40), article(41)]),
              "dev": rows("dv", [article(40)]),
              "test": rows("te", [article(41), edit_words(article(40), 2)])}
    report = find_cross_split_duplicates(splits)
    metrics = report.as_metrics()
    assert metrics["leakage/train_dev_exact"] == 1
    assert metrics["leakage/train_test_exact"] == 1
    assert metrics["leakage/train_test_near"] == 1
    assert metrics["leakage/dev_test_near"] == 1
    assert metrics["leakage/test_in_train"] == 2
    assert all(isinstance(v, int) for v in metrics.values())
    line = report.summary()
    assert "\n" not in line and "2 test articles" in line and "train-test: 1 exact, 1 near" in line


def test_near_search_can_be_switched_off_and_examples_are_capped():
    base = [article(s) for s in range(50, 60)]
    test = [edit_words(t, 2) for t in base] + base
    splits = {"train": rows("tr", base), "test": rows("te", test)}
    report = find_cross_split_duplicates(splits, near_threshold=None, max_examples=3)
    assert report.pairs["train-test"] == {"exact": 10, "near": 0}
    assert len(report.examples) == 3
    assert isinstance(report, LeakageReport)


def test_empty_texts_are_ignored():
    splits = {"train": rows("tr", ["", "  "]), "test": rows("te", ["", article(1)])}
    assert find_cross_split_duplicates(splits).pairs["train-test"] == {"exact": 0, "near": 0}


def test_duplicate_groups_join_exact_and_near_copies():
    a, b = article(60), article(61)
    groups = duplicate_groups(rows("r", [a, b, "  " + a, edit_words(b, 2), article(62)]))
    assert groups[0] == groups[2] and groups[1] == groups[3]
    assert len({groups[0], groups[1], groups[4]}) == 3
    exact_only = duplicate_groups(rows("r", [a, edit_words(a, 2)]), near_threshold=None)
    assert exact_only[0] != exact_only[1]


@pytest.mark.slow
def test_corpus_scale_counts():
    """Thousands of Zipf-like articles, several query chunks: only the planted copies.

    Speed is measured in benchmarks/leakage_speed.py, not asserted here.
    """
    weights = np.diff(CUM_WEIGHTS, prepend=0.0)
    words = np.random.default_rng(0).choice(len(VOCAB), size=(6_000, 200),
                                            p=weights / weights.sum())
    texts = [" ".join(VOCAB[w] for w in row) for row in words.tolist()]
    texts[5_500] = edit_words(texts[5], 3)        # one near copy of a train article in test
    texts[4_500] = texts[7]                       # one exact copy in dev
    splits = {"train": rows("tr", texts[:4_000]), "dev": rows("dv", texts[4_000:5_000]),
              "test": rows("te", texts[5_000:])}
    report = find_cross_split_duplicates(splits)
    assert report.pairs == {"train-dev": {"exact": 1, "near": 0},
                            "train-test": {"exact": 0, "near": 1},
                            "dev-test": {"exact": 0, "near": 0}}
    near = [e for e in report.examples if e["kind"] == "near"]
    assert near[0]["ids"] == ("tr5", "te500")


@pytest.mark.parametrize("threshold", [0.8, 0.95])
def test_threshold_is_reported(threshold):
    report = find_cross_split_duplicates({"train": rows("a", [article(1)]),
                                          "test": rows("b", [article(2)])}, threshold)
    assert f">= {threshold}" in report.summary()


def test_the_guard_caches_its_report_by_content(tmp_path, monkeypatch):
    import arnews.data.leakage_guard as guard
    from arnews.errors import ArnewsError

    splits = {"train": [{"id": "a", "text": "نص المقال الأول عن الهجوم"}],
              "test": [{"id": "b", "text": "نص المقال الأول عن الهجوم"}]}
    calls = []
    real = guard.find_cross_split_duplicates
    monkeypatch.setattr(guard, "find_cross_split_duplicates", lambda *a, **k: calls.append(1) or real(*a, **k))
    for _ in range(2):  # the second run reads the cache and still refuses
        with pytest.raises(ArnewsError, match="1 test article"):
            guard.guard_leakage(splits, cache_dir=tmp_path)
    assert len(calls) == 1 and len(list((tmp_path / "leakage").glob("*.json"))) == 1
    splits["test"][0]["text"] = "نص مختلف تماما عن موضوع آخر"  # new content, new search
    assert guard.guard_leakage(splits, cache_dir=tmp_path).test_in_train == 0 and len(calls) == 2
