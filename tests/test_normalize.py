"""The Arabic normaliser (arnews.data.normalize), with PyArabic as the reference.

PyArabic is not a runtime dependency: it is only the yardstick here (dev extra).
The normaliser must agree with ``araby.strip_tashkeel``, ``strip_tatweel`` and
``normalize_alef`` on the steps they share, over synthetic strings and over real text
from the shared datasets (skipped when ../shared/datasets is absent), except where it
differs on purpose (see the module docstring):

- U+0670 (superscript alef) is dropped with the diacritics; PyArabic's
  ``strip_tashkeel`` keeps it and its ``normalize_alef`` writes it as a full alef;
- alef maqsura ى is only touched by the ``ya`` step (to ي); PyArabic's
  ``normalize_alef`` writes it as alef.
"""
from __future__ import annotations

import csv
import json
import os
import pickle
import random
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import pytest

from arnews.data import normalize as module
from arnews.data.normalize import ArabicNormalizer

SHARED = Path(os.environ.get("ARNEWS_SHARED_DATASETS")
              or Path(__file__).resolve().parents[2] / "shared" / "datasets")
SUPERSCRIPT_ALEF, ALEF_MAKSURA, YA = "\u0670", "\u0649", "\u064a"
ONLY = {step: ArabicNormalizer(**{s: s == step for s in ("diacritics", "tatweel", "alef", "ya")})
        for step in ("diacritics", "tatweel", "alef", "ya")}


@pytest.fixture(scope="module")
def araby():
    return pytest.importorskip("pyarabic.araby")


def pyarabic_pipeline(araby, text: str) -> str:
    """The normaliser this module replaced (every step on), built on PyArabic."""
    text = araby.strip_tatweel(araby.strip_tashkeel(text))
    return araby.normalize_alef(text.replace(ALEF_MAKSURA, YA))


def synthetic_texts(n: int = 400, seed: int = 0) -> list[str]:
    """Random strings over Arabic letters and marks, Latin, digits and white space."""
    alphabet = ([chr(c) for c in range(0x0621, 0x064B)]        # letters, tatweel
                + [chr(c) for c in range(0x064B, 0x0660)]      # harakat and other marks
                + [SUPERSCRIPT_ALEF, "\u0671", "\u06cc", "\ufefb", "\ufe8d"]
                + list("abcXYZ019 .,؟،\n\t") + [" "] * 6)
    rng = random.Random(seed)
    return ["".join(rng.choices(alphabet, k=rng.randint(0, 60))) for _ in range(n)]


def shared_texts(limit: int = 300) -> list[str]:
    """Raw titles and bodies from every shared dataset present (files read as is)."""
    if not SHARED.is_dir():
        pytest.skip(f"shared dataset copy {SHARED} is absent")
    texts: list[str] = []
    for file in sorted((SHARED / "ans").glob("stance/*.csv")):
        with open(file, encoding="utf-8-sig", newline="") as fh:
            texts += [f"{r['s1']}\n{r['s2']}" for r in csv.DictReader(fh)]
    for file in sorted((SHARED / "mawqif").glob("*.csv")):
        with open(file, encoding="utf-8-sig", newline="") as fh:
            texts += [r["text"] for r in csv.DictReader(fh)]
    for file in sorted((SHARED / "saudinewsnet").glob("*.json"))[:1]:
        texts += [f"{a.get('title') or ''}\n{a.get('content') or ''}"
                  for a in json.loads(file.read_text(encoding="utf-8-sig"))[:limit]]
    for file in sorted((SHARED / "ant_v1").glob("*/*.txt"))[:limit]:
        texts.append(file.read_text(encoding="utf-8-sig", errors="replace"))
    for file in sorted((SHARED / "baly2018").glob("dataset/*.json"))[:limit // 10]:
        record = json.loads(file.read_text(encoding="utf-8-sig"))
        texts += [record.get("claim") or ""] + list(record.get("article") or [])
    if not texts:
        pytest.skip(f"no dataset files found under {SHARED}")
    return texts


def test_each_step():
    assert ONLY["diacritics"]("الْعَرَبِيَّةُ كتابٌ") == "العربية كتاب"
    assert ONLY["diacritics"]("هٰذا الرَّحْمٰن") == "هذا الرحمن"      # U+0670 goes too
    assert ONLY["tatweel"]("العـــــربية") == "العربية"
    assert ONLY["alef"]("أحمد إلى آخر ٱلكتاب على") == "احمد الى اخر الكتاب على"
    assert ONLY["ya"]("مستشفى على") == "مستشفي علي"
    assert ArabicNormalizer()("إِنَّ الـــهجوم على مستشفى") == "ان الهجوم علي مستشفي"


def test_steps_switch_off_and_all_off_is_identity():
    text = "أَعْلـــنَ هٰذا المستشفى"
    assert ArabicNormalizer(False, False, False, False)(text) == text
    assert ArabicNormalizer(diacritics=False)(text) == "اَعْلنَ هٰذا المستشفي"
    assert ArabicNormalizer(ya=False)(text) == "اعلن هذا المستشفى"
    assert ArabicNormalizer()("") == "" and ArabicNormalizer()("abc 123") == "abc 123"


def test_pickles_as_its_flags_and_rebuilds_from_asdict():
    normalizer = ArabicNormalizer(alef=False)
    clone = pickle.loads(pickle.dumps(normalizer))
    assert clone == normalizer and clone("أَ") == normalizer("أَ") == "أ"
    # train.py logs asdict(normalizer) in the model; the pyfunc rebuilds it from that
    assert asdict(normalizer) == {"diacritics": True, "tatweel": True, "alef": False, "ya": True}
    assert ArabicNormalizer(**asdict(normalizer)) == normalizer


BLOCKER = """
import importlib.abc, importlib.util, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError("blocked " + name)
sys.meta_path.insert(0, Block())
"""
HEAVY = {"pyarabic", "torch", "hydra", "omegaconf"}


def run_blocked(blocked: set[str], body: str) -> str:
    code = f"BLOCKED = {sorted(blocked)!r}\n{BLOCKER}\n{body}"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_imports_without_pyarabic_torch_hydra_omegaconf():
    """The logged model imports the normaliser: it must stay light."""
    body = "from arnews.data.normalize import ArabicNormalizer\nprint(ArabicNormalizer()('أَهلاً'))"
    assert run_blocked(HEAVY, body) == "اهلا"


def test_module_itself_needs_only_the_standard_library():
    """Loaded as a lone file (no package __init__), even numpy may be missing."""
    body = f"""
spec = importlib.util.spec_from_file_location("alone", {str(Path(module.__file__))!r})
alone = importlib.util.module_from_spec(spec)
sys.modules["alone"] = alone
spec.loader.exec_module(alone)
print(alone.ArabicNormalizer()("أَهلاً"))
"""
    assert run_blocked(HEAVY | {"numpy", "scipy", "sklearn", "pandas"}, body) == "اهلا"


@pytest.mark.parametrize("source", ["synthetic", "shared"])
def test_agrees_with_pyarabic_on_shared_steps(araby, source):
    texts = synthetic_texts() if source == "synthetic" else shared_texts()
    changed = 0
    for text in texts:
        # diacritics: PyArabic keeps U+0670, we drop it
        assert ONLY["diacritics"](text) == araby.strip_tashkeel(text).replace(SUPERSCRIPT_ALEF, "")
        assert ONLY["tatweel"](text) == araby.strip_tatweel(text)
        # alef: PyArabic also rewrites alef maqsura and U+0670, which we leave alone
        plain = text.replace(ALEF_MAKSURA, "").replace(SUPERSCRIPT_ALEF, "")
        assert ONLY["alef"](plain) == araby.normalize_alef(plain)
        assert ONLY["ya"](text) == text.replace(ALEF_MAKSURA, YA)
        # every step on: the PyArabic pipeline this replaced, but for U+0670
        full = ArabicNormalizer()(text)
        assert full == pyarabic_pipeline(araby, text.replace(SUPERSCRIPT_ALEF, ""))
        changed += full != text
    assert changed > len(texts) // 4      # the texts did exercise the steps


def test_intended_differences_from_pyarabic(araby):
    # superscript alef: dropped, not written as a full alef (هٰذا is spelt هذا)
    assert araby.normalize_alef(araby.strip_tashkeel("هٰذا")) == "هاذا"
    assert ArabicNormalizer()("هٰذا") == "هذا"
    # alef maqsura is the ya step's: with ya off, alef leaves it alone
    assert araby.normalize_alef("على") == "علا"
    assert ArabicNormalizer(ya=False)("على") == "على"
