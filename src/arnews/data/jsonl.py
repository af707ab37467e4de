"""Reader for the project's own JSONL schema (DESIGN.md, contract 5).

``DIR`` holds ``train.jsonl``, an optional ``dev.jsonl`` and ``test.jsonl``; each may
also be gzip-compressed (``train.jsonl.gz``). Every row keeps where it came from in
``_where`` (``file:line``) so that later schema checks can point at it.
"""
from __future__ import annotations

import gzip
import json
from pathlib import Path

from arnews.data.readers._common import not_utf8
from arnews.errors import ArnewsError


def _find(folder: Path, split: str) -> Path | None:
    for name in (f"{split}.jsonl", f"{split}.jsonl.gz"):
        if (folder / name).is_file():
            return folder / name
    return None


def read_jsonl_file(path: Path) -> list[dict]:
    """Read one JSONL file (optionally gzipped) into row dicts tagged with ``_where``."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8-sig") as fh:
            return [row for lineno, line in enumerate(fh, 1)
                    if (row := parse_line(line, f"{path}:{lineno}")) is not None]
    except UnicodeDecodeError:
        raise not_utf8(path) from None


def parse_line(line: str, where: str) -> dict | None:
    """One JSONL line as a row tagged with ``_where``; None for a blank line."""
    if not line.strip():
        return None
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ArnewsError(f"{where}: not valid JSON ({exc.msg}); each line must be one JSON "
                          "object") from None
    if not isinstance(row, dict):
        raise ArnewsError(f"{where}: expected a JSON object, got {type(row).__name__}; each "
                          "line must be one JSON object")
    row["_where"] = where
    return row


def read_jsonl_dir(path: str | Path, splits: tuple[str, ...] = ("train", "dev", "test")) -> dict:
    """Read the requested splits from ``path``; a missing ``dev`` is left out.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "train.jsonl").write_text('{"id": "1", "text": "نص", "topics": []}\\n')
    >>> _ = (d / "test.jsonl").write_text('{"id": "2", "text": "نص", "topics": []}\\n')
    >>> sorted(read_jsonl_dir(d))
    ['test', 'train']
    """
    folder = Path(path).expanduser()
    if not folder.is_dir():
        raise ArnewsError(f"data.path={path}: no such folder; point data.path at a folder "
                          "holding train.jsonl and test.jsonl")
    out = {}
    for split in splits:
        found = _find(folder, split)
        if found is None:
            if split == "dev":
                continue
            raise ArnewsError(f"{folder}: missing {split}.jsonl (or {split}.jsonl.gz); put the "
                              f"{split} split there, one JSON object per line")
        out[split] = read_jsonl_file(found)
        if not out[split]:
            raise ArnewsError(f"{found}: the file holds no rows; write one JSON object per line")
    return out
