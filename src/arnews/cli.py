"""Entry-point glue: user errors become one line on stderr and exit code 2."""
from __future__ import annotations

import logging
import sys

from arnews.errors import ArnewsError


def run_entry(fn, cfg):
    """Call ``fn(cfg)``; report an ArnewsError as ``error: ...`` and exit 2."""
    # Libraries log at INFO through Hydra's handler; keep their chatter out of the way.
    for name in ("httpx", "urllib3", "alembic", "filelock", "huggingface_hub"):
        logging.getLogger(name).setLevel(logging.WARNING)
    try:
        return fn(cfg)
    except ArnewsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
