"""Entry-point glue: user errors become one line on stderr and exit code 2; Ctrl-C and
SIGTERM end the run KILLED and exit 130."""
from __future__ import annotations

import logging
import os
import sys

from hydra.errors import InstantiationException

from arnews import distributed  # noqa: F401 - registers ${arnews.launch_time:} before Hydra composes
from arnews.errors import ArnewsError
from arnews.interrupts import sigterm_as_ctrl_c


def user_error(exc: BaseException) -> ArnewsError | None:
    """The ArnewsError behind ``exc``, or None when ``exc`` is not a user mistake.

    Hydra's ``instantiate`` wraps whatever a reader raises in an InstantiationException
    whose message repeats the target, the repr and the config key; the user only needs
    the reader's own line, which is the wrapped exception.
    """
    while isinstance(exc, InstantiationException):
        exc = exc.__cause__ or exc.__context__
    return exc if isinstance(exc, ArnewsError) else None


def run_entry(fn, cfg):
    """Call ``fn(cfg)``; report an ArnewsError as ``error: ...`` and exit 2.

    SIGTERM is handled like Ctrl-C while ``fn`` runs, and either exits 130 after the
    run has ended KILLED (inside a sweep the interrupt goes on to the sweep).
    """
    # Libraries log at INFO through Hydra's handler; keep their chatter out of the way.
    for name in ("httpx", "urllib3", "alembic", "filelock", "huggingface_hub", "mlflow.system_metrics",
                 "mlflow.pyfunc"):
        logging.getLogger(name).setLevel(logging.WARNING)
    # MLflow draws a "Downloading artifacts" bar even for a model it reads from the local
    # store (validating the input example, loading our own logged model): nothing to wait for.
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    try:
        with sigterm_as_ctrl_c():
            return fn(cfg)
    except KeyboardInterrupt as exc:
        from arnews.tracking import PARENT_RUN_ENV  # lazily: mlflow is slow to import

        if os.environ.get(PARENT_RUN_ENV):
            raise  # a sweep job: the sweep ends its parent run KILLED on the way out
        # The run is already KILLED; train.py's message says where its checkpoint is.
        detail = str(exc) if exc.args and not str(exc).startswith("signal ") else ""
        print("interrupted" + (f": {detail}" if detail else ""), file=sys.stderr)
        sys.exit(130)
    except (ArnewsError, InstantiationException) as exc:
        error = user_error(exc)
        if error is None:
            raise
        sys.exit(report_user_error(error))


def report_user_error(error: BaseException) -> int:
    """Print a user error as one ``error: ...`` line on stderr; return exit code 2.

    Every command of the package (train, evaluate, pretrain, compare, sweeps) ends a
    user mistake this way.
    """
    # one line even when a library's reason quoted in the message spans several
    print("error: " + " ".join(str(error).splitlines()), file=sys.stderr)
    return 2
