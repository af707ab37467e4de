"""Refuse to train when test articles also sit in train (unless told otherwise)."""
from __future__ import annotations

import logging

from arnews.data.leakage import find_cross_split_duplicates
from arnews.errors import ArnewsError

log = logging.getLogger(__name__)


def guard_leakage(splits: dict[str, list[dict]], cfg=None):
    """Check exact and near duplicates across splits; raise on test-in-train leakage.

    ``cfg`` is the ``data.leakage`` node: ``near_threshold`` and ``allow`` (train anyway,
    with a warning). The report is returned so the run can log it.
    """
    threshold = cfg.get("near_threshold", 0.9) if cfg else 0.9
    allow = bool(cfg.get("allow", False)) if cfg else False
    report = find_cross_split_duplicates(splits, near_threshold=threshold)
    if report.test_in_train:
        msg = (f"{report.test_in_train} test article(s) also appear in train "
               f"({report.summary()})")
        if not allow:
            raise ArnewsError(f"{msg}; scores would be inflated. Deduplicate the data, or set "
                              "data.leakage.allow=true to train anyway")
        log.warning("%s; training anyway because data.leakage.allow=true", msg)
    return report
