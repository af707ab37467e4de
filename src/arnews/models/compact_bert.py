"""A compact BERT built offline, loaded like any hub checkpoint.

The model and dataset hubs are out of reach on CI and in the default run, so the
from-scratch model is made here: a small randomly initialised ``BertConfig`` with a
tokenizer that is either an existing one (``model.compact.tokenizer``, by default the
shipped encoder's) or a WordPiece trained on the training texts with ``tokenizers``.
Both are saved to a folder, which then goes through the same ``AutoTokenizer`` /
``AutoModelForSequenceClassification.from_pretrained`` path as a hub model id.

The folder is cached under a hash of everything that shaped it, and written
atomically (built in a private temporary folder, then renamed into place), so
parallel sweep jobs on an empty cache never read a half-written model.

Why a fixed tokenizer by default: ``tokenizers`` trains WordPiece
non-deterministically across processes (ties between equally frequent merges are
broken in hash-map order, huggingface/tokenizers#1794), so a trained vocabulary makes
the same seed give different results from a cold cache.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from pathlib import Path

import torch
from transformers import AutoTokenizer, BertConfig, BertModel

from arnews.encoders import resolve_pretrained
from arnews.pretraining.encoder import train_wordpiece

log = logging.getLogger(__name__)


def compact_bert_dir(texts: list[str], cache_dir: str | Path, vocab_size: int = 8000,
                     hidden_size: int = 256, num_hidden_layers: int = 4,
                     num_attention_heads: int = 4, intermediate_size: int = 1024,
                     max_position_embeddings: int = 512, min_frequency: int = 2,
                     seed: int = 0, tokenizer: str | None = None) -> Path:
    """Build (or reuse) a compact BERT folder for ``texts`` and return its path.

    ``tokenizer`` (a folder or ``arnews:<name>``) is copied as it is, and then
    ``vocab_size`` and ``min_frequency`` are unused; ``None`` trains a WordPiece of
    ``vocab_size`` on ``texts``.

    >>> import tempfile
    >>> d = compact_bert_dir(["نص عربي قصير"] * 4, tempfile.mkdtemp(), vocab_size=200,
    ...                      hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
    ...                      intermediate_size=64)
    >>> sorted(p.name for p in d.iterdir() if p.suffix == ".json")[:2]
    ['config.json', 'tokenizer.json']
    """
    shape = dict(vocab_size=vocab_size, hidden_size=hidden_size,
                 num_hidden_layers=num_hidden_layers, num_attention_heads=num_attention_heads,
                 intermediate_size=intermediate_size,
                 max_position_embeddings=max_position_embeddings)
    digest = hashlib.sha256(json.dumps({**shape, "min_frequency": min_frequency, "seed": seed,
                                        "tokenizer": tokenizer}, sort_keys=True).encode())
    for text in texts if tokenizer is None else ():  # the texts only shape a trained vocabulary
        digest.update(text.encode("utf-8"))
        digest.update(b"\0")
    out = Path(cache_dir).expanduser() / f"compact_bert-{digest.hexdigest()[:16]}"
    if _complete(out):
        log.info("reusing compact BERT from %s", out)
        return out
    if out.exists():  # left half-written by an older, non-atomic version
        shutil.rmtree(out, ignore_errors=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    log.info("building compact BERT in %s", out)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        _build(staging, texts, shape, min_frequency, seed, tokenizer)
        try:
            os.rename(staging, out)
        except OSError:
            # Another job finished the same model first; both are identical, keep theirs.
            if not _complete(out):
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return out


def _complete(folder: Path) -> bool:
    return (folder / "model.safetensors").is_file() and (folder / "tokenizer.json").is_file()


def _build(folder: Path, texts: list[str], shape: dict, min_frequency: int, seed: int,
           tokenizer: str | None) -> None:
    if tokenizer is None:
        tok = train_wordpiece(texts, shape["vocab_size"], min_frequency, shape["max_position_embeddings"])
    else:
        tok = AutoTokenizer.from_pretrained(resolve_pretrained(tokenizer), trust_remote_code=False)
        tok.model_max_length = shape["max_position_embeddings"]
    tok.save_pretrained(folder)

    # A private RNG stream: building the model must not move the global one, or a run
    # that finds the model cached would initialise its classifier head differently.
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        config = BertConfig(**{**shape, "vocab_size": len(tok), "pad_token_id": tok.pad_token_id})
        BertModel(config).save_pretrained(folder)
