"""Mawqif, round 3 (study 06): soft-voting ensembles (mean log-probabilities) of
pair_linear's Mawqif variant, pair_linear's defaults, tfidf_logreg and tfidf_union with
logreg, every subset, with and without class offsets tuned on dev. Run from the
repository root:

    D=../shared/datasets python experiments/06_benchmarks/mawqif_round3/ensembles.py
"""
import itertools
import time

import numpy as np
from sklearn.base import clone
from sklearn.metrics import f1_score

from arnews.models.sklearn_models import tfidf_logreg, tfidf_union
from arnews.models.stance_models import pair_linear
from common import mawqif_splits, tuned_offsets

F, Y = mawqif_splits()
members = {"variant": pair_linear(False, target_cross_weight=2.0, interaction_blocks=[], C=3),
           "default": pair_linear(False),
           "logreg": tfidf_logreg(False),
           "union_lr": tfidf_union(False, classifier="logreg", C=10)}
P = {}
for name, pipe in members.items():
    t = time.time(); m = clone(pipe).fit(F["train"], Y["train"]); classes = m.classes_
    P[name] = (m.predict_proba(F["dev"]), m.predict_proba(F["test"]))
    print(name, "fitted", round(time.time()-t), flush=True)
def score(names):
    dev = np.mean([np.log(np.clip(P[n][0], 1e-9, None)) for n in names], axis=0)
    test = np.mean([np.log(np.clip(P[n][1], 1e-9, None)) for n in names], axis=0)
    off = tuned_offsets(classes, np.exp(dev), Y["dev"])
    f = lambda y, L, o: f1_score(y, classes[(L + o).argmax(1)], average="macro")
    print(f"{'+'.join(names):35s} raw dev {f(Y['dev'], dev, 0):.3f} test {f(Y['test'], test, 0):.3f} | tuned dev {f(Y['dev'], dev, off):.3f} test {f(Y['test'], test, off):.3f}", flush=True)
for k in range(1, 5):
    for names in itertools.combinations(members, k): score(list(names))
