"""Mawqif, round 3 (study 06): pair_linear's Mawqif variant (target crossing weight 2, no
interactions, C=3) with its class offsets tuned three ways: on dev (what the package
does), on 5-fold out-of-fold scores of train, and on both. Run from the repository root:

    D=../shared/datasets python experiments/06_benchmarks/mawqif_round3/offsets.py
"""
import os
import time, numpy as np, pandas as pd
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold
from sklearn.base import clone
from arnews.data.readers.mawqif import read_mawqif
from arnews.data.normalize import ArabicNormalizer
from arnews.models.stance_models import pair_linear, PriorShift
norm = ArabicNormalizer()
s = read_mawqif(os.path.join(os.environ.get("D", "../shared/datasets"), "mawqif"))
F = {k: pd.DataFrame({"first": [r["target"] for r in v], "second": [norm(r["text"]) for r in v]}) for k, v in s.items()}
Y = {k: np.array([r["stance"] for r in v]) for k, v in s.items()}
class Ident:
    def __init__(self, classes): self.classes_ = classes
    def predict_proba(self, X): return X
def tuned(classes, P, y):
    ps = PriorShift(None); ps.estimator_ = Ident(classes); ps.classes_ = classes; ps.offsets_ = np.zeros(len(classes))
    return ps.tune_on_dev(P, y)
t = time.time()
pipe = pair_linear(False, target_cross_weight=2.0, interaction_blocks=[], C=3)
m = clone(pipe).fit(F["train"], Y["train"])
classes = m.classes_
Pdev, Ptest = m.predict_proba(F["dev"]), m.predict_proba(F["test"])
f = lambda y, P, off=0: f1_score(y, classes[(np.log(np.clip(P,1e-12,None)) + off).argmax(1)], average="macro")
print("no offsets: dev %.3f test %.3f" % (f(Y["dev"], Pdev), f(Y["test"], Ptest)), time.time()-t, flush=True)
d = tuned(classes, Pdev, Y["dev"]); print("dev-tuned", d.offsets_, "dev %.3f test %.3f" % (f(Y["dev"], Pdev, d.offsets_), f(Y["test"], Ptest, d.offsets_)), flush=True)
oof = np.zeros((len(Y["train"]), len(classes)))
strat = [a + b for a, b in zip(F["train"]["first"], Y["train"])]
for tr, te in StratifiedKFold(5, shuffle=True, random_state=0).split(F["train"], strat):
    mm = clone(pipe).fit(F["train"].iloc[tr], Y["train"][tr])
    oof[te] = mm.predict_proba(F["train"].iloc[te])
print("oof macro-F1 %.3f" % f(Y["train"], oof), time.time()-t, flush=True)
o = tuned(classes, oof, Y["train"]); print("oof-tuned", o.offsets_, "dev %.3f test %.3f" % (f(Y["dev"], Pdev, o.offsets_), f(Y["test"], Ptest, o.offsets_)))
both = tuned(classes, np.r_[oof, Pdev], np.r_[Y["train"], Y["dev"]]); print("oof+dev-tuned", both.offsets_, "dev %.3f test %.3f" % (f(Y["dev"], Pdev, both.offsets_), f(Y["test"], Ptest, both.offsets_)))
