"""Command line of the comparison report.

    python -m arnews.compare --experiment arnews-topic-demo
    python -m arnews.compare --parent <sweep_parent_run_id>          # also logs to the parent
    python compare.py --tag model=tfidf_logreg --tag data=demo --out reports/tfidf
    python compare.py --help

Writes ``leaderboard.md``, ``leaderboard.csv``, PNG charts and ``leaderboard.html`` (the
report with the charts inside) to ``--out``. User
errors (no matching runs, unknown experiment) print one ``error:`` line, exit code 2.
"""
from __future__ import annotations

import argparse
import logging
import os
import shutil
import tempfile
from datetime import datetime
from pathlib import Path
from urllib.parse import urlencode

from mlflow.tracking import MlflowClient

from arnews.compare import charts, html_report, leaderboard
from arnews.compare.groups import group_runs
from arnews.compare.selection import RunFilter, load_predictions, parse_tag, select_runs
from arnews.cli import report_user_error
from arnews.errors import ArnewsError

log = logging.getLogger("arnews.compare")

DEFAULT_URI = "sqlite:///mlflow.db"  # the same store training writes by default (conf/tracking)
ARTIFACT_DIR = "comparison"
NOTE_TAG = "mlflow.note.content"  # the run description the MLflow UI shows
REPORT_HEADING = "## Comparison report (compare.py)"
HTML_REPORT = "leaderboard.html"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m arnews.compare",
        description="Compare finished arnews training runs: a leaderboard (Markdown + CSV) of "
                    "groups of seeds with mean ± std and a bootstrap CI of test macro-F1, plus charts. "
                    "Filters combine with AND; with none, every experiment is read.")
    p.add_argument("--tracking-uri", default=DEFAULT_URI,
                   help=f"MLflow tracking URI to read runs from (default: {DEFAULT_URI}, as training)")
    p.add_argument("--experiment", action="append", default=[], metavar="NAME",
                   help="experiment name to read, e.g. arnews-topic-demo; repeat for several")
    p.add_argument("--parent", metavar="RUN_ID",
                   help="compare the child runs of this parent (sweep) run")
    p.add_argument("--tag", action="append", default=[], metavar="KEY=VALUE",
                   help="keep runs whose tag KEY equals VALUE, e.g. model=tfidf_logreg; repeatable")
    p.add_argument("--include-evaluations", action="store_true",
                   help="also compare evaluation runs (tag evaluation=true), skipped by default")
    p.add_argument("--ignore-param", action="append", default=[], metavar="PREFIX",
                   help="params starting with PREFIX never split a group (besides seed, tracking.*, "
                        "paths.*, hydra.*), e.g. trainer.; repeatable")
    p.add_argument("--out", type=Path, metavar="DIR",
                   help="output folder (default: reports/compare-<timestamp>)")
    p.add_argument("--n-boot", type=int, default=1000, metavar="N",
                   help="bootstrap resamples of the test set (default: 1000)")
    p.add_argument("--ci-level", type=float, default=0.95, metavar="P",
                   help="confidence level of the percentile interval (default: 0.95)")
    p.add_argument("--seed", type=int, default=0,
                   help="random seed of the bootstrap, so reports are reproducible (default: 0)")
    p.add_argument("--sort", choices=sorted(leaderboard.SORT_COLUMNS), default="dev",
                   help="rank rows by mean dev macro-F1 (default; the selection metric) or by mean "
                        "test macro-F1 (display only; best runs are still chosen on dev)")
    p.add_argument("--log-to-parent", action=argparse.BooleanOptionalAction, default=None,
                   help=f"log the report as artifacts under {ARTIFACT_DIR}/ of the --parent run "
                        "(default: on when --parent is given)")
    return p


def _check(args) -> None:
    if args.n_boot < 1:
        raise ArnewsError(f"--n-boot {args.n_boot}: needs at least 1 resample")
    if not 0 < args.ci_level < 1:
        raise ArnewsError(f"--ci-level {args.ci_level}: must be between 0 and 1, e.g. 0.95")
    if args.log_to_parent and not args.parent:
        raise ArnewsError("--log-to-parent needs --parent RUN_ID (the run to log the report to)")


def run(args) -> Path:
    """Select, group, score, write and (optionally) log; returns the output folder."""
    _check(args)
    filt = RunFilter(experiments=args.experiment, parent=args.parent,
                     tags=dict(parse_tag(t) for t in args.tag), include_evaluations=args.include_evaluations)
    client = MlflowClient(tracking_uri=args.tracking_uri)
    selection = select_runs(client, filt, args.tracking_uri)
    groups = group_runs(selection.runs, tuple(args.ignore_param))
    predictions = {r.run_id: load_predictions(client, r.run_id) for r in selection.runs}
    board = leaderboard.build(groups, predictions, n_resamples=args.n_boot, seed=args.seed,
                              level=args.ci_level, sort=args.sort)

    now = datetime.now()
    out = args.out or Path("reports") / f"compare-{now:%Y%m%d-%H%M%S}"
    out.mkdir(parents=True, exist_ok=True)
    names = charts.draw_all(board, out)
    ctx = leaderboard.ReportContext(
        tracking_uri=args.tracking_uri, selection=filt.describe(), n_runs=len(selection.runs),
        generated=now.isoformat(timespec="seconds"), n_resamples=args.n_boot, level=args.ci_level,
        seed=args.seed, sort=args.sort, skipped=selection.skipped, charts=names)
    markdown = leaderboard.to_markdown(board, ctx)
    md_path, _ = leaderboard.write(board, markdown, out)
    # The same report as one page with the charts inside: the MLflow UI shows it as a page.
    (out / HTML_REPORT).write_text(html_report.to_html(markdown, html_report.embedded(out, names)),
                                   encoding="utf-8")

    if args.parent and args.log_to_parent is not False:
        log_to_run(client, args.parent, out, markdown, leaderboard.to_markdown(
            board, ctx, image_url=lambda name: ui_artifact_url(args.parent, f"{ARTIFACT_DIR}/{name}")))
        log.info("logged the report to run %s under %s/", args.parent, ARTIFACT_DIR)
    print(f"{len(selection.runs)} runs in {len(board)} groups → {md_path}")
    return out


def ui_artifact_url(run_id: str, path: str) -> str:
    """A run artifact's address relative to the MLflow UI page, for Markdown images.

    The UI renders Markdown artifacts and run descriptions in the page itself, so a
    chart named ``macro_f1.png`` next to the report would resolve against the UI's own
    address; the server's ``get-artifact`` endpoint serves the run's file instead.

    >>> ui_artifact_url("abc", "comparison/macro_f1.png")
    'get-artifact?path=comparison%2Fmacro_f1.png&run_uuid=abc'
    """
    return "get-artifact?" + urlencode({"path": path, "run_uuid": run_id})


def log_to_run(client: MlflowClient, run_id: str, out: Path, markdown: str, ui_markdown: str) -> None:
    """Log the report under ``comparison/`` of ``run_id`` and show it in its description.

    In the UI, charts display as images in the run's description (linked through
    ``ui_artifact_url``) and in ``leaderboard.html``; the UI's Markdown artifact viewer
    prints image links as text, so the logged ``leaderboard.md`` names the charts instead.
    """
    from mlflow.utils.validation import MAX_TAG_VAL_LENGTH

    with tempfile.TemporaryDirectory() as tmp:
        logged = Path(tmp) / ARTIFACT_DIR
        shutil.copytree(out, logged)
        (logged / "leaderboard.md").write_text(_charts_named(markdown), encoding="utf-8")
        client.log_artifacts(run_id, str(logged), ARTIFACT_DIR)
    note = client.get_run(run_id).data.tags.get(NOTE_TAG, "")
    note = note.split(REPORT_HEADING)[0].rstrip()  # a rerun replaces the earlier report
    report = ui_markdown.replace("# Run comparison", REPORT_HEADING, 1)
    text = f"{note}\n\n{report}" if note else report
    if len(text) > MAX_TAG_VAL_LENGTH:  # too long to show in full: keep the charts
        charts = "\n".join(line for line in report.splitlines() if line.startswith("!["))
        text = (f"{note}\n\n{REPORT_HEADING}\n\nSee `{ARTIFACT_DIR}/leaderboard.md`.\n\n{charts}")
        text = text[:MAX_TAG_VAL_LENGTH]
    client.set_tag(run_id, NOTE_TAG, text)


def _charts_named(markdown: str) -> str:
    """The report with its image lines replaced by one line naming the chart files.

    >>> print(_charts_named("# R\\n![a](a.png)\\n![b](b.png)"), end="")
    # R
    Charts (open them, or leaderboard.html, which shows them with the report): `a.png`, `b.png`
    """
    lines = markdown.rstrip("\n").splitlines()
    charts = [html_report.IMAGE.match(line).group(2) for line in lines if html_report.IMAGE.match(line)]
    kept = [line for line in lines if not html_report.IMAGE.match(line)]
    if charts:
        kept.append(f"Charts (open them, or {HTML_REPORT}, which shows them with the report): "
                    + ", ".join(f"`{c}`" for c in charts))
    return "\n".join(kept) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code (0, or 2 for a user error)."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    for name in ("alembic", "mlflow", "urllib3", "matplotlib"):
        logging.getLogger(name).setLevel(logging.WARNING)
    # One progress bar per downloaded predictions file would bury the report's output.
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    args = build_parser().parse_args(argv)
    try:
        run(args)
    except ArnewsError as exc:
        return report_user_error(exc)
    return 0
