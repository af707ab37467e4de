"""Batch prediction: label every row of a JSONL or CSV file with a logged model.

    python predict.py model_uri=runs:/<run_id>/topic-tfidf_logreg input=news.jsonl output=labels.jsonl
    python predict.py model_uri=runs:/<run_id>/stance-tfidf_pair input=pairs.csv output=out.csv.gz \\
        tracking_uri=sqlite:////data/mlflow.db batch_size=512 overwrite=true
    python predict.py --model-uri runs:/<run_id>/topic-compact_bert --input news.jsonl --output out.jsonl
    python predict.py --help

The model is loaded once (``arnews.evaluate.load_logged_model``, through
``mlflow.pyfunc.load_model``); the input is then read and predicted ``batch_size`` rows
at a time with the logged model's own ``predict`` code (``arnews.pyfunc.predict_frame``),
and each batch is written out before the next is read, so memory stays flat however
long the file. A user mistake (a missing file, a bad JSON line, a row without text, an
output that already exists) prints one ``error:`` line naming the file and line and
exits 2; Ctrl-C or SIGTERM exits 130. Either way no partial output is left.

Options are parsed with plain argparse, not Hydra: nothing heavy is imported before the
arguments are checked, so ``--help`` and argument mistakes answer at once.
"""
from __future__ import annotations

import argparse
import logging
import os
import re
import sys
import time
from pathlib import Path

from arnews.cli import report_user_error
from arnews.errors import ArnewsError
from arnews.predict_io import (INPUT_FORMATS, OUTPUT_FORMATS, batched, check_input, check_output,
                               count_rows, input_format, open_predictions, read_rows)

DEFAULT_URI = "sqlite:///mlflow.db"  # the store training writes by default (conf/tracking)
DEFAULT_BATCH = 256
# key=value spellings (Hydra-like, as train.py and evaluate.py take them) → argparse dest
KEYS = {"model_uri": "model_uri", "input": "input", "output": "output",
        "tracking_uri": "tracking_uri", "tracking.uri": "tracking_uri",
        "batch_size": "batch_size", "overwrite": "overwrite", "progress": "progress"}
EXAMPLE = ("python predict.py model_uri=runs:/<run_id>/topic-tfidf_logreg input=news.jsonl "
           "output=labels.jsonl")
# the row the model's input check names: "column 'text', row 17: missing or empty; ..."
_ROW = re.compile(r"^column (?P<column>.+?), row (?P<row>\d+): (?P<reason>.*)$", re.S)


class _Parser(argparse.ArgumentParser):
    """argparse whose mistakes are an ArnewsError (one ``error:`` line, exit 2) rather
    than a usage block."""

    def error(self, message):
        # "argument --batch-size: invalid int value" → "batch_size=: invalid int value"
        message = re.sub(r"argument --([a-z-]+)", lambda m: m[1].replace("-", "_") + "=", message)
        raise ArnewsError(f"{message}; see python predict.py --help")


def _flag(value: str) -> bool:
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "on"):
        return True
    if text in ("false", "0", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"{value!r} is not true or false")


def _progress(value: str) -> bool | None:
    return None if str(value).strip().lower() == "auto" else _flag(value)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="python predict.py",
        usage="python predict.py model_uri=URI input=FILE output=FILE [key=value ...]",
        description="Label every row of a JSONL or CSV file with a model logged by an arnews "
                    "training run, streaming the file in batches. Options are given as key=value "
                    "(as below) or as --flags (--model-uri URI ...).",
        epilog="Input rows need the columns the model reads: 'text' (and optionally 'title') for a "
               "topic model; 'text' and 'claim' (or 'target') for a stance model; other columns "
               "are ignored. Output columns: id (the row's id, or its line number in the input "
               "when it has none), labels (a multi-label row's labels: a JSON list in JSONL, "
               "joined by | in CSV) and score_<label> per label, in the input's order. "
               "Example: " + EXAMPLE,
)
    p.add_argument("--model-uri", metavar="URI", dest="model_uri",
                   help="model_uri=: the logged model, e.g. runs:/<run_id>/topic-tfidf_logreg (the "
                        "training run's model_uri tag, printed as 'model:'), models:/<name>/<version> "
                        "or a local model folder (required)")
    p.add_argument("--input", metavar="FILE", type=Path,
                   help=f"input=: the rows to label, {INPUT_FORMATS}; JSONL is one JSON object per "
                        "line, CSV/TSV has a header row (required)")
    p.add_argument("--output", metavar="FILE", type=Path,
                   help=f"output=: where to write the predictions, {OUTPUT_FORMATS}; the format "
                        "follows the name. Its folder must exist (required)")
    p.add_argument("--tracking-uri", metavar="URI", default=DEFAULT_URI, dest="tracking_uri",
                   help=f"tracking_uri= (or tracking.uri=): the MLflow store the model was logged "
                        f"to (default: {DEFAULT_URI}, as training)")
    p.add_argument("--batch-size", metavar="N", type=int, default=DEFAULT_BATCH, dest="batch_size",
                   help=f"batch_size=: rows read, predicted and written at a time; memory grows "
                        f"with it (default: {DEFAULT_BATCH})")
    p.add_argument("--overwrite", metavar="BOOL", type=_flag, nargs="?", const=True, default=False,
                   help="overwrite=true: replace an existing output file (default: false: an "
                        "existing file is refused and left as it is)")
    p.add_argument("--progress", metavar="BOOL", type=_progress, nargs="?", const=True, default=None,
                   help="progress=true|false|auto: a progress bar on stderr (default: auto, shown "
                        "when stderr is a terminal)")
    return p


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """``key=value`` words become ``--key value``; then argparse, then the required options.

    >>> a = parse_args(["model_uri=runs:/1/m", "input=a.jsonl", "--output", "b.csv", "overwrite=true"])
    >>> a.model_uri, a.input.name, a.output.name, a.overwrite, a.batch_size
    ('runs:/1/m', 'a.jsonl', 'b.csv', True, 256)
    """
    words, after_flag = [], False
    for word in sys.argv[1:] if argv is None else argv:
        key, eq, value = word.partition("=")
        if not word.startswith("-") and eq and (key in KEYS or not after_flag):
            if key not in KEYS:
                raise ArnewsError(f"unknown option {word}; options: {', '.join(k + '=' for k in KEYS)} "
                                  "(see python predict.py --help)")
            words += [f"--{KEYS[key].replace('_', '-')}", value]
            after_flag = False
            continue
        if not word.startswith("-") and not after_flag:
            raise ArnewsError(f"unexpected argument {word!r}; pass options as key=value, "
                              f"e.g. {EXAMPLE}")
        words.append(word)  # a --flag, or the value that follows one
        after_flag = word.startswith("--") and not eq and word != "--help"
    args = build_parser().parse_args(words)
    missing = [k + "=" for k in ("model_uri", "input", "output") if getattr(args, k) in (None, "")]
    if missing:
        raise ArnewsError(f"missing {', '.join(missing)}; e.g. {EXAMPLE} (see python predict.py --help)")
    if args.batch_size < 1:
        raise ArnewsError(f"batch_size={args.batch_size}: must be at least 1, e.g. "
                          f"batch_size={DEFAULT_BATCH}")
    return args


def load_model(model_uri: str, tracking_uri: str):
    """The logged model's Predictor, loaded once; a clear error when it cannot load."""
    # mlflow is slow to import: only once the arguments and files are known to be good
    import mlflow

    from arnews import tracking
    from arnews.evaluate import load_logged_model, resolve_model_uri

    db = tracking.sqlite_file(tracking_uri)
    if db is not None and model_uri.startswith(("runs:/", "models:/")):
        if not db.is_file():  # MLflow would create an empty store there and then not find the run
            raise ArnewsError(f"tracking_uri={tracking_uri}: no MLflow store at {db}; pass the "
                              "tracking_uri the model was logged to (training's tracking.uri)")
    tracking.check_reachable(tracking_uri)
    mlflow.set_tracking_uri(tracking_uri)
    return load_logged_model(resolve_model_uri(model_uri))


def located(exc: Exception, path: Path, lines: list[int]) -> ArnewsError:
    """The model's complaint about a row, as ``FILE:LINE: column ...: reason``.

    The batch's DataFrame is indexed by line number, so the row the model names is the
    line in the file.

    >>> str(located(Exception("column 'text', row 7: missing or empty; every row needs the article text"),
    ...             Path("in.jsonl"), [5, 7]))
    "in.jsonl:7: field 'text': missing or empty; every row needs the article text"
    """
    message = " ".join(str(getattr(exc, "message", exc)).split())
    match = _ROW.match(message)
    if match:
        what = "field" if input_format(path) == "jsonl" else "column"  # a JSON object has fields
        return ArnewsError(f"{path}:{match['row']}: {what} {match['column']}: {match['reason']}")
    return ArnewsError(f"{path}:{lines[0]}-{lines[-1]}: {message}")


def predict_file(args: argparse.Namespace) -> int:
    """Write the predictions of ``args.input`` to ``args.output``; returns the row count."""
    source = check_input(args.input)
    target = check_output(args.output, args.overwrite, source=source)
    predictor = load_model(args.model_uri, args.tracking_uri)

    import pandas as pd
    from mlflow.exceptions import MlflowException
    from tqdm import tqdm

    from arnews.pyfunc import predict_frame  # what the logged model's predict runs

    task = predictor.task
    columns = [*task.pair_fields, *task.text_fields]  # what the model reads; the rest stays out
    rows = read_rows(source, required=task.text_fields[-1:])
    show = args.progress if args.progress is not None else sys.stderr.isatty()
    done = 0
    with open_predictions(target, task.labels, args.overwrite) as out, \
            tqdm(total=count_rows(source) if show else None, unit=" rows", disable=not show,
                 desc=source.name, file=sys.stderr, dynamic_ncols=True) as bar:
        for batch in batched(rows, args.batch_size):
            lines = [line for line, _ in batch]
            # object columns: a number where text belongs reaches the model's own check,
            # which names the row, rather than a pandas dtype error
            frame = pd.DataFrame([{c: r.get(c) for c in columns} for _, r in batch],
                                 index=lines, columns=columns, dtype=object)
            try:
                result = predict_frame(predictor, frame)
            except MlflowException as exc:
                raise located(exc, source, lines) from None
            ids = [_id(r, line) for line, r in batch]
            out.write(ids, result["labels"].tolist(),
                      [result[f"score_{label}"].tolist() for label in task.labels])
            done += len(batch)
            bar.update(len(batch))
        bar.total = done  # blank lines were counted: end the bar at 100%
    return done


def _id(row: dict, line: int):
    """The row's own id; its line number in the input when it has none."""
    ident = row.get("id")
    return line if ident is None or ident == "" else ident


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python predict.py``; returns the exit code (0, 2, or 130)."""
    from arnews.interrupts import sigterm_as_ctrl_c

    # MLflow draws a "Downloading artifacts" bar even for a model in the local store
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        args = parse_args(argv)
    except ArnewsError as exc:
        return report_user_error(exc)
    start = time.perf_counter()
    try:
        with sigterm_as_ctrl_c():  # SIGTERM too removes the partial output on the way out
            n = predict_file(args)
    except ArnewsError as exc:
        return report_user_error(exc)
    except KeyboardInterrupt:
        print(f"interrupted; {args.output} was not written", file=sys.stderr)
        return 130
    seconds = time.perf_counter() - start
    print(f"{n} rows → {args.output} in {seconds:.1f} s "
          f"({input_format(args.input)} in, model {args.model_uri})")
    return 0
