"""Mawqif, round 3 (study 06): pair_linear's Mawqif variant (target crossing weight 2, no
interactions, C=3) with its class offsets tuned three ways: on dev (what the package
does), on 5-fold out-of-fold scores of train, and on both. Run from the repository root:

    D=../shared/datasets python experiments/06_benchmarks/mawqif_round3/offsets.py
"""
import time

import numpy as np
from sklearn.base import clone
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold

from arnews.models.stance_models import pair_linear
from common import mawqif_splits, tuned_offsets

F, Y = mawqif_splits()
t = time.time()
pipe = pair_linear(False, target_cross_weight=2.0, interaction_blocks=[], C=3)
m = clone(pipe).fit(F["train"], Y["train"])
classes = m.classes_
Pdev, Ptest = m.predict_proba(F["dev"]), m.predict_proba(F["test"])
f = lambda y, P, off=0: f1_score(y, classes[(np.log(np.clip(P,1e-12,None)) + off).argmax(1)], average="macro")
print("no offsets: dev %.3f test %.3f" % (f(Y["dev"], Pdev), f(Y["test"], Ptest)), time.time()-t, flush=True)
d = tuned_offsets(classes, Pdev, Y["dev"]); print("dev-tuned", d, "dev %.3f test %.3f" % (f(Y["dev"], Pdev, d), f(Y["test"], Ptest, d)), flush=True)
oof = np.zeros((len(Y["train"]), len(classes)))
strat = [a + b for a, b in zip(F["train"]["first"], Y["train"])]
for tr, te in StratifiedKFold(5, shuffle=True, random_state=0).split(F["train"], strat):
    mm = clone(pipe).fit(F["train"].iloc[tr], Y["train"][tr])
    oof[te] = mm.predict_proba(F["train"].iloc[te])
print("oof macro-F1 %.3f" % f(Y["train"], oof), time.time()-t, flush=True)
o = tuned_offsets(classes, oof, Y["train"]); print("oof-tuned", o, "dev %.3f test %.3f" % (f(Y["dev"], Pdev, o), f(Y["test"], Ptest, o)))
both = tuned_offsets(classes, np.r_[oof, Pdev], np.r_[Y["train"], Y["dev"]]); print("oof+dev-tuned", both, "dev %.3f test %.3f" % (f(Y["dev"], Pdev, both), f(Y["test"], Ptest, both)))
