"""Dataset splits: reproducible, stratified, group-aware.

A *split set* is a plain ``dict`` mapping ``"train"``, ``"dev"``, ``"test"`` to lists
of row dicts in the project's JSONL schema (see DESIGN.md, contract 5). Readers
return one. One algorithm, :func:`stratified_group_split`, makes every split the
package makes: the readers of train-only datasets (ANT, Mawqif) cut all three, and
:func:`carve_dev` cuts a missing dev split from train.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from typing import Callable

import numpy as np

from arnews.errors import ArnewsError

log = logging.getLogger(__name__)


def group_of(row: dict) -> str:
    """The unit that must never cross splits: the claim for stance pairs, else the row."""
    return str(row.get("claim_id") or row.get("claim") or row["id"])


def label_of(row: dict) -> str:
    """The label(s) of a row as one stratum key: stance, topic, or the sorted topics."""
    if row.get("stance") is not None:
        return str(row["stance"])
    if row.get("topic") is not None:
        return str(row["topic"])
    return "|".join(sorted(map(str, row.get("topics") or [])))


def stratified_group_split(rows: list[dict], stratum: Callable[[dict], str],
                           group: Callable[[dict], str], dev_fraction: float,
                           test_fraction: float, seed: int) -> dict[str, list[dict]]:
    """Split rows into train/dev/test by whole groups, stratified by ``stratum``.

    Groups (e.g. copies of one text) never straddle splits. Within each stratum the
    groups are shuffled with ``seed`` and cut by the fractions, so the label mix is
    the same in every split and the result does not depend on file order.

    >>> rows = [{"id": str(i), "y": "ab"[i % 2]} for i in range(20)]
    >>> out = stratified_group_split(rows, lambda r: r["y"], lambda r: r["id"], 0.1, 0.2, 0)
    >>> [len(out[s]) for s in ("train", "dev", "test")]
    [14, 2, 4]
    """
    if not (0 <= dev_fraction < 1 and 0 <= test_fraction < 1 and dev_fraction + test_fraction < 1):
        raise ArnewsError(f"dev_fraction={dev_fraction}, test_fraction={test_fraction}: each "
                          "must be in [0, 1) and together below 1")
    members: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        members[group(row)].append(row)
    by_stratum: dict[str, list[str]] = defaultdict(list)
    for key in sorted(members):
        by_stratum[stratum(members[key][0])].append(key)
    rng = np.random.default_rng(seed)
    chosen: dict[str, str] = {}
    for name in sorted(by_stratum):
        keys = [by_stratum[name][i] for i in rng.permutation(len(by_stratum[name]))]
        n_test = int(len(keys) * test_fraction + 0.5)
        n_dev = int(len(keys) * dev_fraction + 0.5)
        for i, key in enumerate(keys):
            chosen[key] = "test" if i < n_test else "dev" if i < n_test + n_dev else "train"
    out: dict[str, list[dict]] = {"train": [], "dev": [], "test": []}
    for row in rows:
        out[chosen[group(row)]].append(row)
    return out




def carve_dev(train: list[dict], fraction: float, seed: int) -> tuple[list[dict], list[dict]]:
    """Split ``train`` into (train, dev) so that no group (claim) lands in both.

    Groups are stratified by the label of their first row, so dev keeps the label mix.

    >>> rows = [{"id": str(i), "claim_id": str(i % 5), "stance": "ab"[i % 2]} for i in range(20)]
    >>> tr, dev = carve_dev(rows, 0.2, seed=0)
    >>> {group_of(r) for r in tr} & {group_of(r) for r in dev}
    set()
    """
    groups = {group_of(r) for r in train}
    if len(groups) < 2:
        raise ArnewsError("the train split has fewer than two claims or articles, so no dev split "
                          "can be carved from it; provide a dev split (dev.jsonl) or more training rows")
    out = stratified_group_split(train, label_of, group_of, fraction, 0.0, seed)
    if not out["dev"]:  # every stratum too small to give a group at this fraction: take one
        first = group_of(out["train"][0])
        out["dev"] = [r for r in out["train"] if group_of(r) == first]
        out["train"] = [r for r in out["train"] if group_of(r) != first]
    log.info("carved dev from train: %d train / %d dev rows", len(out["train"]), len(out["dev"]))
    return out["train"], out["dev"]
