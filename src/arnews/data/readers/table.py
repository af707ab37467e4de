"""Reader for local tables: one CSV, TSV, JSON, JSONL or Parquet file per split.

``path`` is the folder; ``train``, ``dev`` and ``test`` name each split's file
relative to it (``dev`` may be missing or null: the core carves it from train).
``columns`` maps schema fields to the table's columns exactly as for the ``hf``
reader, e.g. ``{text: body, title: headline, topic: section}``; ``label_names``
decodes integer codes. A ``topics`` cell may be a JSON list or labels joined by
``label_sep`` (default ``|``). CSV values are read as text, so a label spelled
``None`` or ``NA`` stays a label.

Usage::

    read_table("/data/news", train="train.tsv", test="test.tsv",
               columns={"text": "body", "topic": "section"})
    # {'train': [{'text': '...', 'topic': 'sport', 'id': 'train-0',
    #             '_where': '/data/news/train.tsv:2'}], 'test': [...]}
"""
from __future__ import annotations

import json
from pathlib import Path

from arnews.data.jsonl import read_jsonl_file
from arnews.data.readers._common import (LABEL_FIELDS, existing_dir, keep, label_names_of,
                                         not_utf8, read_csv, resolve_columns, to_row)
from arnews.errors import ArnewsError

FORMATS = ".csv, .tsv, .json, .jsonl(.gz), .parquet"


def _records(file: Path, delimiter: str | None) -> list[tuple[str, dict]]:
    """``(where, record)`` pairs; ``where`` is ``file:line`` or ``file:[index]``."""
    name = file.name.lower()
    if name.endswith((".jsonl", ".jsonl.gz")):
        return [(row.pop("_where"), row) for row in read_jsonl_file(file)]
    if name.endswith(".json"):
        try:
            data = json.loads(file.read_text(encoding="utf-8-sig"))
        except UnicodeDecodeError:
            raise not_utf8(file) from None
        except json.JSONDecodeError as exc:
            raise ArnewsError(f"{file}:{exc.lineno}: not valid JSON ({exc.msg})") from None
        if isinstance(data, dict) and isinstance(data.get("data"), list):
            data = data["data"]
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise ArnewsError(f"{file}: expected a JSON array of objects (or JSONL, one per line)")
        return [(f"{file}:[{i}]", r) for i, r in enumerate(data)]
    if name.endswith(".parquet"):
        import pandas as pd

        frame = pd.read_parquet(file)
        return [(f"{file}:[{i}]", r) for i, r in enumerate(frame.to_dict("records"))]
    if name.endswith((".csv", ".tsv", ".txt")):
        sep = delimiter or ("\t" if name.endswith(".tsv") else ",")
        return [(f"{file}:{line}", r) for line, r in read_csv(file, delimiter=sep)]
    raise ArnewsError(f"{file}: unknown file type; use one of {FORMATS}")


def read_table(path: str, splits=("train", "dev", "test"), train: str = "train.csv",
               dev: str | None = "dev.csv", test: str | None = "test.csv",
               columns: dict | None = None, label_names=None, label_sep: str = "|",
               delimiter: str | None = None) -> dict[str, list[dict]]:
    """Rows in our schema from one local table per split."""
    folder = existing_dir(path, "the table files", "put train/test files in one folder")
    files = {"train": train, "dev": dev, "test": test}
    out = {}
    for split in splits:
        if not files.get(split):
            if split == "dev":
                continue
            raise ArnewsError(f"data.reader.{split} is not set; name the {split} file "
                              f"relative to data.path={path}")
        file = folder / files[split]
        if not file.is_file():
            if split == "dev":
                continue
            raise ArnewsError(f"{file}: file not found; set data.reader.{split}=<file> "
                              f"relative to data.path ({FORMATS})")
        records = _records(file, delimiter)
        if not records:
            raise ArnewsError(f"{file}: the file holds no rows")
        mapping = resolve_columns(list(records[0][1]), columns, str(file))
        names = {f: label_names_of(label_names) for f in LABEL_FIELDS if f in mapping}
        out[split] = [to_row(r, mapping, names, where, f"{split}-{i}", label_sep)
                      for i, (where, r) in enumerate(records)]
    return keep(out, splits)
