"""What a model sees: one text per example, or a (first, second) pair."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass
class Inputs:
    """Model inputs for ``n`` examples.

    ``first`` is the text for single-text tasks, or the claim/target for pair tasks;
    ``second`` is the article for pair tasks (the only side that may be truncated).

    >>> len(Inputs(["claim"], ["article"]))
    1
    """

    first: list[str]
    second: list[str] | None = None

    def __len__(self) -> int:
        return len(self.first)

    def to_frame(self) -> pd.DataFrame:
        """The column layout the scikit-learn pipelines consume."""
        data = {"first": self.first}
        if self.second is not None:
            data["second"] = self.second
        return pd.DataFrame(data)

    def joined(self, sep: str = "\n") -> list[str]:
        """One text per example, for models that do not read pairs."""
        if self.second is None:
            return list(self.first)
        return [f"{a}{sep}{b}" for a, b in zip(self.first, self.second)]
