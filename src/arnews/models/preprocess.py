"""Model-specific text preprocessing, applied before tokenization in training and serving.

Some authors prescribe how text must look before their tokenizer sees it. AraBERT's
authors publish ``ArabertPreprocessor`` (package ``arabert``), which for the v0.2
models puts spaces around punctuation and digits, replaces links, e-mail addresses and
user mentions by placeholder tokens, and strips tatweel; their vocabulary was built on
text treated that way. The preprocessor's name is stored with the fine-tuned model, so
the logged pyfunc applies the same step to every request.

>>> build_preprocessor(None) is None
True
>>> prep = build_preprocessor("arabert:bert-base-arabertv02")
>>> prep("هجوم على موقع www.example.com (تم صده)")
'هجوم على موقع [رابط] ( تم صده )'
"""
from __future__ import annotations

from typing import Callable

from arnews.errors import ArnewsError
from arnews.tasks.inputs import Inputs

KINDS = ("arabert",)


def build_preprocessor(spec: str | None) -> Callable[[str], str] | None:
    """``None``, or ``"arabert:<AraBERT model name>"`` → a text-to-text function."""
    if not spec:
        return None
    kind, _, name = str(spec).partition(":")
    if kind != "arabert" or not name:
        raise ArnewsError(f"model.preprocess={spec!r}; use null or arabert:<model name>, e.g. "
                          "arabert:bert-base-arabertv02")
    try:
        from arabert.preprocess import ArabertPreprocessor
    except ImportError:
        raise ArnewsError(f"model.preprocess={spec} needs the arabert package: "
                          "pip install 'arnews[arabert]' (or pip install arabert)") from None
    return ArabertPreprocessor(model_name=name).preprocess


def preprocess_inputs(prep: Callable[[str], str] | None, inputs: Inputs) -> Inputs:
    """``inputs`` with ``prep`` applied to every text (claim and article alike), or as
    they are when the model has no preprocessing: training and serving call this one."""
    if prep is None:
        return inputs
    return Inputs([prep(t) for t in inputs.first],
                  None if inputs.second is None else [prep(t) for t in inputs.second])
