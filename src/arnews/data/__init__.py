"""Loading data: readers, dev carving, normalisation, leakage checks.

Plain Python: a reader is any callable ``reader(splits=(...)) -> {split: [row, ...]}``
(``arnews.data.readers``, ``arnews.data.jsonl``, ``arnews.data.demo``), e.g.::

    from functools import partial
    from arnews.data import load_splits
    from arnews.data.jsonl import read_jsonl_dir
    splits = load_splits(partial(read_jsonl_dir, "my_data"), seed=1)

The entry points build the reader from ``conf/data`` with Hydra; nothing here sees
a config object.
"""
from __future__ import annotations

import logging
from typing import Callable

from arnews.data.normalize import ArabicNormalizer
from arnews.data.splits import carve_dev
from arnews.errors import ArnewsError

log = logging.getLogger(__name__)

TEXT_FIELDS = ("title", "text", "claim", "target")


def load_splits(reader: Callable[..., dict[str, list[dict]]], splits=("train", "dev", "test"),
                seed: int = 0, dev_fraction: float = 0.1,
                normalizer: ArabicNormalizer | None = None) -> dict[str, list[dict]]:
    """Read the requested splits with ``reader``, check ids, carve a missing dev, normalise.

    A missing dev split is carved from train by group (claim), never from test.
    """
    read = tuple(dict.fromkeys(("train",) + tuple(splits))) if "dev" in splits else tuple(splits)
    out = reader(splits=read)
    for split, rows in out.items():
        check_unique_ids(split, rows)
    if "dev" in splits and "dev" not in out:
        out["train"], out["dev"] = carve_dev(out["train"], dev_fraction, seed)
    missing = [s for s in splits if s not in out]
    if missing:
        found = ", ".join(out) or "none"
        raise ArnewsError(f"the dataset has no {' or '.join(missing)} split (it has: {found}); "
                          "give it one, or use a dataset that has it")
    out = {s: out[s] for s in splits}
    if normalizer is not None:
        for rows in out.values():
            for row in rows:
                for f in TEXT_FIELDS:
                    if isinstance(row.get(f), str):
                        row[f] = normalizer(row[f])
    for split, rows in out.items():
        log.info("%s: %d rows", split, len(rows))
    return out


def check_unique_ids(split: str, rows: list[dict]) -> None:
    """Stop on an id used twice in one split.

    Rows are told apart by id in the logged predictions, and compare.py cannot line up
    the seeds' predictions for its bootstrap when an id repeats. A repeat is almost
    always a copy-paste or merge mistake in the data.
    """
    first: dict[str, str] = {}
    for i, row in enumerate(rows):
        if row.get("id") is None:
            continue
        key, where = str(row["id"]), row.get("_where", f"{split} row {i}")
        if key in first:
            raise ArnewsError(f"{where}: id {key!r} is used twice in the {split} split (first at "
                              f"{first[key]}); give every row its own id")
        first[key] = where
