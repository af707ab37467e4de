"""What ``trainer.deterministic=true`` costs, as a ratio measured in one sitting.

Runs the same short fine-tuning of the shipped encoder (``python train.py`` with a
smaller recipe), alternating the default and ``trainer.deterministic=true`` so that
both see the same machine load, and prints the wall time of each, the ratio of the
medians, and whether the two settings logged the same test macro-F1.

    python benchmarks/deterministic_cost.py            # 2 pairs, about 4 min on 2 cores
    python benchmarks/deterministic_cost.py --pairs 3 --epochs 2

Timings on shared machines are noisy: read the ratio, not the seconds.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mlflow.tracking import MlflowClient

ROOT = Path(__file__).resolve().parents[1]


def run_once(folder: Path, deterministic: bool, epochs: int, max_length: int) -> tuple[float, float]:
    """Wall seconds and test macro-F1 of one ``train.py`` run into ``folder``'s store."""
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    name = f"det-{deterministic}-{time.monotonic_ns()}"
    command = [sys.executable, str(ROOT / "train.py"), f"trainer.deterministic={str(deterministic).lower()}",
               f"model.training.num_train_epochs={epochs}", f"model.max_length={max_length}",
               "tracking.log_model=false", f"tracking.uri={uri}", f"tracking.run_name={name}",
               f"hydra.run.dir={folder / name}", "trainer.args.disable_tqdm=true"]
    started = time.perf_counter()
    subprocess.run(command, cwd=folder, check=True, capture_output=True)
    seconds = time.perf_counter() - started
    client = MlflowClient(uri)
    ids = [e.experiment_id for e in client.search_experiments()]
    (run,) = client.search_runs(ids, f"attributes.run_name = '{name}'")
    return seconds, run.data.metrics["test/macro_f1"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=2, help="default/deterministic pairs to run")
    parser.add_argument("--epochs", type=int, default=2, help="fine-tuning epochs per run")
    parser.add_argument("--max-length", type=int, default=128, help="tokens per article")
    args = parser.parse_args()
    times = {False: [], True: []}
    scores = {False: set(), True: set()}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.pairs):
            for deterministic in (False, True):
                seconds, f1 = run_once(Path(tmp), deterministic, args.epochs, args.max_length)
                times[deterministic].append(seconds)
                scores[deterministic].add(round(f1, 6))
                print(f"pair {i + 1} deterministic={deterministic}: {seconds:.1f} s, test macro-F1 {f1:.4f}")
    ratio = statistics.median(times[True]) / statistics.median(times[False])
    print(f"median wall time: default {statistics.median(times[False]):.1f} s, "
          f"deterministic {statistics.median(times[True]):.1f} s, ratio {ratio:.2f}")
    print(f"test macro-F1 identical across all runs: {len(scores[False] | scores[True]) == 1} "
          f"({sorted(scores[False] | scores[True])})")


if __name__ == "__main__":
    main()
