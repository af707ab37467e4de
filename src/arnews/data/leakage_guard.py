"""Refuse to train when test articles also sit in train (unless told otherwise)."""
from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict
from pathlib import Path

from arnews.data.leakage import LeakageReport, find_cross_split_duplicates
from arnews.errors import ArnewsError

log = logging.getLogger(__name__)

# Part of the cache key: bump it when the duplicate search changes its answers.
REPORT_VERSION = 2


def guard_leakage(splits: dict[str, list[dict]], near_threshold: float = 0.9, allow: bool = False,
                  cache_dir: str | Path | None = None) -> LeakageReport:
    """Check exact and near duplicates across splits; raise on test-in-train leakage.

    ``allow`` trains anyway, with a warning (``data.leakage.allow=true``). The report is
    returned so the run can log it. With ``cache_dir`` the report is kept under
    ``<cache_dir>/leakage/``, keyed by a hash of the splits' rows and the threshold, so
    the runs of a sweep over the same data search once (about a second on the demo).
    """
    report = _cached_report(splits, near_threshold, cache_dir)
    if report.test_in_train:
        msg = (f"{report.test_in_train} test article(s) also appear in train "
               f"({report.summary()})")
        if not allow:
            raise ArnewsError(f"{msg}; scores would be inflated. Deduplicate the data, or set "
                              "data.leakage.allow=true to train anyway")
        log.warning("%s; training anyway because data.leakage.allow=true", msg)
    return report


def _cached_report(splits, near_threshold, cache_dir) -> LeakageReport:
    if cache_dir is None:
        return find_cross_split_duplicates(splits, near_threshold=near_threshold)
    digest = hashlib.sha256(json.dumps([REPORT_VERSION, near_threshold, splits], sort_keys=True,
                                       ensure_ascii=False, default=str).encode()).hexdigest()
    path = Path(cache_dir).expanduser() / "leakage" / f"{digest[:32]}.json"
    try:
        report = LeakageReport(**json.loads(path.read_text()))
        log.info("%s (cached)", report.summary())
        return report
    except (OSError, ValueError, TypeError):  # not cached yet, or unreadable: search again
        pass
    report = find_cross_split_duplicates(splits, near_threshold=near_threshold)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{id(report)}.tmp")  # parallel sweep jobs: write, then rename
        tmp.write_text(json.dumps(asdict(report), ensure_ascii=False))
        tmp.replace(path)
    except OSError as exc:
        log.debug("leakage report not cached: %s", exc)
    return report
