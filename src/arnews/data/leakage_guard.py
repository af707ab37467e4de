"""Refuse to train when test articles also sit in train (unless told otherwise)."""
from __future__ import annotations

import logging

from arnews.data.leakage import find_cross_split_duplicates
from arnews.errors import ArnewsError

log = logging.getLogger(__name__)


def guard_leakage(splits: dict[str, list[dict]], near_threshold: float = 0.9, allow: bool = False):
    """Check exact and near duplicates across splits; raise on test-in-train leakage.

    ``allow`` trains anyway, with a warning (``data.leakage.allow=true``). The report is
    returned so the run can log it.
    """
    report = find_cross_split_duplicates(splits, near_threshold=near_threshold)
    if report.test_in_train:
        msg = (f"{report.test_in_train} test article(s) also appear in train "
               f"({report.summary()})")
        if not allow:
            raise ArnewsError(f"{msg}; scores would be inflated. Deduplicate the data, or set "
                              "data.leakage.allow=true to train anyway")
        log.warning("%s; training anyway because data.leakage.allow=true", msg)
    return report
