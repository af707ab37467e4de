"""Find articles that appear in more than one split (train/dev/test leakage).

Two kinds of duplicate are counted between every pair of splits:

- *exact*: the same article after normalisation (diacritics, tatweel, alef/ya forms,
  case and whitespace unified);
- *near*: a different normalised text whose char 4-gram TF-IDF cosine similarity
  with some article of the other split is at least ``near_threshold`` (an article
  copied with a few words edited, a re-published wire story). The cosine is exact
  (sublinear tf, smooth idf, as sklearn's TfidfVectorizer) over hashed n-grams; on
  corpora above ~6M characters a fixed hash-selected share of the n-grams is used.

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
# n-grams found in more than this share of articles ("ال", " في ") make sparse
# similarity products quadratic. They are left out of the product that finds
# candidate pairs and added back exactly for the candidates (see _Vectors).
_MAX_DF = 0.01
_MIN_PRUNE_DF = 50
_VERIFY = 50_000              # candidate pairs checked exactly at a time
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


@dataclass
class _Vectors:
    """L2-normalised char n-gram TF-IDF rows, split by document frequency.

    ``rare + common`` is the full vector. The cosine of rows i, j is
    ``rare_i.rare_j + common_i.common_j`` and the second term is at most
    ``norm_i * norm_j`` (Cauchy-Schwarz, ``norm`` = length of the common part). So a
    cheap sparse product over the rare n-grams bounds every pair's similarity; only
    pairs whose bound reaches the threshold get the exact (common) term.
    """

    rare: sp.csr_matrix
    common: sp.csr_matrix
    norm: np.ndarray


def _ngram_tfidf(texts: list[str]) -> _Vectors:
    """Vectorise texts over hashed char n-grams with numpy.

    sklearn's char analyzer builds each n-gram as a Python string, which took ~50 s
    on 18k news articles here; hashing code points in numpy takes ~2 s.
    """
    n_docs = len(texts)
    lens = np.fromiter((len(t) for t in texts), dtype=np.int64, count=n_docs)
    codes = np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32)
    n_pos = max(len(codes) - _NGRAM + 1, 0)
    # polynomial hash of each n-gram, in place; uint64 overflow wraps as intended
    h = codes[:n_pos].astype(np.uint64)
    for k in range(1, _NGRAM):
        h *= np.uint64(1_000_003)
        h += codes[k:n_pos + k]
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
    # On large corpora keep only the n-grams whose hash ends in k zero bits (the same
    # n-grams in every article), so the cosine is estimated from a consistent sample.
    sample_bits = max(0, int(np.ceil(np.log2(max(n_pos, 1) / _FULL_POSITIONS))))
    if sample_bits:
        valid &= (h & np.uint64((1 << sample_bits) - 1)) == 0
    doc = np.repeat(np.arange(n_docs, dtype=np.uint64), lens)[:n_pos][valid]
    bits = np.uint64(_BITS)
    keys, tf = np.unique((doc << bits) | (h[valid] >> np.uint64(64 - _BITS)), return_counts=True)
    rows = (keys >> bits).astype(np.int64)
    cols = (keys & np.uint64((1 << _BITS) - 1)).astype(np.int64)

    df = np.bincount(cols, minlength=1 << _BITS)
    weight = (1.0 + np.log(tf)) * (np.log((1.0 + n_docs) / (1.0 + df[cols])) + 1.0)
    norms = np.sqrt(np.bincount(rows, weights=weight ** 2, minlength=n_docs))
    weight = (weight / np.where(norms > 0, norms, 1.0)[rows]).astype(np.float32)
    # an n-gram seen in one article cannot add to any dot product; it only had to
    # count in the norm above
    is_common = df[cols] > max(_MAX_DF * n_docs, _MIN_PRUNE_DF)
    parts = []
    for part in (~is_common & (df[cols] > 1), is_common):
        used, compact = np.unique(cols[part], return_inverse=True)
        parts.append(sp.csr_matrix((weight[part], (rows[part], compact.ravel())),
                                   shape=(n_docs, max(len(used), 1))))
    common = parts[1]
    norm = np.sqrt(np.asarray(common.multiply(common).sum(axis=1)).ravel())
    return _Vectors(parts[0], common, norm)


def _pairs_above(vec: _Vectors, query: np.ndarray, ref: np.ndarray, threshold: float):
    """Yield ``(query positions, ref positions, cosines)`` of pairs >= threshold.

    ``query`` and ``ref`` are row numbers of ``vec``; positions index into them.
    """
    threshold -= 1e-6  # float32 rounding of an exact copy's 1.0
    ref_rare_t = vec.rare[ref].T.tocsr()
    ref_norm = vec.norm[ref]
    for start in range(0, len(query), _CHUNK):
        block = query[start:start + _CHUNK]
        prod = (vec.rare[block] @ ref_rare_t).tocoo()
        qi, rj, dot = prod.row, prod.col, prod.data
        bound = dot + vec.norm[block][qi] * ref_norm[rj]
        keep = bound >= threshold
        qi, rj, dot = qi[keep], rj[keep], dot[keep]
        for at in range(0, len(qi), _VERIFY):
            sl = slice(at, at + _VERIFY)
            dot[sl] += np.asarray(vec.common[block[qi[sl]]].multiply(
                vec.common[ref[rj[sl]]]).sum(axis=1)).ravel()
        hit = dot >= threshold
        yield start + qi[hit], rj[hit], dot[hit]
    # Pairs with no rare n-gram in common were not in the product. They can only
    # reach the threshold if both rows are almost all common n-grams (norm >=
    # threshold): few in real text, so compare those directly.
    heavy_q = np.flatnonzero(vec.norm[query] >= threshold)
    heavy_r = np.flatnonzero(ref_norm >= threshold)
    if len(heavy_q) and len(heavy_r):
        full = sp.hstack([vec.rare, vec.common]).tocsr()
        ref_full_t = full[ref[heavy_r]].T.tocsr()
        for start in range(0, len(heavy_q), _CHUNK):
            part = heavy_q[start:start + _CHUNK]
            prod = (full[query[part]] @ ref_full_t).tocoo()
            hit = prod.data >= threshold
            yield part[prod.row[hit]], heavy_r[prod.col[hit]], prod.data[hit]


def _best_matches(vec: _Vectors, query: np.ndarray, ref: np.ndarray, threshold: float):
    """For each query row: (best cosine, position in ref or -1) at or above threshold."""
    best = np.zeros(len(query), dtype=np.float32)
    where = np.full(len(query), -1, dtype=np.int64)
    for qi, rj, sims in _pairs_above(vec, query, ref, threshold):
        better = sims > best[qi]
        order = np.lexsort((-sims[better], qi[better]))   # best match first per row
        rows, first = np.unique(qi[better][order], return_index=True)
        best[rows] = sims[better][order][first]
        where[rows] = rj[better][order][first]
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
        vec = _ngram_tfidf(list(article_rep))
        # similarity is symmetric: compare each block only with itself and later rows
        for start in range(0, len(reps), _CHUNK):
            block = np.arange(start, min(start + _CHUNK, len(reps)))
            for a, b, _ in _pairs_above(vec, block, np.arange(start, len(reps)), near_threshold):
                for i, j in zip(a, b):
                    union(reps[start + i], reps[start + j])
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
                           near_threshold=near_threshold)
    all_texts = [t for n in names for t in distinct[n][0]]
    offset, start = {}, 0
    for n in names:
        offset[n] = start
        start += len(distinct[n][0])
    vec = _ngram_tfidf(all_texts) if near_threshold is not None and all_texts else None

    for i, a in enumerate(names):
        for b in names[i + 1:]:
            flagged = _compare(report, f"{a}-{b}", distinct[a], distinct[b], vec,
                               (offset[a], offset[b]), near_threshold, max_examples)
            if (a, b) == ("train", "test"):
                report.test_in_train = len(flagged)
                report.test_rows_in_train = sum(distinct[b][2][t] for t in flagged)
    log.info(report.summary())
    return report


def _compare(report: LeakageReport, pair: str, earlier: tuple, later: tuple,
             vec: _Vectors | None, offsets: tuple[int, int], near_threshold: float | None,
             max_examples: int) -> list[str]:
    """Fill ``report.pairs[pair]``; return the later split's texts found in the earlier."""
    a_texts, a_ids, _ = earlier
    b_texts, b_ids, _ = later
    a_index = {t: k for k, t in enumerate(a_texts)}
    exact = [k for k, t in enumerate(b_texts) if t in a_index]
    for k in exact:
        _example(report, max_examples, pair, "exact", a_ids[a_index[b_texts[k]]], b_ids[k], 1.0)
    near: list[int] = []
    rest = np.array([k for k, t in enumerate(b_texts) if t not in a_index], dtype=np.int64)
    if vec is not None and a_texts and len(rest):
        ref = np.arange(offsets[0], offsets[0] + len(a_texts))
        best, where = _best_matches(vec, offsets[1] + rest, ref, near_threshold)
        for k, sim, w in zip(rest, best, where):
            if w >= 0:
                near.append(k)
                _example(report, max_examples, pair, "near", a_ids[w], b_ids[k], float(sim))
    report.pairs[pair] = {"exact": len(exact), "near": len(near)}
    return [b_texts[k] for k in exact + near]


def _example(report: LeakageReport, cap: int, pair: str, kind: str, a_id: str, b_id: str,
             similarity: float) -> None:
    # capped per kind so that many exact copies do not hide the near ones
    if sum(e["kind"] == kind for e in report.examples) < cap:
        report.examples.append({"pair": pair, "kind": kind, "ids": (a_id, b_id),
                                "similarity": round(similarity, 3)})

