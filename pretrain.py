"""Pre-train a BERT-style encoder with masked-language modelling and log it to MLflow.

    python pretrain.py                                   # adapt the shipped encoder to the demo train texts
    python pretrain.py model.pretrained=null corpus=shipped corpus.datasets_dir=DIR   # from scratch
    python pretrain.py model=arabert_v02 corpus=saudinewsnet corpus.datasets_dir=DIR  # domain-adaptive
    python pretrain.py pretrain.resume=outputs/pretrain-.../<time>                    # resume
    python pretrain.py --help
"""
import hydra
from omegaconf import DictConfig

from arnews.cli import run_entry


@hydra.main(config_path="conf", config_name="pretrain", version_base="1.3")
def main(cfg: DictConfig) -> float:
    from arnews.pretrain import pretrain

    return run_entry(pretrain, cfg)


if __name__ == "__main__":
    main()
