"""The train, dev and test splits of a run as MLflow datasets.

Why: without them the runs table's Dataset column and the run page's Datasets field say
"None", and nothing tells two runs on different data apart at a glance. Each split is
logged with a name (``<data>-<task>-<split>``, e.g. ``demo-topic-test``), a digest of its
content (same rows, same digest, so a changed file shows as a new digest), its source
folder and a context (``train``, ``dev``, ``test``). Only the digest, schema and row
count are stored, never the texts.

    datasets = split_datasets(task, splits, data_name="demo", source=folder)
    log_datasets(datasets)                       # fills the Dataset column
    tracking.log_metrics(test_metrics, dataset=datasets["test"], model_id=...)
"""
from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd

CONTEXTS = ("train", "dev", "test")


def split_frame(task, rows: list[dict]) -> pd.DataFrame:
    """The fields a model reads plus the gold label(s), one row per example.

    Multi-label gold labels are joined with ``|`` so every column is plain text.

    >>> from arnews.tasks import Task
    >>> t = Task("topic", text_fields=["title", "text"], label_fields=["topics"])
    >>> t.setup({"train": [{"id": "1", "text": "x", "topics": ["a", "b"]}]})
    >>> split_frame(t, [{"id": "1", "text": "x", "topics": ["a", "b"]}]).to_dict("records")
    [{'id': '1', 'title': '', 'text': 'x', 'topics': 'a|b'}]
    """
    fields = list(dict.fromkeys(["id", *task.pair_fields, *task.text_fields]))
    records = []
    for i, row in enumerate(rows):
        record = {f: str(row.get(f) if row.get(f) is not None else "") for f in fields}
        record["id"] = str(row.get("id", i))
        gold = row.get(task.label_field)
        record[task.label_field] = "|".join(map(str, gold)) if isinstance(gold, list) else str(gold)
        records.append(record)
    return pd.DataFrame(records, columns=[*fields, task.label_field])


def data_source(data_cfg) -> str | None:
    """Where the splits were read from: ``data.path``, or the shipped demo corpus folder."""
    path = data_cfg.get("path") if hasattr(data_cfg, "get") else None
    if path:
        return str(Path(str(path)).expanduser().resolve()) if Path(str(path)).expanduser().exists() else str(path)
    if data_cfg.get("name") == "demo":
        from arnews.data import demo

        return str(Path(demo.__file__).parent / "demo_corpus")
    return None


def split_datasets(task, splits: dict[str, list[dict]], data_name: str, source: str | None = None) -> dict:
    """``{"train": PandasDataset, "dev": ..., "test": ...}`` for the splits given."""
    import mlflow.data

    out = {}
    for split in sorted(splits, key=lambda s: CONTEXTS.index(s) if s in CONTEXTS else len(CONTEXTS)):
        with warnings.catch_warnings():
            # A local path "can be interpreted in multiple ways" (two local source types).
            warnings.simplefilter("ignore", UserWarning)
            out[split] = mlflow.data.from_pandas(split_frame(task, splits[split]), source=source,
                                                 targets=task.label_field,
                                                 name=f"{data_name}-{task.name}-{split}")
    return out


def log_datasets(datasets: dict) -> None:
    """Log the datasets as inputs of the active run, each with its split as context."""
    import mlflow

    from mlflow.exceptions import MlflowException

    from arnews.errors import is_duplicate_insert

    names = list(datasets)
    for attempt in range(3):
        try:
            mlflow.log_inputs(datasets=[datasets[n] for n in names], contexts=names,
                              tags_list=[{"rows": str(datasets[n].profile["num_rows"])} for n in names])
            return
        except MlflowException as exc:
            # Parallel sweep jobs log the same dataset at once: the store inserts it for
            # one of them and refuses the duplicate for the others. Once it exists, a
            # second try links this run to it.
            if not is_duplicate_insert(exc) or attempt == 2:
                raise
