"""Find articles that appear in more than one split (train/dev/test leakage).

Two kinds of duplicate are counted between every pair of splits:

- *exact*: the same article after normalisation (diacritics, tatweel, alef/ya forms,
  case and whitespace unified);
- *near*: a different normalised text whose char 4-gram TF-IDF cosine similarity
  with some article of the other split is at least ``near_threshold`` (an article
  copied with a few words edited, a re-published wire story).

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
import re
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

log = logging.getLogger(__name__)

_ORDER = ("train", "dev", "test")
# The same unification as arnews.data.normalize.ArabicNormalizer (diacritics,
# superscript alef and tatweel dropped; hamza/madda alef forms -> alef; alef maqsura
# -> ya) done with one regex and str.replace: PyArabic checks text character by
# character in Python, which took ~10 s on 20k articles.
_DROP = re.compile("[\u064b-\u0652\u0670\u0640]")
_SWAP = (("\u0622", "\u0627"), ("\u0623", "\u0627"), ("\u0625", "\u0627"),
         ("\u0671", "\u0627"), ("\u0649", "\u064a"))
_BITS = 22                  # 4M hashed n-gram buckets: collisions are negligible
_NGRAM = 4
# n-grams found in more than this share of articles ("ال", " في ") carry almost no
# evidence of copying but make the sparse similarity products quadratic; drop them
# once the corpus is large enough for that to matter.
_MAX_DF = 0.05
_MIN_PRUNE_DF = 100
_CHUNK = 2000
# Up to this many n-gram positions (~5k news articles) every n-gram is used; above it
# a hash sample keeps the run at a few seconds for 20k articles.
_FULL_POSITIONS = 6_000_000


def article_text(row: dict) -> str:
    """The text compared for leakage: title (when present) and body."""
    title = row.get("title") or ""
    text = row.get("text") or ""
    return f"{title}\n{text}" if title else text


def normalise(text: str) -> str:
    """Unify spelling variants and whitespace so that trivial copies hash alike."""
    text = _DROP.sub("", text)
    for old, new in _SWAP:
        text = text.replace(old, new)
    return " ".join(text.casefold().split())


@dataclass
class LeakageReport:
    """Cross-split duplicate counts, in distinct articles of the later split.

    ``pairs["train-test"] = {"exact": 3, "near": 1}`` means 3 distinct test
    articles also appear verbatim in train and 1 more nearly so. ``test_in_train``
    is their sum; ``test_rows_in_train`` counts the test *rows* holding them (more
    than articles for stance pairs). ``examples`` lists a few offending id pairs.
    """

    pairs: dict[str, dict[str, int]] = field(default_factory=dict)
    test_in_train: int = 0
    test_rows_in_train: int = 0
    articles: dict[str, int] = field(default_factory=dict)
    examples: list[dict] = field(default_factory=list)
    near_threshold: float = 0.9

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
        return (f"leakage: {head}" + "; ".join(parts)
                + f" (distinct articles; near = cosine >= {self.near_threshold})")


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


def _ngram_tfidf(texts: list[str]) -> sp.csr_matrix:
    """L2-normalised TF-IDF rows over hashed char n-grams, vectorised with numpy.

    sklearn's char analyzer builds each n-gram as a Python string, which took ~50 s
    on 18k news articles here; hashing code points in numpy takes ~2 s.
    """
    n_docs = len(texts)
    lens = np.fromiter((len(t) for t in texts), dtype=np.int64, count=n_docs)
    codes = np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    n_pos = len(codes) - _NGRAM + 1
    if n_pos <= 0:
        return sp.csr_matrix((n_docs, 1), dtype=np.float32)
    # polynomial rolling hash; uint64 overflow wraps, which is what we want
    h = np.zeros(n_pos, dtype=np.uint64)
    for k in range(_NGRAM):
        h = h * np.uint64(1_000_003) + codes[k:n_pos + k]
    # MurmurHash3's finaliser, so that every bit depends on all n characters
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xFF51AFD7ED558CCD)
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xC4CEB9FE1A85EC53)
    h ^= h >> np.uint64(33)
    # an n-gram starting in the last n-1 characters of an article straddles two
    valid = np.ones(n_pos, dtype=bool)
    straddle = (np.cumsum(lens)[:, None] - np.arange(1, _NGRAM)[None, :]).ravel()
    valid[straddle[(straddle >= 0) & (straddle < n_pos)]] = False
    # On large corpora keep only the n-grams whose hash is 0 mod k (the same n-grams
    # in every article), so the cosine is estimated from a consistent 1/k sample.
    sample = max(1, -(-n_pos // _FULL_POSITIONS))
    if sample > 1:
        valid &= h % np.uint64(sample) == 0
    doc = np.repeat(np.arange(n_docs, dtype=np.uint64), lens)[:n_pos][valid]
    bits = np.uint64(_BITS)
    keys, tf = np.unique((doc << bits) | (h[valid] >> np.uint64(64 - _BITS)), return_counts=True)
    rows = (keys >> bits).astype(np.int64)
    cols = (keys & np.uint64((1 << _BITS) - 1)).astype(np.int64)

    df = np.bincount(cols, minlength=1 << _BITS)
    keep = df[cols] <= max(_MAX_DF * n_docs, _MIN_PRUNE_DF)
    rows, cols, tf = rows[keep], cols[keep], tf[keep]
    weight = (1.0 + np.log(tf)) * (np.log((1.0 + n_docs) / (1.0 + df[cols])) + 1.0)
    norms = np.sqrt(np.bincount(rows, weights=weight ** 2, minlength=n_docs))
    weight = weight / np.where(norms > 0, norms, 1.0)[rows]
    # an n-gram seen in one article cannot add to any dot product; it only had to
    # count in the norm above
    shared = df[cols] > 1
    rows, cols, weight = rows[shared], cols[shared], weight[shared]
    used, cols = np.unique(cols, return_inverse=True)
    return sp.csr_matrix((weight.astype(np.float32), (rows, cols)),
                         shape=(n_docs, max(len(used), 1)))


def _pairs_above(query: sp.csr_matrix, ref: sp.csr_matrix, threshold: float):
    """Yield ``(query rows, ref rows, similarities)`` of pairs at or above threshold."""
    ref_t = ref.T.tocsr()
    for start in range(0, query.shape[0], _CHUNK):
        prod = (query[start:start + _CHUNK] @ ref_t).tocsr()
        rows = np.repeat(np.arange(prod.shape[0]), np.diff(prod.indptr))
        hit = prod.data >= threshold - 1e-6
        yield start + rows[hit], prod.indices[hit], prod.data[hit]


def _best_matches(query: sp.csr_matrix, ref: sp.csr_matrix, threshold: float):
    """For each query row: (best similarity, index in ref or -1) at or above threshold."""
    best = np.zeros(query.shape[0], dtype=np.float32)
    where = np.full(query.shape[0], -1, dtype=np.int64)
    for rows, cols, sims in _pairs_above(query, ref, threshold):
        order = np.lexsort((-sims, rows))          # best match first within each row
        rows, first = np.unique(rows[order], return_index=True)
        best[rows] = sims[order][first]
        where[rows] = cols[order][first]
    return best, where


def duplicate_groups(rows: list[dict], near_threshold: float | None = 0.9) -> list[int]:
    """A group number per row, so that a split by group cannot leak duplicates.

    Rows share a group (transitively) when their bodies are equal after
    normalisation, or their article texts are exact or near duplicates in the sense
    of :func:`find_cross_split_duplicates`. Readers that make their own splits (ANT,
    Mawqif) split by these groups, so the leakage check then finds nothing.

    >>> duplicate_groups([{"text": "خبر أول"}, {"text": "خبر ثان"}, {"text": "خبرٌ أول"}])
    [0, 1, 0]
    """
    parent = list(range(len(rows)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(i: int, j: int) -> None:
        a, b = find(i), find(j)
        if a != b:
            parent[max(a, b)] = min(a, b)

    first: dict[tuple[str, str], int] = {}
    article_rep: dict[str, int] = {}
    for i, row in enumerate(rows):
        body, article = normalise(row.get("text") or ""), normalise(article_text(row))
        for key in (("body", body), ("article", article)):
            if key[1]:
                union(i, first.setdefault(key, i))
        if article:
            article_rep.setdefault(article, i)
    if near_threshold is not None and len(article_rep) > 1:
        reps = list(article_rep.values())
        matrix = _ngram_tfidf(list(article_rep))
        for a, b, _ in _pairs_above(matrix, matrix, near_threshold):
            for i, j in zip(a, b):
                union(reps[i], reps[j])
    return [find(i) for i in range(len(rows))]


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
                           near_threshold=near_threshold if near_threshold is not None else 1.0)
    all_texts = [t for n in names for t in distinct[n][0]]
    offset, start = {}, 0
    for n in names:
        offset[n] = start
        start += len(distinct[n][0])
    matrix = _ngram_tfidf(all_texts) if near_threshold is not None and all_texts else None

    for i, a in enumerate(names):
        a_texts, a_ids, _ = distinct[a]
        a_index = {t: k for k, t in enumerate(a_texts)}
        for b in names[i + 1:]:
            b_texts, b_ids, b_rows = distinct[b]
            pair = f"{a}-{b}"
            flagged: list[str] = []
            exact = [k for k, t in enumerate(b_texts) if t in a_index]
            for k in exact:
                flagged.append(b_texts[k])
                _example(report, max_examples, pair, "exact", a_ids[a_index[b_texts[k]]], b_ids[k], 1.0)
            near = 0
            if matrix is not None and a_texts and b_texts:
                rest = np.array([k for k, t in enumerate(b_texts) if t not in a_index], dtype=np.int64)
                if len(rest):
                    ref = matrix[offset[a]:offset[a] + len(a_texts)]
                    best, where = _best_matches(matrix[offset[b] + rest], ref, near_threshold)
                    for k, s, w in zip(rest, best, where):
                        if w >= 0:
                            near += 1
                            flagged.append(b_texts[k])
                            _example(report, max_examples, pair, "near", a_ids[w], b_ids[k], float(s))
            report.pairs[pair] = {"exact": len(exact), "near": near}
            if (a, b) == ("train", "test"):
                report.test_in_train = len(flagged)
                report.test_rows_in_train = sum(b_rows[t] for t in flagged)
    log.info(report.summary())
    return report


def _example(report: LeakageReport, cap: int, pair: str, kind: str, a_id: str, b_id: str,
             similarity: float) -> None:
    # capped per kind so that many exact copies do not hide the near ones
    if sum(e["kind"] == kind for e in report.examples) < cap:
        report.examples.append({"pair": pair, "kind": kind, "ids": (a_id, b_id),
                                "similarity": round(similarity, 3)})

