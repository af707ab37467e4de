"""Fitting long articles into a model's window: head, head_tail or chunks.

Only the article (the second segment of a pair, or the single text) is ever cut;
the claim or target stays whole. ``chunks`` uses the fast tokenizer's own
overflow windows (``return_overflowing_tokens`` with a ``stride``), and scores an
article by pooling the logits of all its windows.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from arnews.errors import ArnewsError
from arnews.tasks.inputs import Inputs

log = logging.getLogger(__name__)

STRATEGIES = ("head", "head_tail", "chunks")
_MARKER = " … "  # head_tail: where the middle of the article was cut
_MIN_ARTICLE = 8  # article tokens a pair always keeps, however long the claim


@dataclass
class LongTextConfig:
    """How to handle articles longer than ``max_length`` tokens."""

    strategy: str = "head"
    head_fraction: float = 0.5   # head_tail: share of the budget kept from the start
    stride: int = 64             # chunks: tokens shared by neighbouring windows
    pooling: str = "mean"        # chunks: mean or max over window logits
    max_chunks: int = 64         # chunks: cap per article, to bound memory

    def __post_init__(self):
        if self.strategy not in STRATEGIES:
            raise ArnewsError(f"long_text.strategy={self.strategy!r}; choose one of {', '.join(STRATEGIES)}")
        if self.pooling not in ("mean", "max"):
            raise ArnewsError(f"long_text.pooling={self.pooling!r}; choose mean or max")


def _head_tail(tokenizer, texts: list[str], budgets: list[int], head_fraction: float) -> list[str]:
    """Cut each text to its first and last tokens, at character offsets, so the
    result re-tokenizes to (about) the same pieces with any tokenizer."""
    # Measuring whole articles: verbose=False keeps transformers from warning that they
    # exceed the model's length, which is why they are being cut here.
    enc = tokenizer(texts, add_special_tokens=False, return_offsets_mapping=True, verbose=False)
    # The marker is tokens too (often [UNK]); left out of the budget, it would push
    # the article's last token past max_length, where plain truncation drops it.
    n_marker = len(tokenizer(_MARKER, add_special_tokens=False)["input_ids"])
    out = []
    for text, offsets, budget in zip(texts, enc["offset_mapping"], budgets):
        if len(offsets) <= budget:
            out.append(text)
            continue
        keep = max(2, budget - n_marker)
        n_head = max(1, int(keep * head_fraction))
        n_tail = max(1, keep - n_head)
        head_end = offsets[n_head - 1][1]
        tail_start = offsets[len(offsets) - n_tail][0]
        out.append(text[:head_end] + _MARKER + text[tail_start:])
    return out


def encode(tokenizer, inputs: Inputs, max_length: int, cfg: LongTextConfig) -> tuple[dict, np.ndarray]:
    """Tokenize ``inputs``; return features and, per feature row, its example index."""
    first, second = inputs.first, inputs.second
    claim_len = None
    if second is not None:  # the claims are tokenized once here; their lengths serve below
        first, claim_len = _fit_claims(tokenizer, first, max(1, max_length - 3 - _MIN_ARTICLE))
    article = second if second is not None else first
    if cfg.strategy == "head_tail":
        if second is None:
            budgets = [max_length - 2] * len(first)
        else:
            budgets = [max(_MIN_ARTICLE, max_length - 3 - n) for n in claim_len]
        article = _head_tail(tokenizer, article, budgets, cfg.head_fraction)
    args = (first, article) if second is not None else (article,)
    kwargs = dict(truncation="only_second" if second is not None else True, max_length=max_length)
    if cfg.strategy != "chunks":
        enc = tokenizer(*args, **kwargs)
        return dict(enc), np.arange(len(first))
    stride = _window_stride(tokenizer, claim_len, max_length, cfg.stride)
    enc = tokenizer(*args, **kwargs, stride=stride, return_overflowing_tokens=True)
    doc = np.asarray(enc.pop("overflow_to_sample_mapping"))
    keep = _cap_windows(doc, cfg.max_chunks)
    return {k: [v[i] for i in keep] for k, v in enc.items()}, doc[keep]


def _fit_claims(tokenizer, claims: list[str], limit: int) -> tuple[list[str], list[int]]:
    """Claims cut to ``limit`` tokens, so the article always keeps a few tokens, and
    their token counts after the cut.

    The claim is normally kept whole, but one that fills the window would make pair
    truncation fail outright (a small ``max_length``, or a paragraph-long claim);
    such claims lose their end, with a warning.
    """
    enc = tokenizer(claims, add_special_tokens=False, return_offsets_mapping=True, verbose=False)
    out, lengths, cut = [], [], 0
    for claim, offsets in zip(claims, enc["offset_mapping"]):
        if len(offsets) > limit:
            claim, cut = claim[:offsets[limit - 1][1]], cut + 1
        out.append(claim)
        lengths.append(min(len(offsets), limit))
    if cut:
        log.warning("%d claim(s) longer than %d tokens were cut to leave room for their article "
                    "within model.max_length", cut, limit)
    return out, lengths


def _window_stride(tokenizer, claim_len: list[int] | None, max_length: int, stride: int) -> int:
    """``stride``, or half the article's room when the claim (or a small max_length)
    leaves no more: the tokenizer refuses a stride as long as the window.
    ``claim_len`` holds the claims' token counts, None for single texts."""
    room = max_length - tokenizer.num_special_tokens_to_add(pair=claim_len is not None)
    if claim_len:
        room -= max(claim_len)
    if stride < room or room < 2:
        return stride
    log.warning("long_text.stride=%d leaves no new tokens per window (%d article tokens fit "
                "beside the claim and special tokens); using stride %d", stride, room, room // 2)
    return room // 2


def _cap_windows(doc: np.ndarray, cap: int) -> np.ndarray:
    """Indices of at most ``cap`` windows per article, spread evenly over it."""
    keep = []
    for d in np.unique(doc):
        idx = np.flatnonzero(doc == d)
        if len(idx) > cap:
            idx = idx[np.linspace(0, len(idx) - 1, cap).round().astype(int)]
        keep.extend(idx.tolist())
    return np.asarray(sorted(keep))


def pool_logits(logits: np.ndarray, doc: np.ndarray, n_docs: int, pooling: str) -> np.ndarray:
    """Article logits from window logits (mean or max per article).

    >>> pool_logits(np.array([[1.0], [3.0], [5.0]]), np.array([0, 0, 1]), 2, "max").tolist()
    [[3.0], [5.0]]
    """
    out = np.zeros((n_docs, logits.shape[1]), dtype=logits.dtype)
    for d in range(n_docs):
        rows = logits[doc == d]
        out[d] = rows.max(axis=0) if pooling == "max" else rows.mean(axis=0)
    return out
