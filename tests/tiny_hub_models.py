"""Tiny random checkpoints of each hub preset's family, built offline.

The hub presets (AraBERT, CAMeLBERT, ARBERT, MARBERT, XLM-R) cannot be downloaded in
tests, but their *architecture and tokenizer type* can be reproduced at toy size, so a
GPU user's first real run does not fail on a detail such as XLM-R's missing
``token_type_ids``, its position offset (514 positions for 512 tokens), or a
SentencePiece tokenizer's pair template.

- BERT family: ``BertForMaskedLM`` with a WordPiece ``BertTokenizerFast`` that keeps
  case and accents, 512 positions and two token types, as the four Arabic BERTs ship.
- XLM-R family: ``XLMRobertaForMaskedLM`` with a SentencePiece-Unigram tokenizer,
  ``<s> A </s></s> B </s>`` pairs, one token type, padding id 1, 514 positions.
"""
from __future__ import annotations

from pathlib import Path

import torch
from tokenizers import SentencePieceUnigramTokenizer, processors
from transformers import BertConfig, BertForMaskedLM, XLMRobertaConfig, XLMRobertaForMaskedLM, XLMRobertaTokenizer

from arnews.pretraining.encoder import train_wordpiece

TINY = dict(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64)
# Which family each hub preset belongs to.
PRESET_FAMILY = {"arabert_v02": "bert", "camelbert_msa": "bert", "arbert": "bert",
                 "marbert_v2": "bert", "xlmr_base": "xlmr"}


def tiny_bert(folder: Path, texts: list[str]) -> Path:
    tokenizer = train_wordpiece(texts, vocab_size=2000, model_max_length=512)
    torch.manual_seed(0)
    model = BertForMaskedLM(BertConfig(vocab_size=len(tokenizer), max_position_embeddings=512,
                                       type_vocab_size=2, **TINY))
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def tiny_xlmr(folder: Path, texts: list[str]) -> Path:
    specials = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]  # XLM-R's ids 0..3, then <mask>
    sentencepiece = SentencePieceUnigramTokenizer()
    sentencepiece.train_from_iterator(texts, vocab_size=2000, special_tokens=specials,
                                      unk_token="<unk>", show_progress=False)
    backend = sentencepiece._tokenizer
    backend.post_processor = processors.RobertaProcessing(("</s>", 2), ("<s>", 0))
    tokenizer = XLMRobertaTokenizer(tokenizer_object=backend, bos_token="<s>", eos_token="</s>",
                                    sep_token="</s>", cls_token="<s>", unk_token="<unk>",
                                    pad_token="<pad>", mask_token="<mask>", model_max_length=512)
    torch.manual_seed(0)
    config = XLMRobertaConfig(vocab_size=len(tokenizer), max_position_embeddings=514,
                              type_vocab_size=1, pad_token_id=1, bos_token_id=0, eos_token_id=2,
                              **TINY)
    XLMRobertaForMaskedLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def build(family: str, folder: Path, texts: list[str]) -> Path:
    return {"bert": tiny_bert, "xlmr": tiny_xlmr}[family](folder, texts)
