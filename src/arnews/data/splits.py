"""Dataset splits and group-aware carving of a dev split.

A *split set* is a plain ``dict`` mapping ``"train"``, ``"dev"``, ``"test"`` to lists
of row dicts in the project's JSONL schema (see DESIGN.md, contract 5). Readers
return one; ``carve_dev`` fills in a missing dev split.
"""
from __future__ import annotations

import logging

from sklearn.model_selection import GroupShuffleSplit

from arnews.errors import ArnewsError

log = logging.getLogger(__name__)

def group_of(row: dict) -> str:
    """The unit that must never cross splits: the claim for stance pairs, else the row."""
    return str(row.get("claim_id") or row.get("claim") or row.get("target_group") or row["id"])


def carve_dev(train: list[dict], fraction: float, seed: int) -> tuple[list[dict], list[dict]]:
    """Split ``train`` into (train, dev) so that no group (claim) lands in both.

    >>> rows = [{"id": str(i), "claim_id": str(i % 5)} for i in range(20)]
    >>> tr, dev = carve_dev(rows, 0.2, seed=0)
    >>> {group_of(r) for r in tr} & {group_of(r) for r in dev}
    set()
    """
    groups = [group_of(r) for r in train]
    if len(set(groups)) < 2:
        raise ArnewsError("the train split has fewer than two claims or articles, so no dev split "
                          "can be carved from it; provide a dev split (dev.jsonl) or more training rows")
    splitter = GroupShuffleSplit(n_splits=1, test_size=fraction, random_state=seed)
    train_idx, dev_idx = next(splitter.split(train, groups=groups))
    log.info("carved dev from train: %d train / %d dev rows", len(train_idx), len(dev_idx))
    return [train[i] for i in train_idx], [train[i] for i in dev_idx]
