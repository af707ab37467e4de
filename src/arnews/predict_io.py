"""Streaming input and output for ``predict.py``: rows in, predictions out, never the
whole file in memory.

Usage::

    from arnews.predict_io import batched, input_format, open_predictions, read_rows

    rows = read_rows(Path("news.jsonl"))                 # yields (line, record), lazily
    with open_predictions(Path("out.csv"), ["a", "b"], overwrite=False) as out:
        for batch in batched(rows, 256):
            out.write(ids, labels, scores)               # one list per column of the batch

Input is ``.jsonl`` (optionally ``.jsonl.gz``), ``.csv`` or ``.tsv`` with a header row.
Output is ``.jsonl`` or ``.csv``, optionally ``.gz``. Output goes to a hidden temporary
file beside the target that is renamed over it only when every row is written, so a
run that fails or is interrupted leaves no half file behind.

Every problem with the files is an :class:`~arnews.errors.ArnewsError` naming the file
(and line) and what to do. Only the standard library is imported here, so that
``python predict.py --help`` and argument mistakes answer at once.
"""
from __future__ import annotations

import csv
import gzip
import io
import json
import os
from contextlib import contextmanager
from itertools import islice
from pathlib import Path
from typing import Iterable, Iterator

from arnews.data.jsonl import parse_line
from arnews.errors import ArnewsError

INPUT_FORMATS = ".jsonl, .jsonl.gz, .csv or .tsv"
OUTPUT_FORMATS = ".jsonl or .csv, optionally .gz"
LABEL_SEP = "|"  # joins a multi-label row's labels in a CSV cell, as data.reader.label_sep does
COUNT_LINES_UP_TO = 1 << 30  # bytes; counting the lines of a bigger file costs a second read


def input_format(path: Path) -> str:
    """``"jsonl"``, ``"csv"`` or ``"tsv"``; an error for any other name.

    >>> input_format(Path("news.jsonl.gz")), input_format(Path("pairs.CSV"))
    ('jsonl', 'csv')
    """
    name = path.name.lower()
    for suffix, kind in ((".jsonl", "jsonl"), (".jsonl.gz", "jsonl"), (".csv", "csv"), (".tsv", "tsv")):
        if name.endswith(suffix):
            return kind
    raise ArnewsError(f"input={path}: unknown file type; pass a {INPUT_FORMATS} file (JSONL: one "
                      "JSON object per line; CSV/TSV: a header row naming the columns)")


def output_format(path: Path) -> str:
    """``"jsonl"`` or ``"csv"`` from the output's name; an error for any other name.

    >>> output_format(Path("labels.csv.gz"))
    'csv'
    """
    name = path.name.lower().removesuffix(".gz")
    for kind in ("jsonl", "csv"):
        if name.endswith(f".{kind}"):
            return kind
    raise ArnewsError(f"output={path}: unknown file type; name the output {OUTPUT_FORMATS}, "
                      "e.g. output=predictions.jsonl")


def check_input(path: Path) -> Path:
    """``path`` if it is a readable file of a known format."""
    if not path.is_file():
        what = "is a folder" if path.is_dir() else "file not found"
        raise ArnewsError(f"input={path}: {what}; pass a {INPUT_FORMATS} file")
    input_format(path)
    return path


def check_output(path: Path, overwrite: bool, source: Path | None = None) -> Path:
    """``path`` if predictions may be written there: a known format, an existing folder,
    no file in the way unless ``overwrite``, and never the input itself."""
    output_format(path)
    folder = path.parent
    if not folder.is_dir():
        raise ArnewsError(f"output={path}: the folder {folder} does not exist; create it "
                          f"(mkdir -p {folder}) or write the output elsewhere")
    if path.is_dir():
        raise ArnewsError(f"output={path}: is a folder; name a file in it, e.g. "
                          f"output={path / 'predictions.jsonl'}")
    if source is not None and path.exists() and path.resolve() == source.resolve():
        raise ArnewsError(f"output={path}: is the input file; write the predictions to another file")
    if path.exists() and not overwrite:
        raise ArnewsError(f"output={path}: the file already exists and is left as it is; pass "
                          "overwrite=true to replace it, or choose another output")
    return path


# ---- reading ----------------------------------------------------------------------------
def read_rows(path: Path, required: Iterable[str] = ()) -> Iterator[tuple[int, dict]]:
    """Yield ``(line, record)`` for each row of ``path``, reading as it goes.

    ``line`` is where the row starts in the file (a JSONL blank line is skipped, a CSV
    header is line 1). ``required`` columns are checked against a CSV header at once;
    a JSONL row has no header, so its fields are checked row by row by the model.
    """
    kind = input_format(path)
    if kind == "jsonl":
        return _jsonl_rows(path)
    from arnews.data.readers._common import read_csv  # streams, all cells kept as text

    return read_csv(path, required=required, delimiter="\t" if kind == "tsv" else ",")


def _jsonl_rows(path: Path) -> Iterator[tuple[int, dict]]:
    opener = gzip.open if path.suffix.lower() == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8-sig") as fh:
            for line, text in enumerate(fh, 1):
                row = parse_line(text, f"{path}:{line}")  # the training reader's wording
                if row is not None:
                    row.pop("_where")
                    yield line, row
    except UnicodeDecodeError:
        from arnews.data.readers._common import not_utf8  # finds the first bad line

        raise not_utf8(path) from None
    except (OSError, EOFError) as exc:  # a truncated or corrupt .gz
        raise ArnewsError(f"{path}: cannot read the file ({exc}); check that it is complete") from None


def batched(rows: Iterable, size: int) -> Iterator[list]:
    """Lists of up to ``size`` items (``itertools.batched`` is Python 3.12+).

    >>> [len(b) for b in batched(range(5), 2)]
    [2, 2, 1]
    """
    rows = iter(rows)
    while batch := list(islice(rows, size)):
        yield batch


def count_rows(path: Path) -> int | None:
    """The number of lines of an uncompressed JSONL file, or None where that is not cheap
    (gzip, a file over 1 GiB) or not the row count (CSV cells may span lines).

    Only for the progress bar's total: reads the raw bytes in 1 MiB blocks.
    """
    if input_format(path) != "jsonl" or path.suffix.lower() == ".gz" \
            or path.stat().st_size > COUNT_LINES_UP_TO:
        return None
    lines, last = 0, b"\n"
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            lines += block.count(b"\n")
            last = block[-1:]
    return lines + (last != b"\n")  # a last line without its newline is a row too


# ---- writing ----------------------------------------------------------------------------
class PredictionWriter:
    """Writes prediction rows to an open text file as JSONL or CSV.

    Columns: ``id``, ``labels`` and ``score_<label>`` per label. A multi-label row's
    labels are a JSON list in JSONL and ``|``-joined in CSV; a single-label row's label is
    a string in both.
    """

    def __init__(self, fh, kind: str, labels: list[str]):
        self.kind = kind
        self.fh = fh
        self.columns = ["id", "labels", *(f"score_{label}" for label in labels)]
        if kind == "csv":
            self.csv = csv.writer(fh)
            self.csv.writerow(self.columns)

    def write(self, ids: list, labels: list, scores: list[list[float]]) -> None:
        """One batch: ``ids[i]``, ``labels[i]`` and ``scores[j][i]`` for label ``j``."""
        for ident, label, *row in zip(ids, labels, *scores):
            if self.kind == "csv":
                cell = LABEL_SEP.join(label) if isinstance(label, list) else label
                self.csv.writerow([ident, cell, *row])
            else:
                self.fh.write(json.dumps(dict(zip(self.columns, (ident, label, *row))),
                                         ensure_ascii=False) + "\n")


@contextmanager
def open_predictions(path: Path, labels: list[str], overwrite: bool = False):
    """A :class:`PredictionWriter` on a temporary file that becomes ``path`` on success.

    The temporary file is hidden in the output's folder (so the final rename is atomic,
    on one file system) and removed if the block raises, Ctrl-C included. A file that
    appeared at ``path`` meanwhile is still not overwritten without ``overwrite``.
    """
    kind = output_format(path)
    part = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        # "x": never clobber anything; created with the usual permissions (umask), unlike
        # tempfile's private 0600 files, so the renamed output reads like any other file
        raw = open(part, "xb")
    except OSError as exc:
        raise ArnewsError(f"output={path}: cannot write in {path.parent} ({exc.strerror}); "
                          "choose a folder you can write to") from None
    try:
        with raw:
            # the gzip header names the final file, not the temporary one
            binary = (gzip.GzipFile(filename=path.name, mode="wb", fileobj=raw)
                      if path.suffix.lower() == ".gz" else raw)
            with io.TextIOWrapper(binary, encoding="utf-8", newline="") as fh:
                yield PredictionWriter(fh, kind, labels)
        check_output(path, overwrite)
        os.replace(part, path)
    finally:
        part.unlink(missing_ok=True)
