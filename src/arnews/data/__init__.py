"""Loading data: readers, dev carving, normalisation, leakage checks."""
from __future__ import annotations

import logging

from hydra.utils import instantiate
from omegaconf import OmegaConf

from arnews.data.normalize import ArabicNormalizer
from arnews.data.splits import carve_dev
from arnews.errors import ArnewsError

log = logging.getLogger(__name__)

TEXT_FIELDS = ("title", "text", "claim", "target")


def build_normalizer(cfg) -> ArabicNormalizer | None:
    """The configured normaliser, or None when ``normalize.enabled`` is false."""
    if cfg is None or not cfg.get("enabled", True):
        return None
    opts = {k: v for k, v in OmegaConf.to_container(cfg, resolve=True).items() if k != "enabled"}
    return ArabicNormalizer(**opts)


def load_splits(data_cfg, splits=("train", "dev", "test"), seed: int = 0,
                normalizer: ArabicNormalizer | None = None) -> dict[str, list[dict]]:
    """Read the configured dataset and return the requested splits.

    A missing dev split is carved from train by group (claim), never from test.
    """
    read = tuple(dict.fromkeys(("train",) + tuple(splits))) if "dev" in splits else tuple(splits)
    out = instantiate(data_cfg.reader, splits=read)
    for split, rows in out.items():
        check_unique_ids(split, rows)
    if "dev" in splits and "dev" not in out:
        out["train"], out["dev"] = carve_dev(out["train"], data_cfg.get("dev_fraction", 0.1), seed)
    out = {s: out[s] for s in splits}
    if normalizer is not None:
        for rows in out.values():
            for row in rows:
                for f in TEXT_FIELDS:
                    if isinstance(row.get(f), str):
                        row[f] = normalizer(row[f])
    for split, rows in out.items():
        log.info("%s: %d rows", split, len(rows))
    return out


def check_unique_ids(split: str, rows: list[dict]) -> None:
    """Stop on an id used twice in one split.

    Rows are told apart by id in the logged predictions, and compare.py cannot line up
    the seeds' predictions for its bootstrap when an id repeats. A repeat is almost
    always a copy-paste or merge mistake in the data.
    """
    first: dict[str, str] = {}
    for i, row in enumerate(rows):
        if row.get("id") is None:
            continue
        key, where = str(row["id"]), row.get("_where", f"{split} row {i}")
        if key in first:
            raise ArnewsError(f"{where}: id {key!r} is used twice in the {split} split (first at "
                              f"{first[key]}); give every row its own id")
        first[key] = where
