"""The near-duplicate engine against the one it replaced: wall time ratio and counts.

The old engine (numpy-hashed char 4-grams, union-find, and a hash sample of the
n-grams on corpora above ~6M characters) is read from git at ``--old-rev`` (the last
commit that had it) and loaded as a module, so both run in one process on the same
rows, alternating, and see the same machine load. Datasets (from ``--datasets``, the
shared copies):

- SaudiNewsNet, the largest (8k articles, 15.7M characters), split by day: the first
  two days train, the third dev, the fourth test (re-published stories are real
  cross-split near copies); ``find_cross_split_duplicates`` is timed;
- ANT v1.1 (10k articles, 7.2M characters): ``duplicate_groups`` over all documents
  (what its reader runs) and ``find_cross_split_duplicates`` on the reader's split.

    python benchmarks/leakage_speed.py                     # ~3 min on 2 busy cores
    python benchmarks/leakage_speed.py --repeats 3 --check-exact   # ~10 min
    python benchmarks/leakage_speed.py --only snn

Prints, per dataset, each engine's median seconds, the ratio new/old, and both
engines' counts, which should agree (the old one may differ where it sampled).
``--check-exact`` also counts the near copies by brute force (every cosine of a later
split's articles against an earlier split's, scikit-learn's ``cosine_similarity``
in chunks; ~1 min more) to show that the new engine misses none.
Timings on shared machines are noisy: read the ratio, not the seconds.
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OLD_REV = "859a323"   # leakage.py before the engine moved to scikit-learn and SciPy
SHARED = Path(os.environ.get("ARNEWS_SHARED_DATASETS") or ROOT.parent / "shared" / "datasets")


def load_old_engine(rev: str):
    """``arnews/data/leakage.py`` as of ``rev``, imported under another name."""
    source = subprocess.run(["git", "show", f"{rev}:src/arnews/data/leakage.py"], cwd=ROOT,
                            check=True, capture_output=True, text=True).stdout
    folder = Path(tempfile.mkdtemp())
    (folder / "old_leakage.py").write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("old_leakage", folder / "old_leakage.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["old_leakage"] = module   # dataclasses look the module up by name
    spec.loader.exec_module(module)
    return module


def snn_by_day(folder: Path) -> dict[str, list[dict]]:
    from arnews.data.readers.saudinewsnet import read_saudinewsnet

    rows = read_saudinewsnet(str(folder))["train"]
    days = sorted({r["_where"].split(":")[0] for r in rows})
    split_of = {day: "train" if i < 2 else "dev" if i == 2 else "test"
                for i, day in enumerate(days)}
    out: dict[str, list[dict]] = {"train": [], "dev": [], "test": []}
    for r in rows:
        out[split_of[r["_where"].split(":")[0]]].append(r)
    return out


def timed(fn, repeats: int, engines: dict) -> dict[str, tuple[float, object]]:
    """Median seconds and last result per engine, alternating engines each repeat."""
    seconds: dict[str, list[float]] = {name: [] for name in engines}
    result = {}
    for _ in range(repeats):
        for name, module in engines.items():
            start = time.perf_counter()
            result[name] = fn(module)
            seconds[name].append(time.perf_counter() - start)
    return {name: (statistics.median(seconds[name]), result[name]) for name in engines}


def report_line(label: str, timings: dict, describe) -> None:
    old_s, old_r = timings["old"]
    new_s, new_r = timings["new"]
    print(f"{label}: old {old_s:.1f} s, new {new_s:.1f} s, ratio new/old {new_s / old_s:.2f}")
    print(f"  old: {describe(old_r)}")
    print(f"  new: {describe(new_r)}")


def group_stats(groups: list[int]) -> str:
    sizes = Counter(groups)
    multi = [n for n in sizes.values() if n > 1]
    return f"{len(multi)} groups of 2+ rows holding {sum(multi)} rows"


def brute_force_near(splits: dict[str, list[dict]], threshold: float = 0.9) -> dict:
    """Near-copy counts per split pair from every pairwise cosine (slow, for checking)."""
    import numpy as np
    from sklearn.metrics.pairwise import cosine_similarity

    from arnews.data.leakage import _distinct
    from arnews.data.near_duplicates import char_ngram_tfidf

    names = [n for n in ("train", "dev", "test") if n in splits]
    texts = {n: _distinct(splits[n])[0] for n in names}
    vectors = char_ngram_tfidf([t for n in names for t in texts[n]])
    rows, start = {}, 0
    for n in names:
        rows[n] = np.arange(start, start + len(texts[n]))
        start += len(texts[n])
    counts = {}
    for i, a in enumerate(names):
        earlier = set(texts[a])
        for b in names[i + 1:]:
            rest = np.array([r for r, t in zip(rows[b], texts[b]) if t not in earlier], dtype=int)
            near = 0
            for at in range(0, len(rest), 500):
                sims = cosine_similarity(vectors[rest[at:at + 500]], vectors[rows[a]])
                near += int((sims.max(axis=1) >= threshold - 1e-6).sum())
            counts[f"{a}-{b}"] = near
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=1, help="timed runs per engine")
    parser.add_argument("--old-rev", default=OLD_REV, help="git revision of the old engine")
    parser.add_argument("--datasets", type=Path, default=SHARED, help="shared dataset folder")
    parser.add_argument("--only", choices=("snn", "ant"), help="one dataset only")
    parser.add_argument("--check-exact", action="store_true",
                        help="also count near copies by brute force")
    args = parser.parse_args()

    import arnews.data.leakage as new
    engines = {"old": load_old_engine(args.old_rev), "new": new}

    def pairs(report) -> str:
        return f"{report.pairs} test_in_train={report.test_in_train}"

    if args.only in (None, "snn"):
        splits = snn_by_day(args.datasets / "saudinewsnet")
        chars = sum(len(new.article_text(r)) for rows in splits.values() for r in rows)
        sizes = {s: len(v) for s, v in splits.items()}
        print(f"SaudiNewsNet by day: {sizes} rows, {chars:,} chars")
        report_line("  find_cross_split_duplicates",
                    timed(lambda m: m.find_cross_split_duplicates(splits), args.repeats, engines),
                    pairs)
        if args.check_exact:
            print(f"  brute force near counts: {brute_force_near(splits)}")
    if args.only in (None, "ant"):
        from arnews.data.readers.ant import read_ant

        out = read_ant(str(args.datasets / "ant_v1"), near_threshold=None)
        every = [r for rows in out.values() for r in rows]
        chars = sum(len(new.article_text(r)) for r in every)
        print(f"ANT v1.1: {len(every)} rows, {chars:,} chars")
        report_line("  duplicate_groups",
                    timed(lambda m: m.duplicate_groups(every), args.repeats, engines), group_stats)
        splits = read_ant(str(args.datasets / "ant_v1"))   # split by the new engine's groups
        report_line("  find_cross_split_duplicates",
                    timed(lambda m: m.find_cross_split_duplicates(splits), args.repeats, engines),
                    pairs)
        if args.check_exact:
            print(f"  brute force near counts: {brute_force_near(splits)}")


if __name__ == "__main__":
    sys.exit(main())
