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

import hashlib
import logging
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from arnews.data.normalize import ArabicNormalizer

log = logging.getLogger(__name__)

_ORDER = ("train", "dev", "test")
_NORMALIZE = ArabicNormalizer()
_BUCKETS = 1 << 22          # hashed n-gram space; collisions at this size are negligible
_NGRAM = 4
# n-grams found in more than this share of articles ("ال", " في ") carry almost no
# evidence of copying but make the sparse similarity products quadratic; drop them
# once the corpus is large enough for that to matter.
_MAX_DF = 0.05
_MIN_PRUNE_DF = 100
_CHUNK = 2000


def article_text(row: dict) -> str:
    """The text compared for leakage: title (when present) and body."""
    title = row.get("title") or ""
    text = row.get("text") or ""
    return f"{title}\n{text}" if title else text


def normalise(text: str) -> str:
    """Unify spelling variants and whitespace so that trivial copies hash alike."""
    return " ".join(_NORMALIZE(text).casefold().split())


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
        parts = [f"{pair}: {c['exact']} exact, {c['near']} near"
                 for pair, c in self.pairs.items()]
        head = (f"{self.test_in_train} test articles ({self.test_rows_in_train} rows) "
                "also in train" if "test" in self.articles and "train" in self.articles
                else "cross-split duplicates")
        return f"leakage: {head}; " + "; ".join(parts) + f" (near = cosine >= {self.near_threshold})"


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

    sklearn's char analyzer builds each n-gram as a Python string, which takes tens
    of seconds on 20k news articles; hashing code points in numpy takes about one.
    """
    n_docs = len(texts)
    lens = np.fromiter((len(t) for t in texts), dtype=np.int64, count=n_docs)
    codes = np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    if len(codes) < _NGRAM:
        return sp.csr_matrix((n_docs, 1), dtype=np.float32)
    # polynomial rolling hash; uint64 overflow wraps, which is what we want
    h = np.zeros(len(codes) - _NGRAM + 1, dtype=np.uint64)
    for k in range(_NGRAM):
        h = h * np.uint64(1_000_003) + codes[k:len(codes) - _NGRAM + 1 + k]
    h ^= h >> np.uint64(31)
    h %= np.uint64(_BUCKETS)
    doc = np.repeat(np.arange(n_docs, dtype=np.uint64), lens)[:len(h)]
    starts = np.concatenate(([0], np.cumsum(lens)[:-1]))
    inside = np.arange(len(h)) - starts[doc.astype(np.int64)] <= lens[doc.astype(np.int64)] - _NGRAM
    keys, tf = np.unique(doc[inside] * np.uint64(_BUCKETS) + h[inside], return_counts=True)
    rows = (keys // np.uint64(_BUCKETS)).astype(np.int64)
    cols = (keys % np.uint64(_BUCKETS)).astype(np.int64)

    df = np.bincount(cols, minlength=_BUCKETS)
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


def _best_matches(query: sp.csr_matrix, ref: sp.csr_matrix, threshold: float):
    """For each query row: (best similarity, index in ref) among those >= threshold."""
    best = np.zeros(query.shape[0], dtype=np.float32)
    where = np.full(query.shape[0], -1, dtype=np.int64)
    ref_t = ref.T.tocsr()
    for start in range(0, query.shape[0], _CHUNK):
        prod = (query[start:start + _CHUNK] @ ref_t).tocsr()
        rows = np.repeat(np.arange(prod.shape[0]), np.diff(prod.indptr))
        hit = prod.data >= threshold - 1e-6
        for r, c, s in zip(rows[hit], prod.indices[hit], prod.data[hit]):
            if s > best[start + r]:
                best[start + r], where[start + r] = s, c
    return best, where


def find_cross_split_duplicates(splits: dict[str, list[dict]], near_threshold: float | None = 0.9,
                                max_examples: int = 20) -> LeakageReport:
    """Count exact and near duplicate articles between every pair of splits.

    ``near_threshold=None`` skips the near-duplicate search. Pairs are named
    ``"<earlier>-<later>"`` in train, dev, test order (other split names after).
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
    if len(report.examples) < cap:
        report.examples.append({"pair": pair, "kind": kind, "ids": (a_id, b_id),
                                "similarity": round(similarity, 3)})


def text_hash(text: str) -> str:
    """Stable short hash of the normalised text (for grouping exact duplicates)."""
    return hashlib.sha1(normalise(text).encode("utf-8")).hexdigest()[:16]
