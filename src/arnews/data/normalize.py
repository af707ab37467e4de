"""Configurable Arabic text normalisation, built on PyArabic.

Orthographic variation (diacritics, tatweel, hamza-carrying alef forms, final ya
written as alef maqsura) splits one word into several vocabulary entries; unifying
them helps TF-IDF baselines and small tokenizers. Each step can be switched off.
"""
from __future__ import annotations

from dataclasses import dataclass

from pyarabic import araby

# PyArabic has no ya step; alef maqsura (U+0649) is written for final ya in much
# Egyptian and older print, so map it to ya (U+064A).
_YA = str.maketrans({"\u0649": "\u064a"})


@dataclass(frozen=True)
class ArabicNormalizer:
    """Normalise Arabic text.

    >>> ArabicNormalizer()("إِنَّ الـــهجوم على مستشفى")
    'ان الهجوم علي مستشفي'
    """

    diacritics: bool = True
    tatweel: bool = True
    alef: bool = True
    ya: bool = True

    def __call__(self, text: str) -> str:
        if not text:
            return text
        if self.diacritics:
            text = araby.strip_tashkeel(text)
        if self.tatweel:
            text = araby.strip_tatweel(text)
        # ya before alef: PyArabic's alef step would turn alef maqsura into alef.
        if self.ya:
            text = text.translate(_YA)
        if self.alef:
            text = araby.normalize_alef(text)
        return text
