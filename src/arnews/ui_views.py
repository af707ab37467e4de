"""A "Leaderboard" saved view on every experiment, so the MLflow runs table is useful
the moment it opens.

Why: MLflow's runs table starts with no metric or param columns; a new user has to
find ``test/macro_f1`` among a hundred hidden columns and tick it by hand. MLflow 3
keeps saved views of the runs table as experiment tags, ``mlflow.sharedViewState.<id>``,
lists them under the table's views menu, and opens one with
``#/experiments/<id>/runs?viewStateShareKey=<id>``. We write one such view, "Leaderboard":
model, seed, data, dev and test macro-F1, test F1 per label and the Dataset column, in
that order, sorted by dev macro-F1 (model selection is on dev).

The tag's value is the envelope the UI writes itself (MLflow 3.17's
``mlflow/server/js`` "saved-view envelope"): ``{"name", "createdAt", "updatedAt",
"state"}``, where ``state`` is a JSON string holding the table's search facets
(``orderByKey``, ``orderByAsc``) and UI state (``selectedColumns``, ``columnOrder``,
``columnWidths``). Columns are named
``<type>.`<key>``` with type ``attributes``, ``params``, ``metrics`` or ``tags``.
We add ``"generatedBy": "arnews"`` (the UI ignores it): a view the user has saved over
in the UI no longer carries it and is never touched again.
"""
from __future__ import annotations

import json
import logging
import time

log = logging.getLogger(__name__)

VIEW_TAG_PREFIX = "mlflow.sharedViewState."
LEADERBOARD_ID = "leaderboard"
LEADERBOARD_NAME = "Leaderboard"
GENERATED_BY = "arnews"
SORT_METRIC = "dev/macro_f1"


def column(kind: str, key: str) -> str:
    """A runs-table column key as the MLflow UI spells it.

    >>> column("metrics", "dev/macro_f1")
    'metrics.`dev/macro_f1`'
    """
    return f"{kind}.`{key}`"


def leaderboard_columns(labels=()) -> list[str]:
    """Model, seed, data, dev/test macro-F1, test F1 of each label, then the datasets."""
    return [column("tags", "model"), column("tags", "seed"), column("tags", "data"),
            column("metrics", "dev/macro_f1"), column("metrics", "test/macro_f1"),
            *[column("metrics", f"test/f1_{lab}") for lab in labels],
            column("attributes", "Dataset")]


def leaderboard_state(labels=()) -> dict:
    """The runs-table state of the view: its columns in this order (the table otherwise
    groups attributes, metrics (alphabetically), params and tags, and pushes the scores
    off screen), sorted by dev macro-F1, best first."""
    columns = leaderboard_columns(labels)
    widths = {c: 125 for c in columns if c.startswith("metrics.")}
    widths.update({column("tags", "model"): 130, column("tags", "seed"): 70, column("tags", "data"): 90})
    return {"orderByKey": column("metrics", SORT_METRIC), "orderByAsc": False,
            "selectedColumns": columns, "columnOrder": [column("attributes", "Run Name"), *columns],
            "columnWidths": widths}


def labels_of(state: dict) -> list[str]:
    """The labels whose test F1 a view's columns show.

    >>> labels_of(leaderboard_state(["b", "a"]))
    ['b', 'a']
    """
    prefix = column("metrics", "test/f1_")[:-1]
    return [c[len(prefix):-1] for c in state.get("selectedColumns", []) if c.startswith(prefix)]


def envelope(state: dict, created_ms: int, updated_ms: int | None = None, name: str = LEADERBOARD_NAME) -> str:
    """The experiment tag value for a saved view holding ``state``."""
    return json.dumps({"name": name, "createdAt": created_ms, "updatedAt": updated_ms or created_ms,
                       "state": json.dumps(state), "generatedBy": GENERATED_BY})


def read_view(value: str) -> tuple[dict, dict] | None:
    """``(envelope, state)`` of a saved-view tag value, or None when it is not one we can read."""
    try:
        outer = json.loads(value)
        return outer, json.loads(outer["state"])
    except (ValueError, TypeError, KeyError):
        return None  # e.g. a compressed state the UI wrote: not ours


def ensure_leaderboard_view(client, experiment_id: str, labels=(), _retry: bool = True) -> bool:
    """Create or extend the experiment's Leaderboard view; True when the tag was written.

    Labels not yet in the view (another task's labels in the same experiment) are added
    as columns; a view the user saved over in the UI is left alone. When parallel sweep
    jobs write the view at the same moment, a store may refuse all but one insert: the
    others read the view it wrote and extend it if they must.
    """
    from mlflow.exceptions import MlflowException

    from arnews.errors import is_duplicate_insert

    tag = VIEW_TAG_PREFIX + LEADERBOARD_ID
    existing = client.get_experiment(experiment_id).tags.get(tag)
    now = int(time.time() * 1000)
    created = now
    state = leaderboard_state(labels)
    if existing:
        parsed = read_view(existing)
        if parsed is None or parsed[0].get("generatedBy") != GENERATED_BY:
            return False
        outer, old = parsed
        shown = labels_of(old)
        if old == leaderboard_state(shown) and set(labels) <= set(shown):
            return False
        state = leaderboard_state(shown + [lab for lab in labels if lab not in shown])
        created = int(outer.get("createdAt", now))
    try:
        client.set_experiment_tag(experiment_id, tag, envelope(state, created, now))
    except MlflowException as exc:
        if not (_retry and is_duplicate_insert(exc)):
            raise
        return ensure_leaderboard_view(client, experiment_id, labels, _retry=False)
    return True
