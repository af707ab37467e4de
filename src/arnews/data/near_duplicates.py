"""Exact near-duplicate search over char n-gram TF-IDF vectors (scikit-learn, SciPy).

Used by :mod:`arnews.data.leakage`. Two texts are near duplicates when the cosine of
their char 4-gram TF-IDF vectors (scikit-learn's ``TfidfVectorizer``, sublinear tf,
smooth idf, L2 norm) is at least a threshold. The search is exact: it returns every
pair at or above the threshold, on any corpus size, with no sampling or hashing::

    vectors = char_ngram_tfidf(["نص أول طويل", "نص أول طويل جدا", "خبر آخر"])
    search = CosineSearch(vectors, threshold=0.8)
    best, where = search.best_matches(query=np.array([1]), ref=np.array([0, 2]))
    groups = connected_groups(3, *search.all_pairs())   # one group number per row

Why not one sparse product of all rows: 4-grams such as " ال" sit in almost every
Arabic article, so ``X @ X.T`` is nearly dense: ~80 s for SaudiNewsNet's 8k
articles. Instead the n-grams are split by document frequency into *rare* and
*common* ones. For L2-normalised rows ``x = r + c`` (rare part + common part),

    cos(i, j) = r_i . r_j + c_i . c_j  <=  r_i . r_j + |c_i| |c_j|      (Cauchy-Schwarz)

so a cheap sparse product over the rare n-grams bounds every pair; only pairs whose
bound reaches the threshold get their exact common term added. Pairs with no rare
n-gram in common can only reach the threshold when both rows have ``|c| >=
threshold`` (almost all common n-grams, e.g. very short texts); those few rows are
compared with their full vectors. Nothing is estimated, so no pair is missed.

Cost: most of the time is ``TfidfVectorizer`` building each n-gram as a Python
string, ~1 s per million characters. SaudiNewsNet split by day (8k articles, 15.7M
characters) takes 17 s, 5.3x the hand-built engine this replaced (numpy-hashed
n-grams, which sampled the n-grams above 6M characters and so found 52/30/55 near
copies per split pair where there are 49/29/57, by brute force);
``benchmarks/leakage_speed.py`` measures it.
"""
from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from sklearn.feature_extraction.text import TfidfVectorizer

NGRAM = 4
# An n-gram is "common" when more than this share of the texts (and at least
# _MIN_COMMON_DF texts) hold it. Measured on SaudiNewsNet (8k articles): at 2% the
# common part is ~70% of a row's norm, the rare product stays sparse and almost no
# row needs the full comparison. Any value gives the same pairs; it only moves work
# between the rare product and the exact check.
_COMMON_SHARE = 0.02
_MIN_COMMON_DF = 50
_CHUNK = 2000          # query rows per sparse product
_VERIFY = 50_000       # candidate pairs given their exact common term at a time
# Vectors are float32 (half the memory of float64 on 20k articles); a cosine within
# this of the threshold counts, so an edited copy is not lost to rounding.
_SLACK = 1e-6


def char_ngram_tfidf(texts: list[str], ngram: int = NGRAM) -> sp.csr_matrix:
    """L2-normalised char n-gram TF-IDF rows of ``texts`` (scikit-learn).

    ``lowercase=False``: callers normalise (and casefold) the texts themselves. A text
    shorter than ``ngram`` characters gets an all-zero row.

    >>> char_ngram_tfidf(["خبر عاجل", "خبر"]).shape
    (2, 5)
    """
    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(ngram, ngram), lowercase=False,
                                 sublinear_tf=True, dtype=np.float32)
    try:
        return vectorizer.fit_transform(texts).tocsr()
    except ValueError:  # "empty vocabulary": every text is shorter than one n-gram
        return sp.csr_matrix((len(texts), 0), dtype=np.float32)


class CosineSearch:
    """Every pair of rows of ``vectors`` (L2-normalised) with cosine >= ``threshold``.

    >>> texts = ["وزير الخارجية يزور دمشق اليوم", "وزير الخارجية يزور دمشق غدا", "مباراة الكرة"]
    >>> search = CosineSearch(char_ngram_tfidf(texts), 0.5)
    >>> [(int(i), int(j)) for i, j in zip(*search.all_pairs())]
    [(0, 1)]
    """

    def __init__(self, vectors: sp.csr_matrix, threshold: float):
        self.threshold = float(threshold)
        vectors = sp.csr_matrix(vectors, dtype=np.float32)
        n_rows = vectors.shape[0]
        df = np.bincount(vectors.indices, minlength=vectors.shape[1])
        common = df > max(_COMMON_SHARE * n_rows, _MIN_COMMON_DF)
        # an n-gram held by one text adds nothing to the dot product of two different
        # texts (it still counted in the row's norm, which TfidfVectorizer applied)
        self.rare = vectors[:, ~common & (df > 1)].tocsr()
        self.common = vectors[:, common].tocsr()
        self.common_norm = np.sqrt(np.asarray(self.common.multiply(self.common).sum(axis=1))
                                   ).ravel()
        self.full = vectors
        self.verified = 0   # candidate pairs checked exactly, for the debug log

    def pairs(self, query: np.ndarray, ref: np.ndarray
              ) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Yield ``(query positions, ref positions, cosines)`` of pairs >= threshold.

        ``query`` and ``ref`` are row numbers; the positions index into them. Meant for
        distinct rows: a row found in both may or may not be paired with itself (its
        n-grams seen in no other text are left out of the products).
        """
        query, ref = np.asarray(query, dtype=np.int64), np.asarray(ref, dtype=np.int64)
        if not len(query) or not len(ref):
            return
        cut = self.threshold - _SLACK
        ref_rare_t = self.rare[ref].T.tocsr()
        ref_norm = self.common_norm[ref]
        for start in range(0, len(query), _CHUNK):
            block = query[start:start + _CHUNK]
            product = (self.rare[block] @ ref_rare_t).tocoo()
            qi, rj, dot = product.row, product.col, product.data.astype(np.float64)
            keep = dot + self.common_norm[block][qi] * ref_norm[rj] >= cut
            qi, rj, dot = qi[keep], rj[keep], dot[keep]
            for at in range(0, len(qi), _VERIFY):
                part = slice(at, at + _VERIFY)
                dot[part] += np.asarray(self.common[block[qi[part]]].multiply(
                    self.common[ref[rj[part]]]).sum(axis=1)).ravel()
            self.verified += len(qi)
            hit = dot >= cut
            yield start + qi[hit], rj[hit], dot[hit]
        # pairs sharing no rare n-gram were not in the products above
        heavy_q = np.flatnonzero(self.common_norm[query] >= cut)
        heavy_r = np.flatnonzero(ref_norm >= cut)
        if len(heavy_q) and len(heavy_r):
            # (pairs that also share a rare n-gram come out twice; callers keep the best)
            ref_full_t = self.full[ref[heavy_r]].T.tocsr()
            for start in range(0, len(heavy_q), _CHUNK):
                part = heavy_q[start:start + _CHUNK]
                product = (self.full[query[part]] @ ref_full_t).tocoo()
                self.verified += len(product.data)
                hit = product.data >= cut
                yield (part[product.row[hit]], heavy_r[product.col[hit]],
                       product.data[hit].astype(np.float64))

    def best_matches(self, query: np.ndarray, ref: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For each query row: best cosine >= threshold and its position in ``ref`` (or -1)."""
        best = np.zeros(len(query), dtype=np.float64)
        where = np.full(len(query), -1, dtype=np.int64)
        for qi, rj, sims in self.pairs(query, ref):
            # best match first per query row; ties go to the earlier ref row
            order = np.lexsort((rj, -sims, qi))
            rows, first = np.unique(qi[order], return_index=True)
            better = sims[order][first] > best[rows]
            best[rows[better]] = sims[order][first][better]
            where[rows[better]] = rj[order][first][better]
        return best, where

    def all_pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """Row pairs ``(i, j)`` with ``i < j`` and cosine >= threshold, over all rows."""
        n_rows = self.full.shape[0]
        found_i, found_j = [], []
        # the cosine is symmetric: compare each block with itself and later rows only
        for start in range(0, n_rows, _CHUNK):
            block = np.arange(start, min(start + _CHUNK, n_rows))
            for qi, rj, _ in self.pairs(block, np.arange(start, n_rows)):
                i, j = block[qi], start + rj
                found_i.append(i[i < j])
                found_j.append(j[i < j])
        if not found_i:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        return np.concatenate(found_i), np.concatenate(found_j)


def connected_groups(n_rows: int, rows_a, rows_b) -> list[int]:
    """Group rows linked (transitively) by the pairs ``(rows_a[k], rows_b[k])``.

    A group is numbered by its lowest row, as the readers' splits expect (ANT and
    Mawqif split by these numbers, so they must not change with the library).

    >>> connected_groups(5, [0, 3], [2, 4])
    [0, 1, 0, 3, 3]
    """
    if n_rows == 0:
        return []
    rows_a, rows_b = np.asarray(rows_a, dtype=np.int64), np.asarray(rows_b, dtype=np.int64)
    graph = sp.coo_matrix((np.ones(len(rows_a), dtype=np.int8), (rows_a, rows_b)),
                          shape=(n_rows, n_rows))
    _, label = connected_components(graph, directed=False)
    lowest = np.full(label.max() + 1, n_rows, dtype=np.int64)
    np.minimum.at(lowest, label, np.arange(n_rows))
    return lowest[label].tolist()
