"""Processes that open one new SQLite store at the same moment all get it.

MLflow builds a new SQLite store's schema on first use; without ``tracking.store_lock``
two processes doing so at once both migrate, and one fails ("duplicate column name").
"""
from __future__ import annotations

import multiprocessing as mp

from mlflow.tracking import MlflowClient

PROCESSES = 3


def _open_store(uri: str, ready, start, results) -> None:
    import mlflow.store.tracking.sqlalchemy_store  # noqa: F401 - imports done before the start

    from arnews import tracking

    ready.put(True)
    start.wait(120)
    try:
        tracking.setup(uri, "side-by-side")
        results.put("ok")
    except BaseException as exc:  # noqa: BLE001 - reported to the test, which fails on it
        results.put(f"{type(exc).__name__}: {str(exc)[:300]}")


def test_processes_opening_a_new_sqlite_store_at_once_all_get_it(tmp_path):
    ctx = mp.get_context("spawn")
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    ready, start, results = ctx.Queue(), ctx.Event(), ctx.Queue()
    workers = [ctx.Process(target=_open_store, args=(uri, ready, start, results))
               for _ in range(PROCESSES)]
    for worker in workers:
        worker.start()
    for _ in workers:
        ready.get(timeout=180)
    start.set()  # all at once, on a store none of them has created
    outcomes = [results.get(timeout=180) for _ in workers]
    for worker in workers:
        worker.join(60)
    assert outcomes == ["ok"] * PROCESSES
    names = [e.name for e in MlflowClient(uri).search_experiments()]
    assert names.count("side-by-side") == 1
