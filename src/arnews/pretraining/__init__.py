"""Masked-language-model pre-training of a BERT-style encoder (``python pretrain.py``).

One concept per module:

- ``corpus``: unlabelled documents from any reader's *train* split, deduplicated,
  with a held-out slice for perplexity;
- ``packing``: tokenize, concatenate and cut into fixed-length blocks;
- ``encoder``: a new compact BERT (its own WordPiece vocabulary) or an existing
  checkpoint to continue pre-training;
- ``word_vectors``: PPMI + SVD word vectors that seed a new model's embeddings;
- ``mlm``: the ``transformers.Trainer`` that scores only the masked positions.
"""
