#!/usr/bin/env bash
# Study 05: where does pre-training help, and by how much? Run from the repository root.
# Datasets under $D (default ../shared/datasets); everything written under $S.
set -euo pipefail
D=${D:-../shared/datasets}
S=${S:-/tmp/exp/05_pretraining}
mkdir -p "$S"
U="tracking.uri=sqlite:///$S/mlflow.db"
Q="trainer.args.disable_tqdm=true"

# 1. Task-adaptive pre-training (TAPT): the shipped encoder, further pre-trained on the
#    demo train texts (the default pretrain.py run), and domain-adaptive (DAPT) on
#    SaudiNewsNet. Their encoders land in $S/tapt/encoder and $S/dapt/encoder.
python pretrain.py corpus=demo pretrain.max_steps=300 $U $Q hydra.run.dir=$S/tapt
python pretrain.py corpus=saudinewsnet corpus.datasets_dir=$D pretrain.max_steps=300 $U $Q hydra.run.dir=$S/dapt

# 2. Demo topics, 3 seeds: scratch, shipped, shipped+TAPT, shipped+DAPT, TF-IDF.
python train.py -m task=topic seed=1,2,3 $U $Q hydra.sweep.dir=$S/topic \
  model=tfidf_logreg,compact_scratch,compact_bert
python train.py -m task=topic seed=1,2,3 $U $Q hydra.sweep.dir=$S/topic-adapted \
  model=compact_bert model.pretrained=$S/tapt/encoder,$S/dapt/encoder

# 3. Demo stance, ANS and Mawqif, 3 seeds: the shipped encoder against the pair baseline.
python train.py -m task=stance seed=1,2,3 $U $Q hydra.sweep.dir=$S/stance model=tfidf_pair,compact_bert
python train.py -m task=stance data=ans data.path=$D/ans seed=1,2,3 $U $Q hydra.sweep.dir=$S/ans \
  model=tfidf_pair,compact_bert model.max_length=64
python train.py -m task=stance data=mawqif data.path=$D/mawqif seed=1,2,3 $U $Q hydra.sweep.dir=$S/mawqif \
  model=tfidf_pair,compact_bert model.max_length=96
