"""Unlabelled documents for pre-training, gathered from labelled or unlabelled readers.

Only the *train* split of each source is ever read, so text that a later fine-tuning
run is tested (or tuned) on never reaches the encoder. Each article becomes one
document (title and text); claims and targets, which repeat across pairs, become one
document each. Exact copies are dropped.

>>> rows = [{"title": "عنوان", "text": "نص", "claim": "ادعاء"}, {"title": "عنوان", "text": "نص"}]
>>> documents(rows)
['عنوان\\nنص', 'ادعاء']
>>> train, held = held_out(["a", "b", "c", "d"], 0.25, seed=0)
>>> len(train), len(held)
(3, 1)
"""
from __future__ import annotations

import hashlib
from typing import Iterable

from arnews.errors import ArnewsError


def documents(rows: Iterable[dict]) -> list[str]:
    """One document per distinct article, claim or target, in first-seen order."""
    seen: dict[str, None] = {}
    for row in rows:
        article = "\n".join(p for p in (row.get("title"), row.get("text"))
                            if isinstance(p, str) and p.strip())
        for doc in (article, row.get("claim"), row.get("target")):
            if isinstance(doc, str) and doc.strip():
                seen.setdefault(doc.strip(), None)
    return list(seen)


def held_out(docs: list[str], fraction: float, seed: int) -> tuple[list[str], list[str]]:
    """Split documents into (train, held-out) by a seeded hash of their text.

    The hash makes the split independent of source order and stable when sources
    are added: a document is held out or not whatever else is in the corpus.
    """
    if not 0 <= fraction < 1:
        raise ArnewsError(f"pretrain.held_out_fraction={fraction}; use a value in [0, 1)")
    cut = int(fraction * 2**32)
    train, held = [], []
    for doc in docs:
        h = int.from_bytes(hashlib.sha1(f"{seed}\0{doc}".encode("utf-8")).digest()[:4], "big")
        (held if h < cut else train).append(doc)
    if fraction and not held and len(train) > 1:
        held.append(train.pop())  # a tiny corpus still gets a held-out document
    return train, held
