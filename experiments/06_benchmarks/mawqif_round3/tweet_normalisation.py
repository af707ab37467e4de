"""Mawqif, round 3 (study 06): tweet normalisation before pair_linear's Mawqif variant:
letters repeated 3+ times cut to 2 (rep), '#' and '_' to spaces (tag), emoji set apart
(emo), or all three. Prints 5-fold CV on train+dev (no offsets), dev with dev-tuned
offsets, and test. Run from the repository root:

    D=../shared/datasets python experiments/06_benchmarks/mawqif_round3/tweet_normalisation.py none all rep tag emo
"""
import re
import sys
import time

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold

from arnews.models.stance_models import pair_linear
from common import mawqif_splits

REP = re.compile(r"(.)\1{2,}")
EMO = re.compile("([\U0001F000-\U0001FAFF\u2600-\u27BF])")
def tweet(t, rep, tag, emo):
    if rep: t = REP.sub(r"\1\1", t)
    if tag: t = t.replace("#", " ").replace("_", " ")
    if emo: t = EMO.sub(r" \1 ", t)
    return t
variants = {"none": (0,0,0), "rep": (1,0,0), "tag": (0,1,0), "emo": (0,0,1), "all": (1,1,1)}
pipe = pair_linear(False, target_cross_weight=2.0, interaction_blocks=[], C=3)
for name in sys.argv[1:]:
    v = variants[name]; t0 = time.time()
    F, Y = mawqif_splits(lambda text: tweet(text, *v))
    m = clone(pipe).fit(F["train"], Y["train"])
    m.named_steps["clf"].tune_on_dev(m[:-1].transform(F["dev"]), Y["dev"])
    dev = f1_score(Y["dev"], m.predict(F["dev"]), average="macro"); test = f1_score(Y["test"], m.predict(F["test"]), average="macro")
    cv = []
    both = pd.concat([F["train"], F["dev"]], ignore_index=True); yb = np.r_[Y["train"], Y["dev"]]
    for tr, te in StratifiedKFold(5, shuffle=True, random_state=0).split(both, [a+b for a,b in zip(both["first"], yb)]):
        mm = clone(pipe).fit(both.iloc[tr], yb[tr]); cv.append(f1_score(yb[te], mm.predict(both.iloc[te]), average="macro"))
    print(f"{name:5s} cv(no offsets) {np.mean(cv):.3f} dev(tuned) {dev:.3f} test {test:.3f} {time.time()-t0:.0f}s", flush=True)
