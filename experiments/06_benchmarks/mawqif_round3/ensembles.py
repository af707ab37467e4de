"""Mawqif, round 3 (study 06): soft-voting ensembles (mean log-probabilities) of
pair_linear's Mawqif variant, pair_linear's defaults, tfidf_logreg and tfidf_union with
logreg, every subset, with and without class offsets tuned on dev. Run from the
repository root:

    D=../shared/datasets python experiments/06_benchmarks/mawqif_round3/ensembles.py
"""
import os, time, numpy as np, pandas as pd
from sklearn.metrics import f1_score
from sklearn.base import clone
from arnews.data.readers.mawqif import read_mawqif
from arnews.data.normalize import ArabicNormalizer
from arnews.models.stance_models import pair_linear, PriorShift
from arnews.models.sklearn_models import tfidf_logreg, tfidf_union
norm = ArabicNormalizer()
s = read_mawqif(os.path.join(os.environ.get("D", "../shared/datasets"), "mawqif"))
F = {k: pd.DataFrame({"first": [r["target"] for r in v], "second": [norm(r["text"]) for r in v]}) for k, v in s.items()}
Y = {k: np.array([r["stance"] for r in v]) for k, v in s.items()}
class Ident:
    def __init__(self, classes): self.classes_ = classes
    def predict_proba(self, X): return X
def tuned(classes, P, y):
    ps = PriorShift(None); ps.estimator_ = Ident(classes); ps.classes_ = classes; ps.offsets_ = np.zeros(len(classes))
    return ps.tune_on_dev(P, y).offsets_
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
    off = tuned(classes, np.exp(dev), Y["dev"])
    f = lambda y, L, o: f1_score(y, classes[(L + o).argmax(1)], average="macro")
    print(f"{'+'.join(names):35s} raw dev {f(Y['dev'], dev, 0):.3f} test {f(Y['test'], test, 0):.3f} | tuned dev {f(Y['dev'], dev, off):.3f} test {f(Y['test'], test, off):.3f}", flush=True)
import itertools
for k in range(1, 5):
    for names in itertools.combinations(members, k): score(list(names))
