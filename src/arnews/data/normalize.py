"""The project's one Arabic text normaliser (plain Python: ``re`` and ``functools``).

Orthographic variation (diacritics, tatweel, hamza-carrying alef forms, final ya
written as alef maqsura) splits one word into several vocabulary entries; unifying
them helps TF-IDF baselines and small tokenizers. Each step can be switched off::

    from arnews.data.normalize import ArabicNormalizer
    normalize = ArabicNormalizer()                     # every step on
    normalize("إِنَّ الـــهجوم على مستشفى")              # 'ان الهجوم علي مستشفي'
    ArabicNormalizer(alef=False)("أعلنت")              # 'أعلنت'

The same normaliser is used on load (``normalize.*`` in the config), inside the logged
MLflow model, by the leakage check (:mod:`arnews.data.leakage`, which adds casefolding
and whitespace) and by the stance pair features. It imports nothing beyond the
standard library, so the logged model stays light, and it pickles as its four flags.

What each step does (every mapping is one character to at most one character, so
the steps commute and run as a single pass):

``diacritics``
    drops tanwin, harakat, shadda and sukun (U+064B-U+0652) **and the superscript
    (dagger) alef U+0670**. U+0670 is a vowel mark in the same sense as fatha: the
    usual unvocalised spelling of هٰذا, ذٰلك, الرحمٰن is هذا, ذلك, الرحمن, so it is
    dropped rather than written as a full alef. Other Arabic marks (the combining
    maddah and hamza U+0653-U+0655, Quranic annotation signs) are kept.
``tatweel``
    drops the kashida U+0640.
``alef``
    writes alef with madda, hamza above, hamza below and alef wasla (آ أ إ ٱ) as bare
    alef ا. Alef maqsura is left to the ``ya`` step.
``ya``
    writes alef maqsura ى (U+0649) as ya ي (U+064A), as much Egyptian and older print
    writes final ya.

Compared with PyArabic (``araby.strip_tashkeel``, ``strip_tatweel``,
``normalize_alef``, which this module used to call), the result is identical on the
steps they share, except on purpose in two places (checked in
``tests/test_normalize.py``): PyArabic's ``strip_tashkeel`` keeps U+0670 and its
``normalize_alef`` turns U+0670 into a full alef, and ``normalize_alef`` also turns
alef maqsura into alef (here only ``ya`` touches it, and into ya).

Why a regex and not ``str.translate`` over the whole text: CPython's ``translate``
looks every non-ASCII character up in the table one at a time (~100 ns each), while
the characters that change are a few percent of news text; a compiled character
class finds them at C speed and only those are looked up (on 5,000 SaudiNewsNet
articles: whole-text ``translate`` 1.0 s, this 0.2 s). Against the PyArabic version,
on 51k texts of the shared datasets (24M characters): 0.75 s against 7.0 s, 9.4x
faster (``python benchmarks/normalize_speed.py``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

DIACRITICS = "\u064b\u064c\u064d\u064e\u064f\u0650\u0651\u0652\u0670"
TATWEEL = "\u0640"
ALEF_FORMS = "\u0622\u0623\u0625\u0671"   # آ أ إ ٱ
ALEF = "\u0627"
ALEF_MAKSURA = "\u0649"
YA = "\u064a"


@lru_cache(maxsize=None)
def _compiled(diacritics: bool, tatweel: bool, alef: bool, ya: bool) -> Callable[[str], str] | None:
    """The normalising function for one flag combination, built once and cached.

    Returns None when every step is off, so the caller can skip the pass.
    """
    mapping: dict[str, str] = {}
    if diacritics:
        mapping.update(dict.fromkeys(DIACRITICS, ""))
    if tatweel:
        mapping[TATWEEL] = ""
    if alef:
        mapping.update(dict.fromkeys(ALEF_FORMS, ALEF))
    if ya:
        mapping[ALEF_MAKSURA] = YA
    if not mapping:
        return None
    pattern = re.compile("[" + "".join(sorted(mapping)) + "]")
    lookup = mapping.__getitem__

    def replace(match: re.Match) -> str:
        return lookup(match.group())

    def normalise(text: str) -> str:
        return pattern.sub(replace, text)

    return normalise


@dataclass(frozen=True)
class ArabicNormalizer:
    """Normalise Arabic text; each flag switches one step (see the module docstring).

    >>> ArabicNormalizer()("إِنَّ الـــهجوم على مستشفى")
    'ان الهجوم علي مستشفي'
    >>> ArabicNormalizer(diacritics=False, ya=False)("هٰذا المستشفى")
    'هٰذا المستشفى'
    >>> ArabicNormalizer()("هٰذا")        # the superscript alef goes with the diacritics
    'هذا'
    """

    diacritics: bool = True
    tatweel: bool = True
    alef: bool = True
    ya: bool = True

    def __call__(self, text: str) -> str:
        if not text:
            return text
        # a dict lookup in the lru_cache per call; instances stay plain dataclasses
        # (picklable as their four flags, equal when the flags are equal)
        run = _compiled(bool(self.diacritics), bool(self.tatweel), bool(self.alef),
                        bool(self.ya))
        return text if run is None else run(text)
