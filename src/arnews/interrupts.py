"""SIGTERM ends a run the way Ctrl-C does.

Batch schedulers, ``kill`` and container runtimes stop a job with SIGTERM, whose
default action ends the process on the spot: the MLflow run would stay RUNNING and
nothing would say where the last checkpoint is. Turned into ``KeyboardInterrupt``,
it unwinds through ``tracking.tracked_run`` (the run ends KILLED) and through
``train`` (which names the checkpoint and the resume command), like Ctrl-C.
"""
from __future__ import annotations

import signal
import threading
from contextlib import contextmanager


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


@contextmanager
def sigterm_as_ctrl_c():
    """Within the block, SIGTERM raises KeyboardInterrupt in the main thread.

    A handler someone else installed (a sweep's, which ends its parent run) is left
    alone, and so is every thread but the main one, where Python cannot set handlers.
    """
    if threading.current_thread() is not threading.main_thread() \
            or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        yield
        return
    before = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, before)
