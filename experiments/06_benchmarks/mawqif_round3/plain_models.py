"""Mawqif, round 3 (study 06): plain TF-IDF linear models on the tweet, selected by 5-fold
cross-validation on train+dev (2,802 tweets) rather than the 354-tweet dev split alone.

Each config: word 1-2 + char n-gram TF-IDF of the normalised tweet, an optional copy of
the features per target (``cross``, weight), one-hot target, then LinearSVC / logistic
regression / ridge, balanced. Prints CV mean ± std, then dev and test of a model fitted
on train (test printed, never used to choose). Run from the repository root:

    D=../shared/datasets python experiments/06_benchmarks/mawqif_round3/plain_models.py 0 2 &
    D=../shared/datasets python experiments/06_benchmarks/mawqif_round3/plain_models.py 1 2

(the two halves of the grid side by side; the README reports the 17 configs that ran
before the sweep was stopped: all char_wb ones and two char ones)
"""
import os
import time, sys
import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC
from sklearn.linear_model import LogisticRegression, RidgeClassifier
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold
from arnews.data.readers.mawqif import read_mawqif
from arnews.data.normalize import ArabicNormalizer
norm = ArabicNormalizer()
s = read_mawqif(os.path.join(os.environ.get("D", "../shared/datasets"), "mawqif"))
D = {k: dict(text=[norm(r["text"]) for r in v], target=[r["target"] for r in v], y=np.array([r["stance"] for r in v])) for k, v in s.items()}
targets = sorted(set(D["train"]["target"]))
def feats(cfg, fit_rows, rows_list):
    vecs = []
    if cfg.get("w"): vecs.append(TfidfVectorizer(ngram_range=cfg["w"], min_df=cfg.get("min_df",1), sublinear_tf=True))
    if cfg.get("c"): vecs.append(TfidfVectorizer(analyzer=cfg.get("an","char_wb"), ngram_range=cfg["c"], min_df=cfg.get("min_df",1), sublinear_tf=True))
    for v in vecs: v.fit(fit_rows["text"])
    out = []
    for rows in rows_list:
        X = sp.hstack([v.transform(rows["text"]) for v in vecs]).tocsr()
        blocks = [X * cfg.get("shared", 1.0)]
        if cfg.get("cross"):
            for t in targets:
                m = sp.diags((np.array(rows["target"]) == t).astype(float))
                blocks.append(m @ X * cfg["cross"])
        T = sp.csr_matrix(np.array([[r == t for t in targets] for r in rows["target"]], dtype=float))
        blocks.append(T)
        out.append(sp.hstack(blocks).tocsr())
    return out
def model(cfg):
    if cfg["clf"] == "svm": return LinearSVC(C=cfg["C"], class_weight="balanced")
    if cfg["clf"] == "lr": return LogisticRegression(C=cfg["C"], max_iter=3000, class_weight="balanced")
    if cfg["clf"] == "ridge": return RidgeClassifier(alpha=cfg["C"], class_weight="balanced")
def sub(rows, idx): return {k: [rows[k][i] for i in idx] if k != "y" else rows[k][idx] for k in rows}
both = {k: (D["train"][k] + D["dev"][k]) if k != "y" else np.concatenate([D["train"]["y"], D["dev"]["y"]]) for k in D["train"]}
def evaluate(cfg):
    t = time.time()
    cv = []
    strat = [f"{a}|{b}" for a, b in zip(both["target"], both["y"])]
    for tr, te in StratifiedKFold(5, shuffle=True, random_state=0).split(both["text"], strat):
        a, b = sub(both, tr), sub(both, te)
        Xa, Xb = feats(cfg, a, [a, b])
        cv.append(f1_score(b["y"], model(cfg).fit(Xa, a["y"]).predict(Xb), average="macro"))
    Xtr, Xdev, Xte = feats(cfg, D["train"], [D["train"], D["dev"], D["test"]])
    m = model(cfg).fit(Xtr, D["train"]["y"])
    dev = f1_score(D["dev"]["y"], m.predict(Xdev), average="macro")
    test = f1_score(D["test"]["y"], m.predict(Xte), average="macro")
    print(f"cv {np.mean(cv):.3f}±{np.std(cv):.3f} dev {dev:.3f} test {test:.3f} {time.time()-t:.0f}s {cfg}", flush=True)
base = dict(w=(1,2), c=(2,5), min_df=1)
grid = []
for an, c in [("char_wb",(2,5)), ("char",(1,5)), ("char",(2,6))]:
    for cross in [0, 1.0, 2.0]:
        for clf, C in [("svm",0.1),("svm",0.3),("lr",3),("lr",10),("ridge",1.0)]:
            grid.append(dict(w=(1,2), c=c, an=an, cross=cross, clf=clf, C=C))
part = int(sys.argv[1]); n = int(sys.argv[2])
for i, cfg in enumerate(grid):
    if i % n == part: evaluate(cfg)
