"""The encoder to pre-train: a new compact BERT, or an existing checkpoint.

A new model gets its own WordPiece vocabulary, trained on the pre-training text with
``tokenizers``; an existing one (a local folder or a hub id such as AraBERT) keeps
its tokenizer and is pre-trained further on new text, which is domain- or
task-adaptive pre-training (Gururangan et al., 2020).
"""
from __future__ import annotations

import torch
from tokenizers.implementations import BertWordPieceTokenizer
from transformers import AutoModelForMaskedLM, AutoTokenizer, BertConfig, BertForMaskedLM, BertTokenizerFast

from arnews.encoders import load_error
from arnews.errors import ArnewsError


def train_wordpiece(texts, vocab_size: int, min_frequency: int = 2,
                    model_max_length: int = 512) -> BertTokenizerFast:
    """A BERT WordPiece tokenizer trained on ``texts`` (no lower-casing, accents kept).

    Arabic has no case, and stripping accents would delete the short vowels a user
    may keep with ``normalize.diacritics=false``, so both stay off.

    >>> tok = train_wordpiece(["نص عربي قصير"] * 20, vocab_size=80)
    >>> tok("نص عربي")["input_ids"][0] == tok.cls_token_id
    True
    """
    options = dict(lowercase=False, strip_accents=False, clean_text=True, handle_chinese_chars=False)
    wordpiece = BertWordPieceTokenizer(**options)
    wordpiece.train_from_iterator(texts, vocab_size=vocab_size, min_frequency=min_frequency,
                                  show_progress=False)
    # Re-created from the vocabulary: only then does it carry BERT's post-processor
    # ([CLS] a [SEP] b [SEP]) that pair inputs need.
    wordpiece = BertWordPieceTokenizer(wordpiece.get_vocab(), **options)
    return BertTokenizerFast(tokenizer_object=wordpiece._tokenizer, do_lower_case=False,
                             model_max_length=model_max_length)


def new_bert(tokenizer, seed: int, vocab_size: int | None = None, hidden_size: int = 256,
             num_hidden_layers: int = 4, num_attention_heads: int = 4,
             intermediate_size: int = 1024, max_position_embeddings: int = 512,
             min_frequency: int | None = None) -> BertForMaskedLM:
    """A randomly initialised BERT with an MLM head, sized by the ``model.compact`` keys.

    ``vocab_size`` and ``min_frequency`` shape the tokenizer, not the network: the
    embedding table always has one row per token the tokenizer really has.
    """
    torch.manual_seed(seed)
    config = BertConfig(vocab_size=len(tokenizer), hidden_size=hidden_size,
                        num_hidden_layers=num_hidden_layers, num_attention_heads=num_attention_heads,
                        intermediate_size=intermediate_size,
                        max_position_embeddings=max_position_embeddings,
                        pad_token_id=tokenizer.pad_token_id)
    return BertForMaskedLM(config)


def load_for_mlm(name_or_path: str):
    """Tokenizer and masked-LM model of an existing checkpoint, with a one-line error.

    As for fine-tuning, weights load from safetensors only and no checkpoint code runs.
    """
    try:
        tokenizer = AutoTokenizer.from_pretrained(name_or_path, trust_remote_code=False)
        model = AutoModelForMaskedLM.from_pretrained(name_or_path, use_safetensors=True,
                                                     trust_remote_code=False)
    except (OSError, ValueError) as exc:
        raise load_error(f"{name_or_path!r} for pre-training", exc, "pass a local checkpoint "
                         "folder as model.pretrained=..., or model=compact_scratch to start from "
                         "scratch") from None
    return tokenizer, model


def mlm_head(model) -> torch.nn.Module:
    """The module mapping hidden states to vocabulary logits (BERT: ``cls``, RoBERTa: ``lm_head``)."""
    for name in ("cls", "lm_head"):
        if isinstance(getattr(model, name, None), torch.nn.Module):
            return getattr(model, name)
    raise ArnewsError(f"{type(model).__name__}: no MLM head found (cls or lm_head); "
                      "pretrain.py handles BERT- and RoBERTa-style models")
