"""Readers that turn public datasets into the project's row schema.

Each reader is ``read_<name>(path, splits=("train", "dev", "test"), **options)`` and
returns ``{split: [row, ...]}`` for the requested splits that exist (a missing dev
is carved from train by the core). Rows follow DESIGN.md contract 5 and carry
``_where`` (``file:line`` or ``file:[record]``) for error messages. Input errors
raise :class:`arnews.errors.ArnewsError` with one line naming the file.

Hydra configs in ``conf/data/`` point at them, e.g. ``python train.py data=ans
data.path=/data/ans``. Directly::

    from arnews.data.readers import get_reader
    splits = get_reader("ant")("/data/ant_v1", seed=13)

Nothing is downloaded; each module's docstring says where to get its dataset.
"""
from __future__ import annotations

from importlib import import_module
from typing import Callable

READERS = ("baly2018", "ans", "mawqif", "ant", "saudinewsnet", "hf", "table")


def get_reader(name: str) -> Callable[..., dict[str, list[dict]]]:
    """The ``read_<name>`` function, imported on demand (``hf`` pulls in ``datasets``)."""
    if name not in READERS:
        raise KeyError(f"unknown reader {name!r}; readers: {', '.join(READERS)}")
    return getattr(import_module(f"arnews.data.readers.{name}"), f"read_{name}")
