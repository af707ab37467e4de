"""Check that a run reproduces: the same command twice, each from its own empty cache.

Runs ``python train.py <overrides>`` twice, each with a fresh ``ARNEWS_CACHE_DIR``
and its own MLflow store, then compares every dev/test metric and the logged
``predictions/test.csv`` byte for byte. Prints each run's wall time too.

    python benchmarks/same_seed.py                       # the default run, twice (~6 min)
    python benchmarks/same_seed.py model=compact_scratch seed=3
    ARNEWS_SAME_SEED_DIR=/tmp/keep python benchmarks/same_seed.py   # keep both runs' stores

Exit status 0 when both runs agree, 1 otherwise.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mlflow.tracking import MlflowClient

ROOT = Path(__file__).resolve().parents[1]


def run(folder: Path, overrides: list[str]) -> tuple[dict, bytes, float]:
    folder.mkdir(parents=True)
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    env = {**os.environ, "ARNEWS_CACHE_DIR": str(folder / "cache")}
    env.pop("ARNEWS_PARENT_RUN_ID", None)
    started = time.perf_counter()
    subprocess.run([sys.executable, str(ROOT / "train.py"), *overrides, f"tracking.uri={uri}",
                    f"hydra.run.dir={folder / 'run'}"], cwd=folder, env=env, check=True)
    seconds = time.perf_counter() - started
    client = MlflowClient(uri)
    (run_,) = client.search_runs([e.experiment_id for e in client.search_experiments()])
    predictions = Path(client.download_artifacts(run_.info.run_id, "predictions/test.csv", str(folder)))
    metrics = {k: v for k, v in run_.data.metrics.items() if k.startswith(("dev/", "test/"))}
    return metrics, predictions.read_bytes(), seconds


def main() -> int:
    overrides = sys.argv[1:]
    keep = os.environ.get("ARNEWS_SAME_SEED_DIR")
    with tempfile.TemporaryDirectory(dir=keep) as tmp:
        root = Path(keep) if keep else Path(tmp)
        (m1, p1, s1), (m2, p2, s2) = (run(root / name, overrides) for name in ("first", "second"))
    differing = sorted(k for k in m1.keys() | m2.keys() if m1.get(k) != m2.get(k))
    print(f"wall time: {s1:.1f} s and {s2:.1f} s; test macro-F1 {m1.get('test/macro_f1')} and "
          f"{m2.get('test/macro_f1')}")
    print(f"metrics identical: {not differing}" + (f" (differ: {differing})" if differing else ""))
    print(f"predictions/test.csv identical: {p1 == p2}")
    return 0 if not differing and p1 == p2 else 1


if __name__ == "__main__":
    sys.exit(main())
