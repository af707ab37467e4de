#!/usr/bin/env bash
# Study 05: where does pre-training help, and by how much? Run from the repository root.
# Datasets under $D (default ../shared/datasets); everything written under $S.
# Steps 1 and 2 were re-run on 2026-11-30 with encoder v2 (about 20 min on 2 idle cores);
# steps 3-4 are the earlier run with encoder v1; run.sh full adds what was never run.
set -euo pipefail
D=${D:-../shared/datasets}
S=${S:-/tmp/exp/05_pretraining}
mkdir -p "$S"
U="tracking.uri=sqlite:///$S/mlflow.db"
Q="trainer.args.disable_tqdm=true"

# 1. Demo topics, 3 seeds: TF-IDF, the from-scratch compact BERT, the shipped encoder.
python train.py -m task=topic seed=1,2,3 $U $Q hydra.sweep.dir=$S/topic \
  model=tfidf_logreg,compact_scratch,compact_bert

# 2. Real news: every topic model of step 1 scored on the 244 hand-labelled SaudiNewsNet
#    articles of study 06 (experiment arnews-topic-realnews).
python experiments/06_real_news/build_split.py --saudinewsnet $D/saudinewsnet --out $S/real_news
python - "$S" > $S/runs.txt <<'PY'
import sys
from mlflow.tracking import MlflowClient
client = MlflowClient(f"sqlite:///{sys.argv[1]}/mlflow.db")
experiment = client.get_experiment_by_name("arnews-topic-demo")
for run in client.search_runs([experiment.experiment_id]):
    if "mlflow.parentRunId" in run.data.tags and run.info.status == "FINISHED":
        print(run.info.run_id, run.data.tags["model"], run.data.tags["seed"])
PY
while read -r RUN MODEL SEED; do
  python evaluate.py model_uri=runs:/$RUN/topic-$MODEL data=jsonl data.path=$S/real_news $U \
    tracking.experiment=arnews-topic-realnews tracking.run_name=real-$MODEL-seed$SEED \
    hydra.run.dir=$S/eval/$RUN < /dev/null
done < $S/runs.txt

# 3. Task-adaptive pre-training (TAPT): the shipped encoder, pre-trained further on the
#    demo train texts (the default pretrain.py run, 300 steps), then fine-tuned.
python pretrain.py corpus=demo pretrain.max_steps=300 $U $Q hydra.run.dir=$S/tapt
python train.py -m task=topic seed=1,2,3 $U $Q hydra.sweep.dir=$S/topic-tapt \
  model=compact_bert model.pretrained=$S/tapt/encoder

# 4. ANS stance (official splits), one seed: the pair baseline against the shipped encoder.
python train.py task=stance data=ans data.path=$D/ans seed=1 $U $Q hydra.run.dir=$S/ans-tfidf model=tfidf_pair
python train.py task=stance data=ans data.path=$D/ans seed=1 $U $Q hydra.run.dir=$S/ans-bert \
  model=compact_bert model.max_length=64

if [ "${1:-}" = full ]; then
  # Not run yet: domain-adaptive pre-training on SaudiNewsNet, demo stance and Mawqif.
  python pretrain.py corpus=saudinewsnet corpus.datasets_dir=$D pretrain.max_steps=300 $U $Q hydra.run.dir=$S/dapt
  python train.py -m task=topic seed=1,2,3 $U $Q hydra.sweep.dir=$S/topic-dapt \
    model=compact_bert model.pretrained=$S/dapt/encoder
  python train.py -m task=stance seed=1,2,3 $U $Q hydra.sweep.dir=$S/stance model=tfidf_pair,compact_bert
  python train.py -m task=stance data=mawqif data.path=$D/mawqif seed=1,2,3 $U $Q hydra.sweep.dir=$S/mawqif-tfidf \
    model=tfidf_pair
  python train.py -m task=stance data=mawqif data.path=$D/mawqif seed=1,2,3 $U $Q hydra.sweep.dir=$S/mawqif-bert \
    model=compact_bert model.max_length=96
fi
