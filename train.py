"""Train one model and log it to MLflow.

    python train.py                                  # compact BERT on the demo corpus
    python train.py model=tfidf_logreg               # a baseline, same metrics
    python train.py task=stance data=jsonl data.path=DIR
    python train.py -m model=tfidf_logreg,compact_bert seed=1,2,3   # a sweep
    python train.py --help                           # config groups and options
"""
import hydra
from omegaconf import DictConfig

from arnews.cli import run_entry


@hydra.main(config_path="conf", config_name="train", version_base="1.3")
def main(cfg: DictConfig) -> float:
    from arnews.train import train

    return run_entry(train, cfg)


if __name__ == "__main__":
    main()
