"""ANT scratch check behind study 06's ANT discussion: the 9-class split of data=ant, scored
on all nine sections (all9) and with localNews and diverse dropped after the split
(topics7), for a few linear models on word 1-2 + char_wb 2-5 TF-IDF (+ a title block).
Prints dev and test macro-F1 (test never used to choose). Run from the repository root:

    D=../shared/datasets python experiments/06_benchmarks/ant_scratch.py all9
    D=../shared/datasets python experiments/06_benchmarks/ant_scratch.py topics7
"""
import os
import time, sys
import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC
from sklearn.linear_model import LogisticRegression, RidgeClassifier
from sklearn.naive_bayes import ComplementNB
from sklearn.metrics import f1_score
from arnews.data.normalize import ArabicNormalizer
from arnews.data.readers.ant import read_ant
norm = ArabicNormalizer()
raw = read_ant(os.path.join(os.environ.get("D", "../shared/datasets"), "ant_v1"))
d = {k: dict(text=[norm(r["title"] + "\n" + r["text"]) for r in v], title=[norm(r["title"]) for r in v],
             y=[r["topic"] for r in v]) for k, v in raw.items()}
subset = sys.argv[1]
drop = {"all9": set(), "topics7": {"localNews", "diverse"}}[subset]
D = {}
for k, v in d.items():
    idx = [i for i, y in enumerate(v["y"]) if y not in drop]
    D[k] = {f: [v[f][i] for i in idx] for f in v}
t = time.time()
W = TfidfVectorizer(ngram_range=(1,2), min_df=2, sublinear_tf=True)
C = TfidfVectorizer(analyzer="char_wb", ngram_range=(2,5), min_df=2, sublinear_tf=True)
T = TfidfVectorizer(ngram_range=(1,1), min_df=1, sublinear_tf=True)
X = {}
for k in ("train", "dev", "test"):
    f = (lambda vec, data: vec.fit_transform(data)) if k == "train" else (lambda vec, data: vec.transform(data))
    X[k] = dict(w=f(W, D[k]["text"]), c=f(C, D[k]["text"]), t=f(T, D[k]["title"]))
print("features", time.time()-t, X["train"]["w"].shape, X["train"]["c"].shape, flush=True)
y = {k: np.array(D[k]["y"]) for k in D}
def run(name, make, blocks, weights=None):
    t = time.time()
    weights = weights or [1]*len(blocks)
    M = {k: sp.hstack([X[k][b]*w for b, w in zip(blocks, weights)]).tocsr() for k in X}
    m = make().fit(M["train"], y["train"])
    r = [f1_score(y[k], m.predict(M[k]), average="macro") for k in ("dev", "test")]
    print(f"{subset} {name:40s} dev {r[0]:.3f} test {r[1]:.3f}  {time.time()-t:.0f}s", flush=True)
    return m
run("svm C0.1 w+c", lambda: LinearSVC(C=0.1, class_weight="balanced"), "wc")
run("svm C0.3 w+c", lambda: LinearSVC(C=0.3, class_weight="balanced"), "wc")
run("svm C0.1 w+c+title", lambda: LinearSVC(C=0.1, class_weight="balanced"), "wct")
run("svm C0.1 w", lambda: LinearSVC(C=0.3, class_weight="balanced"), "w")
run("cnb w a0.1", lambda: ComplementNB(alpha=0.1), "w")
run("cnb w a0.3", lambda: ComplementNB(alpha=0.3), "w")
run("ridge a1 w+c", lambda: RidgeClassifier(alpha=1.0, class_weight="balanced"), "wc")
run("logreg C10 w+c", lambda: LogisticRegression(C=10, max_iter=2000, class_weight="balanced"), "wc")
