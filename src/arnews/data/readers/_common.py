"""Helpers shared by the dataset readers: paths, CSV with line numbers, labels, and
mapping foreign columns onto our schema. Splitting lives in :mod:`arnews.data.splits`."""
from __future__ import annotations

import csv
import gzip
import hashlib
import json
from pathlib import Path
from typing import Iterable, Iterator


from arnews.errors import ArnewsError

SCHEMA_FIELDS = ("id", "title", "text", "topic", "topics", "stance", "claim", "claim_id", "target")
LABEL_FIELDS = ("topic", "topics", "stance")


def existing_dir(path, dataset: str, get_it: str) -> Path:
    """``path`` as a folder, or a one-line error saying where to get ``dataset``."""
    if path is None or str(path) in ("", "???"):
        raise ArnewsError(f"data.path is not set; set data.path=<folder holding {dataset}> "
                          f"({get_it})")
    folder = Path(str(path)).expanduser()
    if not folder.is_dir():
        raise ArnewsError(f"data.path={path}: no such folder; {get_it}, then set data.path "
                          "to the folder")
    return folder


def existing_file(path: Path, what: str) -> Path:
    if not path.is_file():
        raise ArnewsError(f"{path}: file not found; {what}")
    return path


def not_utf8(path: Path) -> ArnewsError:
    """The error for a file that is not UTF-8, naming its first line that fails to decode.

    Text-mode reading decodes in blocks, so the line being parsed when decoding fails
    is not the bad one; reading the raw lines again finds it (a UTF-8 sequence never
    spans a newline). Arabic text saved on Windows is usually Windows-1256.
    """
    opener = gzip.open if path.suffix == ".gz" else open
    line = 0
    with opener(path, "rb") as fh:
        for line, raw in enumerate(fh, 1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                break
    recode = "iconv -f cp1256 -t utf-8"
    command = (f"gunzip -c {path} | {recode} | gzip > {path}.utf8" if path.suffix == ".gz"
               else f"{recode} {path} > {path}.utf8")
    return ArnewsError(f"{path}:{line}: not UTF-8 text; re-encode the file as UTF-8 and use "
                       f"the copy in its place, e.g. {command} (Arabic text saved on Windows "
                       "is usually cp1256)")


def stable_id(text: str, prefix: str = "") -> str:
    """A short hash that is the same on every machine and run (unlike ``hash``)."""
    return prefix + hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


def read_csv(path: Path, required: Iterable[str] = (), delimiter: str = ","
             ) -> Iterator[tuple[int, dict]]:
    """Yield ``(line, record)`` from a CSV file (BOM tolerated), all values strings.

    Unlike pandas, nothing is turned into NaN: Mawqif's stance label ``None`` must
    stay the string "None". ``line`` is where the record starts in the file.
    """
    # whole articles in one cell exceed the csv module's default 128 KB field limit
    csv.field_size_limit(2**31 - 1)
    line = 1
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh, delimiter=delimiter)
            header = [h.strip() for h in (reader.fieldnames or [])]
            reader.fieldnames = header
            missing = [c for c in required if c not in header]
            if missing:
                raise ArnewsError(f"{path}:1: missing column(s) {', '.join(missing)}; the "
                                  f"header has {', '.join(header) or 'nothing'}")
            line = reader.line_num + 1
            for record in reader:
                yield line, record
                line = reader.line_num + 1
    except UnicodeDecodeError:
        raise not_utf8(path) from None
    except csv.Error as exc:
        raise ArnewsError(f"{path}:{line}: malformed CSV ({exc})") from None


def label_names_of(names):
    """``label_names`` as given in a config: a list (index -> name) or a mapping whose
    keys are compared as text, since CSV cells are text and YAML keys may be ints."""
    return {str(k): v for k, v in names.items()} if isinstance(names, dict) else names


def decode_label(value, field: str, names, where: str, option: str = "label_names"):
    """Map a raw label through ``names`` from :func:`label_names_of` (set by ``option``)."""
    if names is None:
        return value.strip() if isinstance(value, str) else value
    if isinstance(names, dict):
        key = str(value.strip() if isinstance(value, str) else value)
        if key in names:
            return names[key]
        raise ArnewsError(f"{where}: {field} value {value!r} is not in {option} "
                          f"({', '.join(map(str, names))}); add it to data.reader.{option}")
    try:
        return names[int(value)]
    except (ValueError, TypeError, IndexError):
        raise ArnewsError(f"{where}: {field} value {value!r} is not an index into "
                          f"{option} ({len(names)} names); fix the value or "
                          f"data.reader.{option}") from None


def keep(out: dict[str, list[dict]], splits: Iterable[str]) -> dict[str, list[dict]]:
    """Only the requested splits that exist, in the requested order."""
    return {s: out[s] for s in splits if s in out}


def resolve_columns(available: list[str], columns: dict | None, source: str) -> dict[str, str]:
    """Schema field -> source column: the given mapping plus same-named columns.

    Same-named label columns are added only when no label field is mapped, so that
    mapping ``topic`` does not also pick up a ``topics`` or ``stance`` column.
    """
    mapping = {str(k): str(v) for k, v in (columns or {}).items()}
    unknown = [f for f in mapping if f not in SCHEMA_FIELDS]
    if unknown:
        raise ArnewsError(f"{source}: data.reader.columns has unknown field(s) "
                          f"{', '.join(unknown)}; fields are {', '.join(SCHEMA_FIELDS)}")
    label_given = any(f in LABEL_FIELDS for f in mapping)
    for field in SCHEMA_FIELDS:
        if field not in mapping and field in available and not (
                label_given and field in LABEL_FIELDS):
            mapping[field] = field
    for field, column in mapping.items():
        if column not in available:
            raise ArnewsError(f"{source}: no column {column!r} for field {field!r}; columns "
                              f"are {', '.join(available)}; set data.reader.columns.{field}="
                              "<column>")
    if "text" not in mapping:
        raise ArnewsError(f"{source}: no 'text' column; columns are {', '.join(available)}; "
                          "set data.reader.columns.text=<column>")
    return mapping


def to_row(record: dict, mapping: dict[str, str], names: dict[str, object], where: str,
           fallback_id: str, label_sep: str = "|") -> dict:
    """One source record as a schema row; ``names[field]`` decodes that label field."""
    row = {}
    for field, column in mapping.items():
        value = record.get(column)
        if field == "topics":
            row[field] = [str(decode_label(v, field, names.get(field), where))
                          for v in _as_list(value, label_sep)]
        elif field in LABEL_FIELDS:
            if value is None or value == "":
                raise ArnewsError(f"{where}: empty {field} (column {column!r}); every row "
                                  "needs a label")
            row[field] = str(decode_label(value, field, names.get(field), where))
        else:
            row[field] = "" if value is None else str(value)
    row.setdefault("id", fallback_id)
    if "stance" in row and "claim_id" not in row:
        # group pairs by their claim (or target) so that splits can keep them together
        row["claim_id"] = row.get("target") or stable_id(row.get("claim", ""), "c")
    row["_where"] = where
    return row


def _as_list(value, sep: str) -> list:
    if hasattr(value, "tolist"):          # numpy arrays and scalars from Parquet
        value = value.tolist()
    if value is None or value == "":
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                return list(json.loads(text))
            except json.JSONDecodeError:
                pass
        return [v.strip() for v in text.split(sep) if v.strip()]
    return [value]
