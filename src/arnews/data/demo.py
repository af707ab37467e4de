"""The annotated demo corpus shipped as package data (``data=demo``).

It lives in ``arnews/data/demo_corpus/<task>/<split>.jsonl.gz`` in the project's JSONL
schema; see ``DATACARD.md`` beside it for what it holds and how it was made.
"""
from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path

from arnews.data.jsonl import read_jsonl_dir
from arnews.errors import ArnewsError

TASKS = ("topic", "stance")


def demo_dir(task: str) -> Path:
    """Folder of the demo corpus for ``task`` (topic or stance)."""
    if task not in TASKS:
        raise ArnewsError(f"data=demo has no {task!r} split; it serves task=topic and task=stance")
    return Path(str(files("arnews.data") / "demo_corpus" / task))


def read_demo(task: str = "topic", splits=("train", "dev", "test")) -> dict[str, list[dict]]:
    """Read the demo corpus for ``task``.

    >>> sorted(read_demo("topic", splits=("dev",)))
    ['dev']
    """
    return read_jsonl_dir(demo_dir(task), splits=tuple(splits))


def corpus_metadata() -> dict:
    """What ``arnews-corpus build`` recorded: ``version``, ``seed``, ``build`` command,
    part versions, unrelated-pair sampling settings, sibling and same-event groups.

    >>> corpus_metadata()["version"]
    2
    """
    return json.loads((demo_dir("topic").parent / "corpus.json").read_text(encoding="utf-8"))


def corpus_version() -> str:
    """The demo corpus version as a tag value, e.g. ``"2"``."""
    return str(corpus_metadata()["version"])
