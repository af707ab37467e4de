"""Word vectors from co-occurrence counts, to start a new encoder's embeddings.

A from-scratch BERT spends its first millions of tokens learning which word pieces
behave alike. Positive pointwise mutual information over a small window, reduced by
a truncated SVD (Levy, Goldberg & Dagan, 2015), gives that in seconds on a CPU from
the same packed blocks, with nothing beyond NumPy, SciPy and scikit-learn.

>>> import numpy as np
>>> blocks = np.array([[5, 6, 7, 5, 6, 7, 5, 6]] * 4)
>>> vectors = ppmi_svd(blocks, vocab_size=10, dim=2, window=2, skip_ids=[0])
>>> vectors.shape, bool(np.abs(vectors[5]).sum() > 0), bool(np.abs(vectors[9]).sum() == 0)
((10, 2), True, True)
"""
from __future__ import annotations

import numpy as np
from scipy import sparse
from sklearn.utils.extmath import randomized_svd


def ppmi_svd(blocks: np.ndarray, vocab_size: int, dim: int, window: int = 5,
             skip_ids=(), smoothing: float = 0.75, seed: int = 0) -> np.ndarray:
    """``vocab_size x dim`` vectors; rows of tokens never seen are zero.

    ``blocks`` is a 2-D array of token ids; pairs within ``window`` positions count,
    weighted 1/distance; ``skip_ids`` (special tokens) are left out. Context counts
    are raised to ``smoothing`` (0.75, as in word2vec) so rare contexts do not
    dominate PMI.
    """
    blocks = np.asarray(blocks, dtype=np.int64)
    keep = ~np.isin(blocks, np.asarray(list(skip_ids), dtype=np.int64))
    rows, cols, weights = [], [], []
    for k in range(1, window + 1):
        ok = (keep[:, :-k] & keep[:, k:]).ravel()
        a, b = blocks[:, :-k].ravel()[ok], blocks[:, k:].ravel()[ok]
        rows += [a, b]
        cols += [b, a]
        weights += [np.full(2 * len(a), 1.0 / k)]
    counts = sparse.coo_matrix((np.concatenate(weights), (np.concatenate(rows), np.concatenate(cols))),
                               shape=(vocab_size, vocab_size)).tocsr()
    counts.sum_duplicates()
    word = np.asarray(counts.sum(axis=1)).ravel()
    context = np.asarray(counts.sum(axis=0)).ravel() ** smoothing
    coo = counts.tocoo()
    pmi = np.log(coo.data * context.sum() / (word[coo.row] * context[coo.col]))
    positive = pmi > 0
    ppmi = sparse.csr_matrix((pmi[positive], (coo.row[positive], coo.col[positive])),
                             shape=counts.shape)
    u, s, _ = randomized_svd(ppmi, n_components=dim, random_state=seed)
    vectors = u * np.sqrt(s)
    vectors[word == 0] = 0.0
    return vectors.astype(np.float32)


def seed_embeddings(embedding: "torch.nn.Embedding", vectors: np.ndarray, std: float) -> int:
    """Copy ``vectors`` (scaled to ``std``) into the rows they cover; return how many."""
    import torch

    seen = np.abs(vectors).sum(axis=1) > 0
    if not seen.any():
        return 0
    scaled = vectors[seen] / vectors[seen].std() * std
    with torch.no_grad():
        embedding.weight[torch.as_tensor(np.flatnonzero(seen))] = torch.as_tensor(scaled)
    return int(seen.sum())
