"""The leaderboard: one row per group of seeds, as a DataFrame, CSV and Markdown.

    board = build(groups, predictions, n_resamples=1000, seed=0)
    write(board, to_markdown(board, context), out_dir)

Selection is on dev, never on test: rows are ranked by mean dev macro-F1 (within each
task/dataset) and each group's best run is the one with the highest dev macro-F1.
Test columns are reported, not used to choose; ``sort="test"`` ranks by test for
display only and the report says so.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

import pandas as pd

from arnews.compare.groups import Group
from arnews.compare.stats import bootstrap_tables, mean_std

DEV, TEST = "dev/macro_f1", "test/macro_f1"
CLASS_PREFIX = "test/f1_"
SORT_COLUMNS = {"dev": "dev_macro_f1_mean", "test": "test_macro_f1_mean"}


def best_run(group: Group):
    """The group's run with the highest dev macro-F1 (None when no run logged dev)."""
    with_dev = [r for r in group.runs if DEV in r.metrics]
    return max(with_dev, key=lambda r: (r.metrics[DEV], r.run_id)) if with_dev else None


def _row(group: Group, predictions: Mapping, n_resamples: int, seed: int, level: float) -> dict:
    dev_mean, dev_std = mean_std([r.metrics.get(DEV, math.nan) for r in group.runs])
    test_mean, test_std = mean_std([r.metrics[TEST] for r in group.runs])
    row = {"task": group.task, "data": group.data, "group": group.label, "model": group.model,
           "params": "; ".join(f"{k}={v}" for k, v in group.varying.items()),
           "n_seeds": len(group.runs), "seeds": " ".join(group.seeds),
           "dev_macro_f1_mean": dev_mean, "dev_macro_f1_std": dev_std,
           "test_macro_f1_mean": test_mean, "test_macro_f1_std": test_std,
           "test_macro_f1_ci_low": math.nan, "test_macro_f1_ci_high": math.nan,
           "ci_point": math.nan, "ci_runs": 0, "ci_paired": None}
    frames = [(r, predictions.get(r.run_id)) for r in group.runs]
    frames = [(r, f) for r, f in frames if f is not None]
    if frames:
        flags = {r.multi_label for r, _ in frames} - {None}
        ci = bootstrap_tables([f for _, f in frames], multi_label=flags.pop() if len(flags) == 1 else None,
                              n_resamples=n_resamples, seed=seed, level=level)
        row.update(test_macro_f1_ci_low=ci.low, test_macro_f1_ci_high=ci.high, ci_point=ci.point,
                   ci_runs=len(frames), ci_paired=ci.paired)
    best = best_run(group)
    row.update(best_run_id=best.run_id if best else "",
               best_run_dev_macro_f1=best.metrics[DEV] if best else math.nan,
               best_run_test_macro_f1=best.metrics[TEST] if best else math.nan,
               run_ids=" ".join(r.run_id for r in group.runs))
    labels = dict.fromkeys(k[len(CLASS_PREFIX):] for r in group.runs for k in r.metrics
                           if k.startswith(CLASS_PREFIX))
    for lab in labels:
        row[f"test_f1_{lab}"] = mean_std([r.metrics.get(CLASS_PREFIX + lab, math.nan) for r in group.runs])[0]
    return row


def build(groups: list[Group], predictions: Mapping[str, pd.DataFrame | None], n_resamples: int = 1000,
          seed: int = 0, level: float = 0.95, sort: str = "dev") -> pd.DataFrame:
    """One row per group, ranked within each (task, data) by mean ``sort`` macro-F1."""
    rows = [_row(g, predictions, n_resamples, seed, level) for g in groups]
    board = pd.DataFrame(rows)
    key = SORT_COLUMNS[sort]
    board = board.sort_values(["task", "data", key, "group"], ascending=[True, True, False, True],
                              na_position="last", kind="stable").reset_index(drop=True)
    board.insert(0, "rank", board.groupby(["task", "data"]).cumcount() + 1)
    return board


def class_columns(board: pd.DataFrame) -> list[str]:
    return [c for c in board.columns if c.startswith("test_f1_")]


@dataclass
class ReportContext:
    tracking_uri: str
    selection: str
    n_runs: int
    generated: str
    n_resamples: int
    level: float
    seed: int
    sort: str = "dev"
    skipped: dict[str, int] = field(default_factory=dict)
    charts: list[str] = field(default_factory=list)


def _num(value: float, digits: int = 4) -> str:
    return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}"


def _pm(mean: float, std: float) -> str:
    return f"{_num(mean)} ± {_num(std)}"


def _ci(row) -> str:
    if math.isnan(row["test_macro_f1_ci_low"]):
        return "n/a (no predictions)"
    note = "" if row["ci_runs"] == row["n_seeds"] else f" ({row['ci_runs']}/{row['n_seeds']} runs)"
    note += "" if row["ci_paired"] else " unpaired"
    return f"[{_num(row['test_macro_f1_ci_low'])}, {_num(row['test_macro_f1_ci_high'])}]{note}"


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|")


def to_markdown(board: pd.DataFrame, ctx: ReportContext, image_url=None) -> str:
    """The report: what was compared, how, one table per (task, data), and the charts.

    Charts link to their file names, beside the report; ``image_url(name)`` gives another
    address instead (the MLflow UI's artifact URL, for the copy logged to a run).
    """
    pct = round(ctx.level * 100)
    ranked_by = "mean dev macro-F1" if ctx.sort == "dev" else "mean test macro-F1 (display only)"
    skipped = ", ".join(f"{n} {why}" for why, n in ctx.skipped.items()) or "none"
    lines = [
        "# Run comparison", "",
        f"- Generated: {ctx.generated}",
        f"- Tracking URI: `{ctx.tracking_uri}`",
        f"- Selection: {ctx.selection}; FINISHED runs only; {ctx.n_runs} runs in {len(board)} groups "
        f"(skipped: {skipped})",
        "- Groups: runs of the same task, data and model that differ only in `seed` (and bookkeeping "
        "params `tracking.*`, `paths.*`, `hydra.*`); any other param that varies among a model's "
        "runs splits it and is shown in the group label.",
        "- **Model selection uses dev, never test**: the best run of a group is the one with the highest "
        f"dev macro-F1, and rows are ranked by {ranked_by}. Test scores are reported only.",
        "- mean ± std over the group's runs (sample std, ddof=1; n/a for a single run).",
        f"- Test {pct}% CI: percentile bootstrap of test macro-F1 from each run's `predictions/test.csv`, "
        f"{ctx.n_resamples} resamples of test examples (seed {ctx.seed}); a resample is scored on the same "
        "examples for every seed of the group and the seeds' macro-F1s averaged, so the interval "
        "reflects test-set sampling for the group.",
        ""]
    header = ["#", "group", "n", "seeds", "dev macro-F1", "test macro-F1", f"test {pct}% CI", "best run (by dev)"]
    for (task, data), part in board.groupby(["task", "data"], sort=False):
        lines += [f"## {task} / {data}", "", "| " + " | ".join(header) + " |",
                  "|" + "|".join(["---:", ":---", "---:", ":---", "---:", "---:", ":---", ":---"]) + "|"]
        for _, row in part.iterrows():
            cells = [row["rank"], _cell(row["group"]), row["n_seeds"], _cell(row["seeds"]),
                     _pm(row["dev_macro_f1_mean"], row["dev_macro_f1_std"]),
                     _pm(row["test_macro_f1_mean"], row["test_macro_f1_std"]), _ci(row),
                     f"`{row['best_run_id']}`" if row["best_run_id"] else "n/a"]
            lines.append("| " + " | ".join(str(c) for c in cells) + " |")
        lines.append("")
    lines += [f"![{Path(c).stem}]({image_url(c) if image_url else c})" for c in ctx.charts]
    return "\n".join(lines).rstrip() + "\n"


def write(board: pd.DataFrame, markdown: str, out_dir: Path) -> tuple[Path, Path]:
    """``leaderboard.csv`` (full precision, every column) and ``leaderboard.md``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    csv_path, md_path = out_dir / "leaderboard.csv", out_dir / "leaderboard.md"
    board.to_csv(csv_path, index=False)
    md_path.write_text(markdown, encoding="utf-8")
    return md_path, csv_path
