#!/usr/bin/env bash
# Study 06: stronger classical models (pair_linear, pair_hgb, tfidf_union) beside the old
# baselines on ANS, Mawqif, Baly 2018 and ANT v1.1. Run from the repository root.
# One seed (1): every model here is deterministic given its data (liblinear/lbfgs, the
# calibration and out-of-fold splits have fixed seeds, HGB has random_state=0).
set -euo pipefail
S=${S:-/tmp/exp/06}; mkdir -p "$S"; U=tracking.uri=sqlite:///$S/mlflow.db
D=${D:-../shared/datasets}
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1   # shared 2-core machine
T() { /usr/bin/time -f "%e s  $*" python train.py "$@"; }

# ANS: official train / dev / test CSVs
T -m task=stance data=ans data.path=$D/ans model=majority,tfidf_logreg,tfidf_svm,tfidf_pair,pair_linear,pair_hgb seed=1 $U hydra.sweep.dir=$S/multirun-ans
# Mawqif: the reader's stratified 70/10/20 split of the public train file (seed 13)
T -m task=stance data=mawqif data.path=$D/mawqif model=majority,tfidf_logreg,tfidf_svm,tfidf_pair,pair_linear,pair_hgb seed=1 $U hydra.sweep.dir=$S/multirun-mawqif
# Baly 2018: the package protocol, train folds 1-2, dev fold 3, test fold 4 (the shared
# copy holds folds 1-4 only; published folds share articles, so leakage is allowed)
B="task=stance data=baly2018 data.path=$D/baly2018 data.leakage.allow=true seed=1 $U"
T -m $B model=pair_linear,tfidf_pair hydra.sweep.dir=$S/multirun-baly-new
# ANT v1.1: the reader's stratified split, duplicates kept together
T -m task=topic data=ant data.path=$D/ant_v1 model=tfidf_union,tfidf_logreg,tfidf_svm,majority seed=1 $U hydra.sweep.dir=$S/multirun-ant
T -m $B model=majority,tfidf_logreg,tfidf_svm,pair_hgb hydra.sweep.dir=$S/multirun-baly-old

# one leaderboard per dataset
for E in stance-ans stance-mawqif stance-baly2018 topic-ant; do
  python compare.py --tracking-uri sqlite:///$S/mlflow.db --experiment arnews-$E --out $S/compare-$E
done

# Mawqif: pair_linear's dev-best variant from the later exploration (README), as overrides
python train.py task=stance data=mawqif data.path=$D/mawqif model=pair_linear model.pipeline.target_cross_weight=2.0 'model.pipeline.interaction_blocks=[]' model.pipeline.C=3 seed=1 $U hydra.run.dir=$S/run-mawqif-cross
python compare.py --tracking-uri sqlite:///$S/mlflow.db --experiment arnews-stance-mawqif --out $S/compare-stance-mawqif

# Demo corpus v2 (shipped; splits by event cluster, stance split by claim), same models
S6=${S6:-$S/demo}; mkdir -p "$S6"; U6=tracking.uri=sqlite:///$S6/mlflow.db
T -m task=stance model=majority,tfidf_pair,pair_linear,pair_hgb seed=1 $U6 hydra.sweep.dir=$S6/multirun-stance
T -m task=topic model=majority,tfidf_logreg,tfidf_svm,tfidf_union seed=1 $U6 hydra.sweep.dir=$S6/multirun-topic
for E in stance-demo topic-demo; do
  python compare.py --tracking-uri sqlite:///$S6/mlflow.db --experiment arnews-$E --out $S6/compare-$E
done

# ANT v1.1 without its two catch-all sections (localNews = national news, diverse =
# miscellany): data=ant_topics, the seven topical sections; same topic models
ST=${ST:-$S/ant-topics}; mkdir -p "$ST"; UT=tracking.uri=sqlite:///$ST/mlflow.db
T -m task=topic data=ant_topics data.path=$D/ant_v1 model=tfidf_union,tfidf_logreg,tfidf_svm,majority seed=1 $UT hydra.sweep.dir=$ST/multirun hydra/launcher=joblib hydra.launcher.n_jobs=2
python compare.py --tracking-uri sqlite:///$ST/mlflow.db --experiment arnews-topic-ant_topics --out $ST/compare-topic-ant_topics

# Baly 2018, every fold in turn as test (the shared copy's folds 1-4; train on the next
# two folds, dev the one after: [1,2]/3/4, [2,3]/4/1, [3,4]/1/2, [4,1]/2/3)
SR=${SR:-$S/baly-rotation}; mkdir -p "$SR"; UR=tracking.uri=sqlite:///$SR/mlflow.db
rotation() {  # $1 $2 train folds, $3 dev fold, $4 test fold
  T -m task=stance data=baly2018 data.path=$D/baly2018 data.leakage.allow=true seed=1 $UR \
    "data.reader.train_folds=[$1,$2]" "data.reader.dev_folds=[$3]" "data.reader.test_folds=[$4]" \
    model=majority,tfidf_pair,pair_linear hydra.sweep.dir=$SR/multirun-test$4
}
rotation 1 2 3 4 & rotation 2 3 4 1 & wait
rotation 3 4 1 2 & rotation 4 1 2 3 & wait
python compare.py --tracking-uri sqlite:///$SR/mlflow.db --experiment arnews-stance-baly2018 --out $SR/compare-baly-rotation
