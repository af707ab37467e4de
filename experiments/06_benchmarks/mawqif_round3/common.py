"""What the round-3 Mawqif scripts share: the package's split of Mawqif as pair frames
(``first`` = target, ``second`` = the normalised tweet), and class offsets tuned on given
probabilities with the package's own search (``PriorShift.tune_on_dev``)."""
import os

import numpy as np
import pandas as pd

from arnews.data.normalize import ArabicNormalizer
from arnews.data.readers.mawqif import read_mawqif
from arnews.models.stance_models import PriorShift


def mawqif_splits(tweet=lambda text: text):
    """``(frames, labels)`` per split; ``tweet`` transforms each normalised tweet."""
    norm = ArabicNormalizer()
    splits = read_mawqif(os.path.join(os.environ.get("D", "../shared/datasets"), "mawqif"))
    frames = {k: pd.DataFrame({"first": [r["target"] for r in v], "second": [tweet(norm(r["text"])) for r in v]})
              for k, v in splits.items()}
    labels = {k: np.array([r["stance"] for r in v]) for k, v in splits.items()}
    return frames, labels


class _Given:
    """An 'estimator' whose probabilities are its input, so PriorShift tunes on them."""

    def __init__(self, classes):
        self.classes_ = classes

    def predict_proba(self, X):
        return X


def tuned_offsets(classes, probabilities, y) -> np.ndarray:
    """Per-class log offsets maximising macro-F1 of ``probabilities`` against ``y``."""
    shift = PriorShift(None)
    shift.estimator_, shift.classes_, shift.offsets_ = _Given(classes), classes, np.zeros(len(classes))
    return shift.tune_on_dev(probabilities, y).offsets_
