"""ArabicNormalizer against the PyArabic pipeline it replaced: wall time ratio.

Normalises ~22k real texts (SaudiNewsNet and ANT articles with titles, ANS and
Mawqif texts, from the shared dataset copies) with every step on, alternating the two
implementations so that both see the same machine load, and prints each one's median
seconds, the ratio, and how many outputs differ (only texts holding U+0670, which is
dropped now and was written as alef; see arnews.data.normalize). Needs PyArabic (the
dev extra).

    python benchmarks/normalize_speed.py                 # ~1 min on 2 busy cores
    python benchmarks/normalize_speed.py --repeats 5

Timings on shared machines are noisy: read the ratio, not the seconds.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

from pyarabic import araby

from arnews.data.normalize import ArabicNormalizer

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("ARNEWS_SHARED_DATASETS") or ROOT.parent / "shared" / "datasets")


def pyarabic_normalize(text: str) -> str:
    """The old ArabicNormalizer() with every step on (PyArabic calls, ya before alef)."""
    if not text:
        return text
    text = araby.strip_tatweel(araby.strip_tashkeel(text))
    return araby.normalize_alef(text.replace("\u0649", "\u064a"))


def load_texts(folder: Path) -> list[str]:
    from arnews.data.readers.ans import read_ans
    from arnews.data.readers.ant import read_ant
    from arnews.data.readers.mawqif import read_mawqif
    from arnews.data.readers.saudinewsnet import read_saudinewsnet

    texts = []
    for rows in (read_saudinewsnet(str(folder / "saudinewsnet"))["train"],
                 *read_ant(str(folder / "ant_v1"), near_threshold=None).values(),
                 *read_ans(str(folder / "ans")).values(),
                 *read_mawqif(str(folder / "mawqif"), near_threshold=None).values()):
        for r in rows:
            texts += [r[f] for f in ("title", "text", "claim", "target") if r.get(f)]
    return texts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="timed passes per implementation")
    parser.add_argument("--datasets", type=Path, default=SHARED, help="shared dataset folder")
    args = parser.parse_args()
    texts = load_texts(args.datasets)
    print(f"{len(texts):,} texts, {sum(map(len, texts)):,} characters")
    new = ArabicNormalizer()
    runs = {"pyarabic": pyarabic_normalize, "arnews": new}
    seconds: dict[str, list[float]] = {name: [] for name in runs}
    out = {}
    for _ in range(args.repeats):
        for name, fn in runs.items():
            start = time.perf_counter()
            out[name] = [fn(t) for t in texts]
            seconds[name].append(time.perf_counter() - start)
    old_s, new_s = statistics.median(seconds["pyarabic"]), statistics.median(seconds["arnews"])
    print(f"median seconds: pyarabic {old_s:.2f}, arnews {new_s:.2f}; "
          f"speed-up {old_s / new_s:.1f}x (ratio arnews/pyarabic {new_s / old_s:.2f})")
    differ = [i for i, (a, b) in enumerate(zip(out["pyarabic"], out["arnews"])) if a != b]
    explained = sum("\u0670" in texts[i] for i in differ)
    print(f"outputs differing: {len(differ)} of {len(texts)} ({explained} hold U+0670)")


if __name__ == "__main__":
    main()
