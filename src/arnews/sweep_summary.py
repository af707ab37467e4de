"""A sweep's parent run made to summarise its children.

Why: a sweep parent used to show "-" in every column of the runs table, so comparing
sweeps meant expanding each one. At the end of a sweep the parent now carries its best
child (by dev macro-F1; test is never used to choose):

- the best child's params and final metrics under the same keys, so the parent row
  lines up with ordinary runs in the same columns and in the Leaderboard view;
- tags ``best_run_id``, ``best_run_name`` and the best child's ``model``;
- a Markdown description with the children ranked by dev macro-F1.

    board = sweep_board(client, experiment_id, parent_id, varying=["seed"])
    carry_best(client, parent_id, board)
"""
from __future__ import annotations

import math
import time

from arnews.summary import markdown_board

SELECT_BY = "dev/macro_f1"
NOTE_TAG = "mlflow.note.content"


def _varying(run, keys: list[str]) -> str:
    """``seed=1, model=tfidf_logreg``: the child's values of the swept keys."""
    params, tags = run.data.params, run.data.tags
    shown = []
    for key in keys:
        value = params.get(key, tags.get(key, params.get(f"{key}.name")))
        if value is not None:
            shown.append(f"{key}={value}")
    return ", ".join(shown)


def sweep_children(client, experiment_id: str, parent_id: str) -> list:
    """Every child run of ``parent_id`` (any status)."""
    from arnews.tracking import search_all_runs

    return search_all_runs(client, [experiment_id], f"tags.`mlflow.parentRunId` = '{parent_id}'")


def sweep_board(children: list, varying: list[str]) -> list[dict]:
    """FINISHED children ranked by dev macro-F1 (best first; runs without it last)."""
    rows = []
    for run in children:
        if run.info.status != "FINISHED":
            continue
        metrics = run.data.metrics
        rows.append({"run_id": run.info.run_id, "run_name": run.info.run_name or run.info.run_id,
                     "params": _varying(run, varying), "run": run,
                     **{k: metrics[k] for k in ("dev/macro_f1", "test/macro_f1") if k in metrics}})
    rows.sort(key=lambda r: (-r.get(SELECT_BY, -math.inf), r["run_name"]))
    return rows


def carry_best(client, parent_id: str, board: list[dict], experiment_id: str) -> dict | None:
    """Copy the best child's params, metrics and model tag onto the parent; describe the sweep.

    Returns the best row, or None when no child logged dev macro-F1.
    """
    from mlflow.entities import Metric, Param, RunTag
    from mlflow.utils.validation import MAX_PARAMS_TAGS_PER_BATCH, MAX_TAG_VAL_LENGTH

    parent = client.get_run(parent_id)
    best = board[0] if board and SELECT_BY in board[0] else None
    note = parent.data.tags.get(NOTE_TAG, "")
    if board:
        note += ("\n\n### Runs by dev macro-F1 (best first)\n\n" + markdown_board(board, experiment_id)
                 + "\n\nThe parent row carries the best run's params and metrics. For seed means and "
                 f"bootstrap CIs run `python compare.py --parent {parent_id}`.")
    tags = [RunTag(NOTE_TAG, note.strip()[:MAX_TAG_VAL_LENGTH])]
    if best is not None:
        run = best["run"]
        tags += [RunTag("best_run_id", best["run_id"]), RunTag("best_run_name", best["run_name"])]
        if "model" in run.data.tags:
            tags.append(RunTag("model", run.data.tags["model"]))
        now = int(time.time() * 1000)
        metrics = [Metric(k, v, now, 0) for k, v in run.data.metrics.items() if not k.startswith("system/")]
        taken = parent.data.params
        params = [Param(k, v) for k, v in run.data.params.items() if k not in taken]
        for i in range(0, len(params), MAX_PARAMS_TAGS_PER_BATCH):
            client.log_batch(parent_id, params=params[i:i + MAX_PARAMS_TAGS_PER_BATCH])
        for i in range(0, len(metrics), 1000):
            client.log_batch(parent_id, metrics=metrics[i:i + 1000])
    client.log_batch(parent_id, tags=tags)
    return best
