"""Evaluate a logged arnews model on a dataset of the same task.

    python evaluate.py model_uri=runs:/<run_id>/topic-compact_bert data=demo
    python evaluate.py model_uri=runs:/<run_id>/stance-tfidf_pair task=stance data=ans data.path=DIR
"""
import hydra
from omegaconf import DictConfig

from arnews.cli import run_entry


@hydra.main(config_path="conf", config_name="evaluate", version_base="1.3")
def main(cfg: DictConfig) -> float:
    from arnews.evaluate import evaluate

    return run_entry(evaluate, cfg)


if __name__ == "__main__":
    main()
