"""Claim–article word overlap, and how well it alone separates related from unrelated pairs.

The measure (used by the build to pick hard automatic ``unrelated`` pairs, by the
validator and in the data card):

    overlap(claim, article) = |C ∩ A| / |C|

where C and A are the *sets* of content words of the claim and of the article (title
and text): ``\\w+`` tokens after the project's Arabic normaliser, stop words dropped,
Snowball-stemmed (:func:`arnews.models.pair_features.content_tokens`, the tokens the
``tfidf_pair`` features use). It is the share of the claim's words found in the
article; the Jaccard index |C ∩ A| / |C ∪ A| is reported beside it.

``overlap_auc`` is the ROC AUC of that score for related (agree, disagree, discuss)
against ``unrelated`` pairs: 1.0 means a threshold on word overlap alone tells them
apart perfectly, 0.5 means overlap says nothing. Corpus v1 (random unrelated pairs)
scored 0.996; v2 aims at 0.80 or less.

>>> round(overlap("الوزير استقال", "نفت الحكومة أن الوزير استقال"), 2)
1.0
>>> overlap_auc([(1.0, True), (0.2, False), (0.5, True), (0.6, False)])
0.75
"""
from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=4096)
def words(text: str) -> frozenset[str]:
    """Normalised, stemmed content words of ``text`` (a set)."""
    from arnews.models.pair_features import content_tokens

    return frozenset(content_tokens(text))


def article_text(row: dict) -> str:
    return (row.get("title") or "") + "\n" + row["text"]


def overlap(claim: str, article: str) -> float:
    """Share of the claim's content words that occur in the article."""
    c = words(claim)
    return len(c & words(article)) / len(c) if c else 0.0


def jaccard(claim: str, article: str) -> float:
    c, a = words(claim), words(article)
    return len(c & a) / len(c | a) if c | a else 0.0


def overlap_auc(scored: list[tuple[float, bool]]) -> float:
    """ROC AUC of a score for ``related`` (True) against unrelated (False); ties count half."""
    pos = sorted(s for s, related in scored if related)
    neg = sorted(s for s, related in scored if not related)
    if not pos or not neg:
        return float("nan")
    # Mann-Whitney U: for each positive, the negatives below it (+ half the ties).
    import bisect

    wins = sum(bisect.bisect_left(neg, p) + 0.5 * (bisect.bisect_right(neg, p) - bisect.bisect_left(neg, p))
               for p in pos)
    return wins / (len(pos) * len(neg))


def pair_auc(rows: list[dict], score=overlap) -> float:
    """``overlap_auc`` of stance rows (``claim``, ``title``, ``text``, ``stance``)."""
    return overlap_auc([(score(r["claim"], article_text(r)), r["stance"] != "unrelated") for r in rows])
