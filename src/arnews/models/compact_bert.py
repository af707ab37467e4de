"""A compact BERT built offline, loaded like any hub checkpoint.

The model and dataset hubs are out of reach on CI and in the default run, so the
default model is made here: a WordPiece tokenizer trained on the training texts
with ``tokenizers`` and a small randomly initialised ``BertConfig``. Both are saved
to a folder, which then goes through the same ``AutoTokenizer`` /
``AutoModelForSequenceClassification.from_pretrained`` path as a hub model id. The
folder is cached under a hash of everything that shaped it.
"""
from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import torch
from transformers import BertConfig, BertModel

from arnews.pretraining.encoder import train_wordpiece

log = logging.getLogger(__name__)


def compact_bert_dir(texts: list[str], cache_dir: str | Path, vocab_size: int = 8000,
                     hidden_size: int = 256, num_hidden_layers: int = 4,
                     num_attention_heads: int = 4, intermediate_size: int = 1024,
                     max_position_embeddings: int = 512, min_frequency: int = 2,
                     seed: int = 0) -> Path:
    """Build (or reuse) a compact BERT folder for ``texts`` and return its path.

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
    digest = hashlib.sha256(json.dumps({**shape, "min_frequency": min_frequency, "seed": seed},
                                       sort_keys=True).encode())
    for text in texts:
        digest.update(text.encode("utf-8"))
        digest.update(b"\0")
    out = Path(cache_dir).expanduser() / f"compact_bert-{digest.hexdigest()[:16]}"
    if (out / "model.safetensors").is_file() and (out / "tokenizer.json").is_file():
        log.info("reusing compact BERT from %s", out)
        return out
    out.mkdir(parents=True, exist_ok=True)
    log.info("building compact BERT in %s", out)

    tokenizer = train_wordpiece(texts, vocab_size, min_frequency, max_position_embeddings)
    tokenizer.save_pretrained(out)

    # A private RNG stream: building the model must not move the global one, or a run
    # that finds the model cached would initialise its classifier head differently.
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        config = BertConfig(**{**shape, "vocab_size": len(tokenizer)})
        BertModel(config).save_pretrained(out)
    return out
