"""Reader for ANS, the Arabic News Stance corpus (Khouja, FEVER 2020; Apache-2.0).

Get it from https://github.com/latynt/ans. ``path`` is the dataset folder holding
``stance/{train,dev,test}.csv`` (or the ``stance`` folder itself). Each CSV row is a headline pair ``s1, s2, stance``: ``s1`` is the claim,
``s2`` the "article" (a paraphrased or corrupted headline), and the stance is
``agree``, ``disagree`` or ``other``. Those are the values in the released files; a
copy with numeric codes needs ``label_map`` (e.g. ``{0: agree, 1: disagree, 2:
other}``; the dataset does not document a coding, so check yours).

``claim_id`` is a stable hash of the normalised ``s1`` so that pairs of one claim
form a group. The official splits are kept as released even though a few claims
appear in two of them (12 train/test, 25 train/dev in v0.1); the ``s2`` texts are
distinct across splits but for one train/dev copy.

Usage::

    splits = read_ans("/data/ans")            # {'train': [...], 'dev': [...], 'test': [...]}
    splits["train"][0]["stance"]              # 'disagree'
"""
from __future__ import annotations

from pathlib import Path

from arnews.data.leakage import normalise
from arnews.data.readers._common import (decode_label, existing_dir, keep, label_names_of,
                                         read_csv, stable_id)
from arnews.errors import ArnewsError

LABELS = ("agree", "disagree", "other")
GET_IT = "download ANS from https://github.com/latynt/ans"


def _stance_dir(folder: Path) -> Path:
    for candidate in (folder / "stance", folder):
        if (candidate / "train.csv").is_file():
            return candidate
    raise ArnewsError(f"{folder}: no stance/train.csv (or train.csv); point data.path at "
                      "the ANS folder holding stance/{train,dev,test}.csv")


def read_ans(path: str, splits=("train", "dev", "test"), label_map: dict | None = None
             ) -> dict[str, list[dict]]:
    """ANS headline pairs as claim stance rows, in the released train/dev/test."""
    folder = _stance_dir(existing_dir(path, "ANS", GET_IT))
    names = label_names_of(label_map) or None
    out = {}
    for split in splits:
        file = folder / f"{split}.csv"
        if not file.is_file():
            if split == "dev":
                continue
            raise ArnewsError(f"{file}: file not found; the ANS stance folder must hold "
                              f"{split}.csv")
        rows = []
        for line, record in read_csv(file, required=("s1", "s2", "stance")):
            where = f"{file}:{line}"
            raw = record["stance"] if names is None else decode_label(
                record["stance"], "stance", names, where, option="label_map")
            label = str(raw).strip().lower()
            if label not in LABELS:
                raise ArnewsError(f"{where}: stance {record['stance']!r} is not one of "
                                  f"{', '.join(LABELS)}; map codes with data.reader.label_map")
            claim = (record["s1"] or "").strip()
            rows.append({"id": f"ans-{split}-{line}", "claim": claim,
                         "text": (record["s2"] or "").strip(), "stance": label,
                         "claim_id": stable_id(normalise(claim), "ans-"), "_where": where})
        if not rows:
            raise ArnewsError(f"{file}: the file holds no rows")
        out[split] = rows
    return keep(out, splits)
