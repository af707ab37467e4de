"""Start-up and serving speed, side by side in one sitting, as a small table.

Measures, on this machine and in this order:

1. a warm baseline run: ``python train.py model=majority`` into an existing store (median),
   beside the floor of the libraries under it (``benchmarks/library_floor.py``: a Hydra app
   that logs one metric of a scikit-learn fit to an MLflow SQLite run, with and without
   logging the model), the runs interleaved so that drift hits each alike;
2. loading the logged default model in a fresh process: ``import mlflow.pyfunc`` (MLflow's
   own fixed cost, the same for any MLflow model) and then ``mlflow.pyfunc.load_model``
   (median of each);
3. one article through ``pyfunc.predict`` (median of 20, after a warm-up call);
4. batch throughput of ``pyfunc.predict`` (ONNX Runtime) against a bare forward pass of
   the same graph and tokenizer in batches of 64 (docs/s, and the ratio), and against the
   same model served by torch (``ARNEWS_BACKEND=torch``, the path before ONNX);
5. the same model with ``ARNEWS_QUANTIZE=int8`` (ONNX Runtime dynamic int8): batch
   speed-up over fp32 and the change in macro-F1 on the demo test split and, when given,
   on the real-news set of study 06 (``--real-news DIR``, built by
   ``experiments/06_real_news/build_split.py``).

    python benchmarks/serving.py                               # trains the default model first
    python benchmarks/serving.py --model-uri runs:/<id>/topic-compact_bert \\
        --tracking-uri sqlite:///mlflow.db --real-news /tmp/real_news --out table.md

Timings on shared machines are noisy: compare the ratios, which are measured together.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _python(code: str, cwd: Path, env: dict | None = None) -> str:
    out = subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True,
                         env={**os.environ, **(env or {})})
    if out.returncode:
        sys.exit(out.stderr[-3000:])
    return out.stdout.strip().splitlines()[-1]


def _seconds(script: str, folder: Path, *args: str) -> float:
    """Wall seconds of ``python <script> args`` (a repository script), run in ``folder``
    with its own Hydra run folder."""
    started = time.perf_counter()
    subprocess.run([sys.executable, str(ROOT / script), f"hydra.run.dir={folder / f'run-{time.monotonic_ns()}'}",
                    *args], cwd=folder, check=True, capture_output=True)
    return time.perf_counter() - started


def _train(folder: Path, uri: str, *overrides: str) -> float:
    return _seconds("train.py", folder, f"tracking.uri={uri}", "trainer.args.disable_tqdm=true", *overrides)


def _floor(folder: Path, uri: str, *overrides: str) -> float:
    return _seconds("benchmarks/library_floor.py", folder, f"+tracking_uri={uri}", *overrides)


def baseline_start(folder: Path, uri: str, repeats: int) -> dict[str, float]:
    """Median seconds of a warm baseline run and of the library floor without and with a
    logged model, run in turn (each store created beforehand: migrations are a one-off)."""
    floor_uri = f"sqlite:///{folder / 'floor.db'}"
    runs = {"train": lambda: _train(folder, uri, "model=majority"),
            "floor": lambda: _floor(folder, floor_uri),
            "floor_model": lambda: _floor(folder, floor_uri, "+log_model=true")}
    for run in runs.values():
        run()
    times = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            times[name].append(run())
    return {name: statistics.median(t) for name, t in times.items()}


def default_model(folder: Path, uri: str) -> str:
    _train(folder, uri)
    from mlflow.tracking import MlflowClient

    client = MlflowClient(uri)
    ids = [e.experiment_id for e in client.search_experiments()]
    run = client.search_runs(ids, "tags.model = 'compact_bert'", order_by=["attributes.start_time DESC"])[0]
    return run.data.tags["model_uri"]


def load_seconds(uri: str, tracking: str, folder: Path, repeats: int) -> tuple[float, float]:
    """Medians of (``import mlflow.pyfunc``, ``load_model``) in fresh processes."""
    code = ("import time; t = time.perf_counter(); import mlflow.pyfunc; i = time.perf_counter(); "
            f"mlflow.set_tracking_uri({tracking!r}); mlflow.pyfunc.load_model({uri!r}); "
            "print(i - t, time.perf_counter() - i)")
    runs = [tuple(map(float, _python(code, folder).split())) for _ in range(repeats)]
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


def texts_of(rows: list[dict]) -> list[str]:
    return [r.get("text", "") for r in rows]


def docs_per_second(fn, n_docs: int, repeats: int = 3) -> float:
    best = min(_timed(fn) for _ in range(repeats))
    return n_docs / best


def _timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def bare_forward(predictor, frame) -> None:
    """The floor: tokenizer + the served graph in batches of 64, nothing else."""
    clf = predictor.classifier
    names = {i.name for i in clf.session.get_inputs()}
    texts = [f"{t}\n{x}" for t, x in zip(frame["title"], frame["text"])]
    for start in range(0, len(texts), 64):
        batch = clf.tokenizer(texts[start:start + 64], truncation=True, max_length=clf.max_length,
                              padding=True, return_tensors="np")
        clf.session.run(["logits"], {k: v for k, v in batch.items() if k in names})


def macro_f1(model, rows: list[dict]) -> float:
    """Macro-F1 of a loaded pyfunc on raw rows, through its own Predictor (as evaluate.py)."""
    predictor = model.unwrap_python_model().predictor
    scores, _ = predictor.predict_rows(rows)
    _, results = predictor.evaluate(scores, predictor.task.targets(rows))
    return results["macro_f1"]


def _floor_rows(starts: dict[str, float], repeats: int) -> list[str]:
    return [f"| library floor: Hydra app, MLflow SQLite run, one metric of a scikit-learn fit (median of {repeats}) | {starts['floor']:.1f} s |",
            f"| the floor plus `mlflow.sklearn.log_model` (median of {repeats}) | {starts['floor_model']:.1f} s |",
            f"| baseline run / library floor | {starts['train'] / starts['floor']:.2f}x |"]


def _machine() -> str:
    return f"{os.cpu_count()} CPU cores, {platform.processor() or platform.machine()}, Python {platform.python_version()}"


def _report(args, rows: list[str], model: str, numbers: dict) -> None:
    table = "\n".join([f"Serving benchmark, {date.today()}, {_machine()}; model {model}", "",
                       "| measure | value |", "|---|---:|", *rows])
    print(table)
    if args.out:
        args.out.write_text(table + "\n")
    print(json.dumps(numbers), file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-uri", help="a logged topic model (default: train the default model first)")
    parser.add_argument("--tracking-uri", help="the store of --model-uri")
    parser.add_argument("--real-news", type=Path, help="folder holding study 06's test.jsonl")
    parser.add_argument("--repeats", type=int, default=3, help="runs per start-up median")
    parser.add_argument("--out", type=Path, help="also write the table to this file")
    parser.add_argument("--start-only", action="store_true",
                        help="measure step 1 only (the baseline run and the library floor)")
    args = parser.parse_args()

    import mlflow
    import pandas as pd

    from arnews.data.demo import read_demo
    from arnews.data.jsonl import read_jsonl_file

    folder = Path(tempfile.mkdtemp(prefix="arnews-bench-"))
    store = f"sqlite:///{folder / 'mlflow.db'}"
    starts = baseline_start(folder, store, args.repeats)
    start = starts["train"]
    if args.start_only:
        _report(args, [f"| warm `python train.py model=majority` (median of {args.repeats}) | {start:.1f} s |",
                       *_floor_rows(starts, args.repeats)], "none (--start-only)", starts)
        return
    uri, tracking = args.model_uri, args.tracking_uri or store
    if uri is None:
        uri = default_model(folder, store)
    mlflow_import, load = load_seconds(uri, tracking, folder, args.repeats)

    mlflow.set_tracking_uri(tracking)
    model = mlflow.pyfunc.load_model(uri)
    demo = read_demo("topic")
    rows = demo["train"] + demo["dev"] + demo["test"]
    frame = pd.DataFrame({"title": [r.get("title", "") for r in rows], "text": texts_of(rows)})
    one = frame.iloc[:1]
    model.predict(one)  # warm-up
    latency = statistics.median(_timed(lambda: model.predict(one)) for _ in range(20)) * 1000
    predictor = model.unwrap_python_model().predictor
    served = docs_per_second(lambda: model.predict(frame), len(frame))
    bare = docs_per_second(lambda: bare_forward(predictor, frame), len(frame))

    os.environ["ARNEWS_BACKEND"] = "torch"
    torch_model = mlflow.pyfunc.load_model(uri)
    del os.environ["ARNEWS_BACKEND"]
    served_torch = docs_per_second(lambda: torch_model.predict(frame), len(frame))
    os.environ["ARNEWS_QUANTIZE"] = "int8"
    int8_model = mlflow.pyfunc.load_model(uri)
    del os.environ["ARNEWS_QUANTIZE"]
    int8 = docs_per_second(lambda: int8_model.predict(frame), len(frame))
    f1 = {"demo test": (macro_f1(model, demo["test"]), macro_f1(int8_model, demo["test"]))}
    if args.real_news:
        real = read_jsonl_file(args.real_news / "test.jsonl")
        f1["real news (study 06)"] = (macro_f1(model, real), macro_f1(int8_model, real))

    rows = [f"| warm `python train.py model=majority` (median of {args.repeats}) | {start:.1f} s |",
            *_floor_rows(starts, args.repeats),
            f"| fresh process: `import mlflow.pyfunc` (median of {args.repeats}) | {mlflow_import:.1f} s |",
            f"| then `mlflow.pyfunc.load_model` of the default model (median of {args.repeats}) | {load:.1f} s |",
            f"| one article through pyfunc.predict (median of 20) | {latency:.1f} ms |",
            f"| batch of {len(frame)} through pyfunc.predict | {served:.0f} docs/s |",
            f"| bare forward pass of the same graph, batches of 64 | {bare:.0f} docs/s |",
            f"| pyfunc / bare forward | {served / bare:.2f}x |",
            f"| the same model served by torch (`ARNEWS_BACKEND=torch`) | {served_torch:.0f} docs/s |",
            f"| int8 pyfunc, same batch | {int8:.0f} docs/s |",
            f"| int8 speed-up over fp32 | {int8 / served:.2f}x |"]
    for name, (a, b) in f1.items():
        rows.append(f"| macro-F1 on {name}: fp32 → int8 | {a:.4f} → {b:.4f} ({b - a:+.4f}) |")
    _report(args, rows, uri, {**{f"{k}_s": v for k, v in starts.items()}, "mlflow_import_s": mlflow_import,
                              "load_s": load, "torch": served_torch, "latency_ms": latency,
                              "served": served, "bare": bare, "int8": int8})


if __name__ == "__main__":
    main()
