"""Find articles that appear in more than one split (train/dev/test leakage).

Two kinds of duplicate are counted between every pair of splits:

- *exact*: the same article after normalisation (:func:`normalise`: the project's
  :class:`~arnews.data.normalize.ArabicNormalizer`, then case and whitespace
  unified);
- *near*: a different normalised text whose char 4-gram TF-IDF cosine similarity
  with some article of the other split is at least ``near_threshold`` (an article
  copied with a few words edited, a re-published wire story). The vectors are
  scikit-learn's ``TfidfVectorizer(analyzer="char", ngram_range=(4, 4),
  sublinear_tf=True)`` fitted on the distinct texts of all splits, and the search is
  exact: every pair at or above the threshold is found, whatever the corpus size (see
  :mod:`arnews.data.near_duplicates` for how it avoids comparing every pair).

The article is ``row["text"]``, with ``row["title"]`` in front when present. Stance
datasets repeat one article in many claim pairs, so texts are deduplicated within
each split first; duplicates *within* a split are never counted as leakage.

>>> splits = {"train": [{"id": "a", "text": "وزير الخارجية يزور دمشق اليوم"}],
...           "test": [{"id": "b", "text": "وزيرُ الخارجية يزور دمشق اليوم"}]}
>>> report = find_cross_split_duplicates(splits)
>>> report.pairs["train-test"], report.test_in_train
({'exact': 1, 'near': 0}, 1)
>>> report.as_metrics()["leakage/train_test_exact"]
1
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np

from arnews.data.near_duplicates import CosineSearch, char_ngram_tfidf, connected_groups
from arnews.data.normalize import ArabicNormalizer

log = logging.getLogger(__name__)

_ORDER = ("train", "dev", "test")
_NORMALIZE = ArabicNormalizer()   # every step on, whatever the run's normalize.* says


def article_text(row: dict) -> str:
    """The text compared for leakage: title (when present) and body."""
    title = row.get("title") or ""
    text = row.get("text") or ""
    return f"{title}\n{text}" if title else text


def normalise(text: str) -> str:
    """Unify spelling variants, case and whitespace so that trivial copies compare equal.

    >>> normalise("  أَعْلـــنَ\\n الوزير  Today ")
    'اعلن الوزير today'
    """
    return " ".join(_NORMALIZE(text).casefold().split())


@dataclass
class LeakageReport:
    """Cross-split duplicate counts, in distinct articles of the later split.

    ``pairs["train-test"] = {"exact": 3, "near": 1}`` means 3 distinct test
    articles also appear verbatim in train and 1 more nearly so. ``test_in_train``
    is their sum; ``test_rows_in_train`` counts the test *rows* holding them (more
    than articles for stance pairs). ``examples`` lists a few offending id pairs.
    The near search is exact (every pair at or above ``near_threshold``).
    """

    pairs: dict[str, dict[str, int]] = field(default_factory=dict)
    test_in_train: int = 0
    test_rows_in_train: int = 0
    articles: dict[str, int] = field(default_factory=dict)
    examples: list[dict] = field(default_factory=list)
    near_threshold: float | None = 0.9

    @property
    def leaks(self) -> bool:
        """True when any article is shared (exactly or nearly) between two splits."""
        return any(c["exact"] or c["near"] for c in self.pairs.values())

    def as_metrics(self) -> dict[str, int]:
        """Flat metrics for MLflow, e.g. ``{"leakage/train_test_exact": 2, ...}``."""
        out = {}
        for pair, counts in self.pairs.items():
            key = pair.replace("-", "_")
            for kind, n in counts.items():
                out[f"leakage/{key}_{kind}"] = n
        out["leakage/test_in_train"] = self.test_in_train
        out["leakage/test_rows_in_train"] = self.test_rows_in_train
        return out

    def summary(self) -> str:
        """One line for logs and error messages."""
        if not self.pairs:
            return f"leakage: only {', '.join(self.articles) or 'no'} split(s); nothing to compare"
        parts = [f"{pair}: {c['exact']} exact, {c['near']} near"
                 for pair, c in self.pairs.items()]
        head = (f"{self.test_in_train} test articles ({self.test_rows_in_train} rows) also "
                "in train; " if "test" in self.articles and "train" in self.articles else "")
        near = ("near search off" if self.near_threshold is None
                else f"near = cosine >= {self.near_threshold}")
        return f"leakage: {head}" + "; ".join(parts) + f" (distinct articles; {near})"


def _distinct(rows: list[dict]) -> tuple[list[str], list[str], dict[str, int]]:
    """Distinct normalised texts of one split, one id for each, and rows per text."""
    first_id: dict[str, str] = {}
    n_rows: dict[str, int] = {}
    for i, row in enumerate(rows):
        norm = normalise(article_text(row))
        if not norm:
            continue
        if norm not in first_id:
            first_id[norm] = str(row.get("id", i))
        n_rows[norm] = n_rows.get(norm, 0) + 1
    texts = list(first_id)
    return texts, [first_id[t] for t in texts], n_rows


def duplicate_groups(rows: list[dict], near_threshold: float | None = 0.9) -> list[int]:
    """A group number per row, so that a split by group cannot leak duplicates.

    Rows share a group (transitively) when their bodies are equal after
    normalisation, or their article texts are exact or near duplicates in the sense
    of :func:`find_cross_split_duplicates`. Readers that make their own splits (ANT,
    Mawqif) split by these groups, so the leakage check then finds nothing. A group
    is numbered by its first row.

    >>> duplicate_groups([{"text": "خبر أول"}, {"text": "خبر ثان"}, {"text": "خبرٌ أول"}])
    [0, 1, 0]
    """
    link_a: list[int] = []
    link_b: list[int] = []
    first: dict[tuple[str, str], int] = {}
    article_rep: dict[str, int] = {}
    for i, row in enumerate(rows):
        body, article = normalise(row.get("text") or ""), normalise(article_text(row))
        for key in (("body", body), ("article", article)):
            if key[1]:
                link_a.append(i)
                link_b.append(first.setdefault(key, i))
        if article:
            article_rep.setdefault(article, i)
    if near_threshold is not None and len(article_rep) > 1:
        reps = np.fromiter(article_rep.values(), dtype=np.int64, count=len(article_rep))
        search = CosineSearch(char_ngram_tfidf(list(article_rep)), near_threshold)
        a, b = search.all_pairs()
        link_a.extend(reps[a].tolist())
        link_b.extend(reps[b].tolist())
        log.debug("duplicate_groups: %d near pairs among %d articles (%d checked exactly)",
                  len(a), len(reps), search.verified)
    return connected_groups(len(rows), link_a, link_b)


def find_cross_split_duplicates(splits: dict[str, list[dict]], near_threshold: float | None = 0.9,
                                max_examples: int = 20) -> LeakageReport:
    """Count exact and near duplicate articles between every pair of splits.

    ``near_threshold=None`` skips the near-duplicate search. Pairs are named
    ``"<earlier>-<later>"`` in train, dev, test order (other split names after).
    ``max_examples`` caps the example id pairs kept per kind (exact, near).
    """
    names = sorted(splits, key=lambda s: (_ORDER.index(s) if s in _ORDER else len(_ORDER), s))
    distinct = {name: _distinct(splits[name]) for name in names}
    report = LeakageReport(articles={n: len(distinct[n][0]) for n in names},
                           near_threshold=near_threshold)
    all_texts = [t for n in names for t in distinct[n][0]]
    offset, start = {}, 0
    for n in names:
        offset[n] = start
        start += len(distinct[n][0])
    search = (CosineSearch(char_ngram_tfidf(all_texts), near_threshold)
              if near_threshold is not None and all_texts else None)

    for i, a in enumerate(names):
        for b in names[i + 1:]:
            flagged = _compare(report, f"{a}-{b}", distinct[a], distinct[b], search,
                               (offset[a], offset[b]), max_examples)
            if (a, b) == ("train", "test"):
                report.test_in_train = len(flagged)
                report.test_rows_in_train = sum(distinct[b][2][t] for t in flagged)
    if search is not None:
        log.debug("leakage: %d candidate pairs checked exactly", search.verified)
    log.info(report.summary())
    return report


def _compare(report: LeakageReport, pair: str, earlier: tuple, later: tuple,
             search: CosineSearch | None, offsets: tuple[int, int], max_examples: int
             ) -> list[str]:
    """Fill ``report.pairs[pair]``; return the later split's texts found in the earlier."""
    a_texts, a_ids, _ = earlier
    b_texts, b_ids, _ = later
    a_index = {t: k for k, t in enumerate(a_texts)}
    exact = [k for k, t in enumerate(b_texts) if t in a_index]
    for k in exact:
        _example(report, max_examples, pair, "exact", a_ids[a_index[b_texts[k]]], b_ids[k], 1.0)
    near: list[int] = []
    rest = np.array([k for k, t in enumerate(b_texts) if t not in a_index], dtype=np.int64)
    if search is not None and a_texts and len(rest):
        ref = np.arange(offsets[0], offsets[0] + len(a_texts))
        best, where = search.best_matches(offsets[1] + rest, ref)
        for k, sim, w in zip(rest.tolist(), best.tolist(), where.tolist()):
            if w >= 0:
                near.append(k)
                _example(report, max_examples, pair, "near", a_ids[w], b_ids[k], sim)
    report.pairs[pair] = {"exact": len(exact), "near": len(near)}
    return [b_texts[k] for k in exact + near]


def _example(report: LeakageReport, cap: int, pair: str, kind: str, a_id: str, b_id: str,
             similarity: float) -> None:
    # capped per kind so that many exact copies do not hide the near ones
    if sum(e["kind"] == kind for e in report.examples) < cap:
        report.examples.append({"pair": pair, "kind": kind, "ids": (a_id, b_id),
                                "similarity": round(min(similarity, 1.0), 3)})
