"""One task class for topic and stance: only input fields and label set differ.

A ``Task`` knows which row fields form the model input, which field holds the
label(s), the label space, and whether the problem is multi-label. The config
group ``conf/task`` fills it in; the data decides multi-label vs single-label
(a ``topics`` list vs a ``topic`` string).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np

from arnews.errors import ArnewsError
from arnews.tasks.inputs import Inputs

log = logging.getLogger(__name__)

# The task each label field belongs to: a row carrying another task's label field was
# given to the wrong task=, and the error can say which one to use.
TASK_OF_LABEL_FIELD = {"topics": "topic", "topic": "topic", "stance": "stance"}


@dataclass
class Task:
    """Label space and input layout of one classification task.

    >>> t = Task("topic", text_fields=["title", "text"], label_fields=["topics", "topic"])
    >>> t.setup({"train": [{"id": "1", "text": "x", "topics": ["cybersecurity"]}]})
    >>> t.labels, t.multi_label
    (['cybersecurity'], True)
    """

    name: str
    text_fields: list[str]
    label_fields: list[str]
    pair_fields: list[str] = field(default_factory=list)  # first segment: claim or target
    labels: list[str] | None = None
    multi_label: bool | None = None
    label_field: str | None = None

    # ---- label space ---------------------------------------------------------------
    def setup(self, splits: dict[str, list[dict]]) -> None:
        """Check every row and fix the label field and the label space from the data."""
        first = splits["train"][0] if splits.get("train") else next(iter(splits.values()))[0]
        if self.label_field is None:
            found = [f for f in self.label_fields if f in first]
            if not found:
                raise self._missing(first, self.label_fields, "label every row with one of them")
            self.label_field = found[0]
        if self.multi_label is None:
            self.multi_label = isinstance(first[self.label_field], list)
        for split, rows in splits.items():
            for row in rows:
                self._check_row(row)
        seen = {s: self._labels_in(rows) for s, rows in splits.items()}
        if self.labels is None:
            self.labels = sorted(set().union(*seen.values()))
            train = seen.get("train", set())
            for split in ("dev", "test"):
                extra = seen.get(split, set()) - train
                if extra and "train" in seen:
                    log.warning("%s holds labels that train lacks: %s; the model can never "
                                "predict them", split, sorted(extra))
        else:
            for split, labs in seen.items():
                unknown = labs - set(self.labels)
                if unknown:
                    raise ArnewsError(f"{split} split: labels {sorted(unknown)} are not in "
                                      f"task.labels={self.labels}; fix the data or task.labels")
        if not self.multi_label and len(self.labels) < 2:
            raise ArnewsError(f"task={self.name}: the data holds one label only "
                              f"({self.labels}); a classifier needs at least two")

    def _missing(self, row: dict, fields: list[str], advice: str) -> ArnewsError:
        """A row lacks a field this task needs. When it carries another task's label
        field instead, the file was given to the wrong ``task=``: say which one fits."""
        where = row.get("_where", f"row id={row.get('id')}")
        names = " or ".join(repr(f) for f in fields)
        other = [f for f in row if TASK_OF_LABEL_FIELD.get(f, self.name) != self.name]
        if other:
            fits = TASK_OF_LABEL_FIELD[other[0]]
            return ArnewsError(f"{where}: no {names} field, which task={self.name} needs; the row "
                               f"has {other[0]!r}, so it is {fits} data: run with task={fits}")
        return ArnewsError(f"{where}: no {names} field, which task={self.name} needs; {advice}")

    def _labels_in(self, rows) -> set[str]:
        if self.multi_label:
            return {lab for r in rows for lab in r[self.label_field]}
        return {r[self.label_field] for r in rows}

    def _check_row(self, row: dict) -> None:
        where = row.get("_where", f"row id={row.get('id')}")
        for f in self.text_fields[-1:]:  # the article body; a title is optional
            if not isinstance(row.get(f), str) or not row[f].strip():
                raise ArnewsError(f"{where}: field {f!r} is missing or empty; every row "
                                  f"needs a non-empty {f!r} string")
        if self.pair_fields and not any(isinstance(row.get(f), str) and row[f].strip()
                                        for f in self.pair_fields):
            raise self._missing(row, self.pair_fields, "give every pair a non-empty claim or target")
        if self.label_field not in row:
            raise self._missing(row, [self.label_field], "label every row the same way")
        value = row[self.label_field]
        if self.multi_label:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ArnewsError(f"{where}: field {self.label_field!r} must be a list of "
                                  f"label strings (may be empty), got {value!r}")
        elif not isinstance(value, str) or not value:
            raise ArnewsError(f"{where}: field {self.label_field!r} must be a non-empty "
                              f"label string, got {value!r}")
        if self.labels is not None:
            bad = (set(value) if self.multi_label else {value}) - set(self.labels)
            if bad:
                raise ArnewsError(f"{where}: field {self.label_field!r}: unknown label(s) "
                                  f"{sorted(bad)}; allowed: {self.labels} (fix the row or task.labels)")

    # ---- inputs and targets ----------------------------------------------------------
    def inputs(self, rows: list[dict]) -> Inputs:
        """Build model inputs; title and text are joined, the claim/target goes first."""
        texts = ["\n".join(str(r[f]) for f in self.text_fields if r.get(f)) for r in rows]
        if not self.pair_fields:
            return Inputs(texts)
        firsts = [next(str(r[f]) for f in self.pair_fields if r.get(f)) for r in rows]
        return Inputs(firsts, texts)

    def targets(self, rows: list[dict]) -> np.ndarray:
        """Indicator matrix (multi-label) or class indices (single-label)."""
        index = {lab: i for i, lab in enumerate(self.labels)}
        if self.multi_label:
            y = np.zeros((len(rows), len(self.labels)), dtype=int)
            for i, r in enumerate(rows):
                for lab in r[self.label_field]:
                    y[i, index[lab]] = 1
            return y
        return np.array([index[r[self.label_field]] for r in rows], dtype=int)

    def label_names(self, decided: np.ndarray) -> list:
        """Decisions → label lists (multi-label) or label strings."""
        if self.multi_label:
            return [[self.labels[j] for j in np.flatnonzero(row)] for row in decided]
        return [self.labels[i] for i in decided]

    # ---- persistence, for the logged model -------------------------------------------
    def to_meta(self) -> dict:
        return {"name": self.name, "text_fields": self.text_fields,
                "label_fields": self.label_fields, "pair_fields": self.pair_fields,
                "labels": self.labels, "multi_label": self.multi_label,
                "label_field": self.label_field}

    @classmethod
    def from_meta(cls, meta: dict) -> "Task":
        return cls(**meta)
