"""What a run or a sweep says when it ends: in the terminal and in its MLflow description.

Why: a run used to end with ``dev macro-F1 0.74 | test macro-F1 0.63`` and nothing to
find it by. Now the last lines name the experiment and run, show the headline metrics
as a small table and give a link that opens the run in ``mlflow ui``; a sweep also
names its best child and the ``compare.py`` command to run next. The same facts go
into the run's description (the ``mlflow.note.content`` tag), which the UI shows at
the top of the run page.

Links point at ``http://127.0.0.1:5000``, where ``mlflow ui`` listens by default (or
at the tracking server itself when ``tracking.uri`` is one). They carry
``workflowType=machine_learning``: without it MLflow 3 opens an experiment on its
GenAI overview instead of the runs table.
"""
from __future__ import annotations

import math
from typing import Iterable, Mapping

UI_URL = "http://127.0.0.1:5000"  # where a bare `mlflow ui` listens
WORKFLOW = "workflowType=machine_learning"
HEADLINE = ("macro_f1", "micro_f1")
DEFAULT_TRACKING_URI = "sqlite:///mlflow.db"
# The UI without MLflow's job runner and with one web worker: all a laptop needs.
UI_COMMAND = "MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false mlflow ui --workers 1"


def ui_base(tracking_uri: str | None) -> str:
    """The UI's address: the tracking server itself, else where ``mlflow ui`` listens.

    >>> ui_base("sqlite:///mlflow.db"), ui_base("http://10.0.0.5:5000/")
    ('http://127.0.0.1:5000', 'http://10.0.0.5:5000')
    """
    if tracking_uri and str(tracking_uri).startswith(("http://", "https://")):
        return str(tracking_uri).rstrip("/")
    return UI_URL


def run_link(base: str, experiment_id: str, run_id: str) -> str:
    """Deep link to a run page that keeps the UI in its runs (not GenAI) mode.

    >>> run_link("http://127.0.0.1:5000", "1", "abc")
    'http://127.0.0.1:5000/#/experiments/1/runs/abc?workflowType=machine_learning'
    """
    return f"{base}/#/experiments/{experiment_id}/runs/{run_id}?{WORKFLOW}"


def leaderboard_link(base: str, experiment_id: str) -> str:
    """Link to the experiment's runs table opened on the "Leaderboard" saved view."""
    from arnews.ui_views import LEADERBOARD_ID

    return f"{base}/#/experiments/{experiment_id}/runs?viewStateShareKey={LEADERBOARD_ID}&{WORKFLOW}"


def _fmt(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.4f}"


def headline_first(metrics: Mapping[str, float], labels: Iterable[str] = ()) -> dict[str, float]:
    """The same metrics with each split's macro-F1, micro-F1 and per-label F1 first: the
    run page lists metrics in the order they were logged.

    >>> list(headline_first({"dev/accuracy": 1, "dev/f1_a": 1, "dev/micro_f1": 1, "dev/macro_f1": 1}, ["a"]))
    ['dev/macro_f1', 'dev/micro_f1', 'dev/f1_a', 'dev/accuracy']
    """
    splits = list(dict.fromkeys(k.split("/", 1)[0] for k in metrics))
    first = [f"{s}/{n}" for s in splits for n in (*HEADLINE, *(f"f1_{lab}" for lab in labels))]
    order = [k for k in first if k in metrics] + [k for k in metrics if k not in first]
    return {k: metrics[k] for k in order}


def metric_rows(metrics: Mapping[str, float], labels: Iterable[str] = (),
                splits: tuple[str, ...] = ("dev", "test")) -> list[tuple[str, list]]:
    """``[(name, [dev value, test value]), ...]``: macro-F1, micro-F1, then F1 per label."""
    names = list(HEADLINE) + [f"f1_{lab}" for lab in labels]
    return [(name, [metrics.get(f"{split}/{name}") for split in splits]) for name in names
            if any(f"{split}/{name}" in metrics for split in splits)]


def metrics_table(metrics: Mapping[str, float], labels: Iterable[str] = (),
                  splits: tuple[str, ...] = ("dev", "test")) -> str:
    """A plain-text table of the headline metrics, one row per metric, one column per split.

    >>> print(metrics_table({"dev/macro_f1": 0.5, "test/macro_f1": 0.25, "test/f1_a": 1.0}, ["a"]))
    metric       dev    test
    macro_f1  0.5000  0.2500
    f1_a           -  1.0000
    """
    rows = metric_rows(metrics, labels, splits)
    width = max([len("metric")] + [len(name) for name, _ in rows])
    lines = [f"{'metric':<{width}}" + "".join(f"{s:>8}" for s in splits)]
    lines += [f"{name:<{width}}" + "".join(f"{_fmt(v):>8}" for v in values) for name, values in rows]
    return "\n".join(lines)


def markdown_metrics_table(metrics: Mapping[str, float], labels: Iterable[str] = (),
                           splits: tuple[str, ...] = ("dev", "test")) -> str:
    """The same table in Markdown, for a run description."""
    rows = metric_rows(metrics, labels, splits)
    lines = ["| metric | " + " | ".join(splits) + " |", "|---|" + "---:|" * len(splits)]
    lines += [f"| {name} | " + " | ".join(_fmt(v) for v in values) + " |" for name, values in rows]
    return "\n".join(lines)


def run_summary(experiment: str, experiment_id: str, run_id: str, run_name: str, tracking_uri: str,
                metrics: Mapping[str, float], labels: Iterable[str] = (), model_uri: str | None = None,
                splits: tuple[str, ...] = ("dev", "test")) -> str:
    """The block a training (or evaluation) run prints last."""
    base = ui_base(tracking_uri)
    lines = ["", f"Run {run_name} ({run_id}) FINISHED in experiment {experiment} (id {experiment_id})",
             metrics_table(metrics, labels, splits)]
    if model_uri:
        lines.append(f"model:       {model_uri}")
    lines += [f"open it:     {run_link(base, experiment_id, run_id)}",
              f"leaderboard: {leaderboard_link(base, experiment_id)}",
              _ui_hint(tracking_uri)]
    return "\n".join(lines)


def _ui_hint(tracking_uri: str) -> str:
    if str(tracking_uri).startswith(("http://", "https://")):
        return "(links open on the tracking server)"
    store = "" if tracking_uri == DEFAULT_TRACKING_URI else f" --backend-store-uri {tracking_uri}"
    return (f"(the links open in the MLflow UI at {UI_URL}; start it in this folder with: "
            f"{UI_COMMAND}{store})")


def run_description(task: str, data: str, model: str, rows: Mapping[str, int], metrics: Mapping[str, float],
                    labels: Iterable[str] = (), test_ci: tuple[float, float, float] | None = None,
                    leakage: str | None = None) -> str:
    """Markdown for the run page: what was trained on what, and how well it did.

    ``test_ci`` is ``(level, low, high)`` of a bootstrap interval of test macro-F1.
    """
    counts = ", ".join(f"{n} {split}" for split, n in rows.items())
    head = (f"**{model}** on **{task}** / **{data}** ({counts}): dev macro-F1 "
            f"**{_fmt(metrics.get('dev/macro_f1'))}**, test macro-F1 **{_fmt(metrics.get('test/macro_f1'))}**")
    if test_ci is not None:
        level, low, high = test_ci
        head += f" ({round(level * 100)}% bootstrap CI {_fmt(low)}–{_fmt(high)})"
    lines = [head + ".", "", markdown_metrics_table(metrics, labels)]
    if leakage:
        lines += ["", f"Leakage check: {leakage.removeprefix('leakage: ')}."]
    lines += ["", "Thresholds and the best epoch are chosen on dev; test is scored once."]
    return "\n".join(lines)


def sweep_summary(experiment: str, experiment_id: str, parent_id: str, parent_name: str, tracking_uri: str,
                  board: list[dict], best: dict | None, failed: int = 0) -> str:
    """The block a sweep prints last: parent, best child, the children ranked by dev, next step.

    ``board`` rows hold ``run_id``, ``run_name``, ``params`` (what varies) and the
    ``dev/macro_f1`` and ``test/macro_f1`` metrics, best first.
    """
    base = ui_base(tracking_uri)
    lines = ["", f"Sweep {parent_name} ({parent_id}) in experiment {experiment} (id {experiment_id}): "
             f"{len(board)} finished runs" + (f", {failed} not finished" if failed else "")]
    if best is not None:
        lines.append(f"best by dev macro-F1: {best['run_name']} ({best['run_id']})")
    lines.append(text_board(board))
    compare = f"python compare.py --parent {parent_id}"
    if tracking_uri != DEFAULT_TRACKING_URI:
        compare += f" --tracking-uri {tracking_uri}"
    lines += [f"open it:     {run_link(base, experiment_id, parent_id)}",
              f"leaderboard: {leaderboard_link(base, experiment_id)}",
              _ui_hint(tracking_uri),
              f"next:        {compare}   # seeds grouped, bootstrap CIs, charts on the parent"]
    return "\n".join(lines)


def text_board(board: list[dict], limit: int = 10) -> str:
    """Children ranked by dev macro-F1 as a plain-text table (at most ``limit`` rows)."""
    shown = board[:limit]
    name_w = max([len("run")] + [len(r["run_name"]) for r in shown])
    lines = [f"  #  {'run':<{name_w}}  dev/macro_f1  test/macro_f1  params"]
    for i, r in enumerate(shown, 1):
        lines.append(f"{i:>3}  {r['run_name']:<{name_w}}  {_fmt(r.get('dev/macro_f1')):>12}  "
                     f"{_fmt(r.get('test/macro_f1')):>13}  {r.get('params', '')}")
    if len(board) > limit:
        lines.append(f"  ... and {len(board) - limit} more")
    return "\n".join(lines)


def markdown_board(board: list[dict], experiment_id: str | None = None, limit: int = 30) -> str:
    """Children ranked by dev macro-F1 as a Markdown table (run names link to the runs)."""
    lines = ["| # | run | dev macro-F1 | test macro-F1 | params |", "|---:|---|---:|---:|---|"]
    for i, r in enumerate(board[:limit], 1):
        name = r["run_name"]
        if experiment_id is not None:
            # Relative to the page, so it works whatever host and port the UI is on.
            name = f"[{name}](#/experiments/{experiment_id}/runs/{r['run_id']}?{WORKFLOW})"
        params = str(r.get("params", "")).replace("|", "\\|")
        lines.append(f"| {i} | {name} | {_fmt(r.get('dev/macro_f1'))} | {_fmt(r.get('test/macro_f1'))} | {params} |")
    if len(board) > limit:
        lines.append(f"\n... and {len(board) - limit} more runs")
    return "\n".join(lines)
