"""The logged model: an MLflow ``pyfunc`` that maps raw Arabic texts to labels.

It bundles the classifier, the task (label space, input fields), the decision rule
fitted on dev, and the text normalisation, so that

    mlflow.pyfunc.load_model(uri).predict(pd.DataFrame({"text": [...]}))

returns a ``labels`` column and one ``score_<label>`` column per label (DESIGN.md,
contract 6), exactly as the training run scored its test split.

It imports only what the logged model needs: mlflow, pandas, numpy and the arnews
modules of its kind (a TF-IDF model never imports torch), which is what the model's
``requirements.txt`` lists.
"""
from __future__ import annotations

import json
from pathlib import Path

import mlflow.pyfunc
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE


class ArnewsPyfunc(mlflow.pyfunc.PythonModel):
    """A :class:`arnews.predictor.Predictor` behind ``predict``."""

    def load_context(self, context):
        from arnews.models import load_classifier
        from arnews.predictor import Predictor

        meta = json.loads(Path(context.artifacts["task"]).read_text())
        self.predictor = Predictor.from_meta(meta, load_classifier(context.artifacts["model"]))

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        return predict_frame(self.predictor, model_input)


def predict_frame(predictor, frame: pd.DataFrame) -> pd.DataFrame:
    """Labels and scores for the rows of ``frame`` (the pyfunc output format)."""
    task = predictor.task
    check_frame(task, frame)
    fields = set(task.text_fields) | set(task.pair_fields)
    # after check_frame a text cell is a string or empty (None, NaN): keep the strings
    rows = [{k: v for k, v in r.items() if k in fields and isinstance(v, str)}
            for r in frame.to_dict("records")]
    return predictor.output_frame(*predictor.predict_rows(rows))


def check_frame(task, frame: pd.DataFrame) -> None:
    """Reject input the model cannot read, naming the column and the row.

    Every text column must hold strings (a missing title or the unused one of claim and
    target may be None or NaN); the article and the claim or target must not be empty.
    The error is an MlflowException with INVALID_PARAMETER_VALUE, so that
    ``mlflow models serve`` answers HTTP 400 with this message rather than 500.
    """
    reads = task.pair_fields + task.text_fields
    body = task.text_fields[-1]
    missing = [repr(body)] if body not in frame.columns else []
    if task.pair_fields and not any(f in frame.columns for f in task.pair_fields):
        missing.append(" or ".join(map(repr, task.pair_fields)))
    if missing:
        _reject(f"the input lacks column {' and '.join(missing)}; this {task.name} model reads "
                f"columns {', '.join(reads)} ({body!r} required)")
    present = [f for f in reads if f in frame.columns]
    for label, row in zip(frame.index, frame[present].itertuples(index=False)):
        values = dict(zip(present, row))
        for field, value in values.items():
            if not _is_missing(value) and not isinstance(value, str):
                _reject(f"column {field!r}, row {label}: {value!r} is not text; send a string")
        if not _has_text(values.get(body)):
            _reject(f"column {body!r}, row {label}: missing or empty; every row needs the "
                    "article text")
        if task.pair_fields and not any(_has_text(values.get(f)) for f in task.pair_fields):
            _reject(f"column {' or '.join(map(repr, task.pair_fields))}, row {label}: missing or "
                    "empty; every row needs the claim or target it is scored against")


def _is_missing(value) -> bool:
    """None, NaN or pd.NA: what pandas and JSON put in a cell left empty."""
    return pd.api.types.is_scalar(value) and pd.isna(value)


def _has_text(value) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _reject(message: str):
    raise MlflowException(message, error_code=INVALID_PARAMETER_VALUE)
