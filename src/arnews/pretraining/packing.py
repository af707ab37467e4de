"""Documents → fixed-length token blocks, the input of masked-language modelling.

Documents are tokenized without special tokens, concatenated with a separator
between them, and cut into blocks of ``block_size`` tokens (``[CLS] ... [SEP]``),
so no compute is spent on padding ("packed sequences", as in RoBERTa). Each block
keeps its tokens' character offsets, which whole-word masking uses to find the
word a WordPiece or SentencePiece piece belongs to.

>>> from arnews.pretraining.encoder import train_wordpiece
>>> tok = train_wordpiece(["كلمة اخرى هنا"] * 50, vocab_size=60)
>>> blocks = pack(tok, ["كلمة اخرى هنا"] * 10, block_size=12)
>>> len(blocks[0]["input_ids"]), blocks[0]["special_tokens_mask"][:2]
(12, [1, 0])
"""
from __future__ import annotations

from datasets import Dataset

from arnews.errors import ArnewsError


def pack(tokenizer, docs: list[str], block_size: int, desc: str = "packing") -> Dataset:
    """A ``datasets.Dataset`` of blocks: input_ids, special_tokens_mask, offset_mapping."""
    if tokenizer.cls_token_id is None or tokenizer.sep_token_id is None:
        raise ArnewsError(f"{tokenizer.name_or_path}: the tokenizer has no CLS/SEP tokens; "
                          "pretrain.py handles BERT- and RoBERTa-style tokenizers")
    cls, sep = tokenizer.cls_token_id, tokenizer.sep_token_id
    body = block_size - 2
    if body < 8:
        raise ArnewsError(f"pretrain.block_size={block_size}; use at least 10 tokens")

    def tokenize(batch):
        enc = tokenizer(batch["text"], add_special_tokens=False, return_offsets_mapping=True,
                        return_attention_mask=False, return_token_type_ids=False)
        return {"ids": enc["input_ids"], "offsets": enc["offset_mapping"]}

    def group(batch):
        ids, offsets = [], []
        for doc_ids, doc_offsets in zip(batch["ids"], batch["offsets"]):
            ids.extend(doc_ids + [sep])  # the separator marks where a document ends
            offsets.extend([tuple(o) for o in doc_offsets] + [(0, 0)])
        blocks = {"input_ids": [], "special_tokens_mask": [], "offset_mapping": []}
        # The tail shorter than a block is dropped, as in the Hugging Face MLM example:
        # at most one block's worth of tokens per 1,000 documents.
        for start in range(0, len(ids) - body + 1, body):
            chunk = ids[start:start + body]
            blocks["input_ids"].append([cls] + chunk + [sep])
            blocks["special_tokens_mask"].append([1] + [int(t == sep) for t in chunk] + [1])
            blocks["offset_mapping"].append([(0, 0)] + offsets[start:start + body] + [(0, 0)])
        return blocks

    raw = Dataset.from_dict({"text": docs})
    tokenized = raw.map(tokenize, batched=True, remove_columns=["text"], desc=f"{desc}: tokenizing")
    blocks = tokenized.map(group, batched=True, batch_size=1000, remove_columns=["ids", "offsets"],
                           desc=f"{desc}: {block_size}-token blocks")
    if len(blocks) == 0:
        raise ArnewsError(f"the {desc} text holds fewer than {block_size} tokens; add text or "
                          "lower pretrain.block_size")
    return blocks
