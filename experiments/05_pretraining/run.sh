#!/usr/bin/env bash
# Study 05: where does pre-training help, and by how much? Run from the repository root.
# Datasets under $D (default ../shared/datasets); everything written under $S.
# STEPS picks steps (default all): STEPS="3 4" bash experiments/05_pretraining/run.sh
# All steps use the shipped encoder v2; on 2026-11-30 steps 1-7 took about 2 h on 2 CPU cores,
# steps 8-10 about 1.5 h (two jobs at a time).
set -euo pipefail
D=${D:-../shared/datasets}
S=${S:-/tmp/exp/05_pretraining}
STEPS=${STEPS:-1 2 3 4 5 6 7 8 9 10 11}
mkdir -p "$S"
U="tracking.uri=sqlite:///$S/mlflow.db"
Q="trainer.args.disable_tqdm=true"
step() { [[ " $STEPS " == *" $1 "* ]]; }

# 1. Demo topics, 3 seeds: TF-IDF, the from-scratch compact BERT, the shipped encoder.
if step 1; then
python train.py -m task=topic seed=1,2,3 $U $Q hydra.sweep.dir=$S/topic \
  model=tfidf_logreg,compact_scratch,compact_bert
fi

# 2. Real news: every topic model of step 1 scored on the 244 hand-labelled SaudiNewsNet
#    articles of study 06 (experiment arnews-topic-realnews). Steps 3 and 4 are not scored
#    here: DAPT read those articles during pre-training.
if step 2; then
python experiments/06_real_news/build_split.py --saudinewsnet $D/saudinewsnet --out $S/real_news
python - "$S" > $S/runs.txt <<'PY'
import sys
from mlflow.tracking import MlflowClient
client = MlflowClient(f"sqlite:///{sys.argv[1]}/mlflow.db")
experiment = client.get_experiment_by_name("arnews-topic-demo")
for run in client.search_runs([experiment.experiment_id]):
    tags, encoder = run.data.tags, run.data.params.get("model.pretrained") or "arnews:"
    if "mlflow.parentRunId" in tags and run.info.status == "FINISHED" and encoder.startswith("arnews:"):
        print(run.info.run_id, tags["model"], tags["seed"])
PY
while read -r RUN MODEL SEED; do
  python evaluate.py model_uri=runs:/$RUN/topic-$MODEL data=jsonl data.path=$S/real_news $U \
    tracking.experiment=arnews-topic-realnews tracking.run_name=real-$MODEL-seed$SEED \
    hydra.run.dir=$S/eval/$RUN < /dev/null
done < $S/runs.txt
fi

# 3. Task-adaptive pre-training (TAPT): the shipped encoder, pre-trained further on the
#    demo train texts (the default pretrain.py run, 300 steps), then fine-tuned.
if step 3; then
python pretrain.py corpus=demo pretrain.max_steps=300 $U $Q hydra.run.dir=$S/tapt
python train.py -m task=topic seed=1,2,3 $U $Q hydra.sweep.dir=$S/topic-tapt \
  model=compact_bert model.pretrained=$S/tapt/encoder
fi

# 4. Domain-adaptive pre-training (DAPT): the shipped encoder, pre-trained further on
#    SaudiNewsNet news text (same 300-step budget), then fine-tuned on demo topics.
if step 4; then
python pretrain.py corpus=saudinewsnet corpus.datasets_dir=$D pretrain.max_steps=300 $U $Q hydra.run.dir=$S/dapt
python train.py -m task=topic seed=1,2,3 $U $Q hydra.sweep.dir=$S/topic-dapt \
  model=compact_bert model.pretrained=$S/dapt/encoder
fi

# 5. Demo stance (claim-article pairs, split by claim), 3 seeds.
if step 5; then
python train.py -m task=stance seed=1,2,3 $U $Q hydra.sweep.dir=$S/stance \
  model=tfidf_pair,compact_scratch,compact_bert
fi

# 6. ANS stance (official splits, short claim pairs), 3 seeds. (The from-scratch model
#    on ANS and Mawqif is study 04's: it predicts the majority class.)
if step 6; then
python train.py -m task=stance data=ans data.path=$D/ans seed=1,2,3 $U $Q hydra.sweep.dir=$S/ans-tfidf \
  model=tfidf_pair
python train.py -m task=stance data=ans data.path=$D/ans seed=1,2,3 $U $Q hydra.sweep.dir=$S/ans \
  model=compact_bert model.max_length=64
fi

# 7. Mawqif stance towards a target (tweets), 3 seeds.
if step 7; then
python train.py -m task=stance data=mawqif data.path=$D/mawqif seed=1,2,3 $U $Q hydra.sweep.dir=$S/mawqif-tfidf \
  model=tfidf_pair
python train.py -m task=stance data=mawqif data.path=$D/mawqif seed=1,2,3 $U $Q hydra.sweep.dir=$S/mawqif \
  model=compact_bert model.max_length=96
fi

# 8. The fine-tuning recipe of the default run on demo v2 (568 articles, most longer than
#    256 tokens), chosen on dev macro-F1 averaged over 3 seeds; the test column is read
#    only for the configuration dev picks. Two jobs at a time, one thread each.
if step 8; then
J="hydra/launcher=joblib hydra.launcher.n_jobs=2 trainer.num_threads=1"
python train.py -m task=topic seed=1,2,3 $U $Q $J hydra.sweep.dir=$S/recipe-a model=compact_bert \
  model.training.learning_rate=3e-4,5e-4 long_text=head,head_tail
python train.py -m task=topic seed=1,2,3 $U $Q $J hydra.sweep.dir=$S/recipe-b model=compact_bert \
  long_text=chunks long_text.pooling=mean,max model.training.num_train_epochs=4
python train.py -m task=topic seed=1,2,3 $U $Q $J hydra.sweep.dir=$S/recipe-c model=compact_bert \
  model.class_weights=balanced
# dev rose from lr 3e-4 to 5e-4 with head: one step further
python train.py -m task=topic seed=1,2,3 $U $Q $J hydra.sweep.dir=$S/recipe-d model=compact_bert \
  model.training.learning_rate=7e-4
fi

# 9. A stance recipe for the encoder as a cross-encoder ([CLS] claim [SEP] article [SEP]),
#    chosen on ANS dev: the topic recipe (lr 3e-4, no class weights) left every stance run
#    at the majority class (steps 5 and 6). Lower rates, balanced class weights, 10 epochs,
#    the epoch kept by dev macro-F1; 3 seeds each.
if step 9; then
J="hydra/launcher=joblib hydra.launcher.n_jobs=2 trainer.num_threads=1"
R="model.class_weights=balanced model.training.num_train_epochs=10 model.select_by=macro_f1"
python train.py -m task=stance data=ans data.path=$D/ans seed=1,2,3 $U $Q $J $R \
  hydra.sweep.dir=$S/ans-recipe model=compact_bert model.max_length=64 \
  model.training.learning_rate=5e-5,1e-4
fi

# 10. The ANS-chosen stance recipe (lr 1e-4, balanced, epoch by dev macro-F1) on the demo
#     pairs and on Baly 2018 (train folds 1-2, dev 3, test 4), both with long articles:
#     head_tail keeps each article's start and end. Seed 1 of both, then seeds 2 and 3 of
#     the demo pairs (about 20 min per run on one core), two runs side by side.
if step 10; then
R="task=stance model=compact_bert long_text=head_tail trainer.num_threads=1 model.class_weights=balanced
   model.training.num_train_epochs=8 model.select_by=macro_f1 model.training.learning_rate=1e-4"
python train.py $R $U $Q seed=1 hydra.run.dir=$S/stance-encoder-demo &
python train.py $R $U $Q seed=1 data=baly2018 data.path=$D/baly2018 data.leakage.allow=true \
  hydra.run.dir=$S/stance-encoder-baly &
wait
python train.py $R $U $Q seed=2 hydra.run.dir=$S/stance-encoder-demo-s2 &
python train.py $R $U $Q seed=3 hydra.run.dir=$S/stance-encoder-demo-s3 &
wait
fi

# 11. Seeds 2 and 3 of the Baly cross-encoder run of step 10 (same recipe), side by side.
if step 11; then
R="task=stance model=compact_bert long_text=head_tail trainer.num_threads=1 model.class_weights=balanced
   model.training.num_train_epochs=8 model.select_by=macro_f1 model.training.learning_rate=1e-4"
for SEED in 2 3; do
  python train.py $R $U $Q seed=$SEED data=baly2018 data.path=$D/baly2018 data.leakage.allow=true \
    hydra.run.dir=$S/stance-encoder-baly-s$SEED &
done
wait
fi
