"""Reader for Mawqif, target-specific stance on Arabic tweets (Alturayeif et al., 2022).

Get it from https://github.com/NoraAlt/Mawqif-Arabic-Stance (also the StanceEval
2024 data; on the hub as NoraAlt/Mawqif_Stance-Detection); licence and citation in
its README. ``path`` is the folder holding ``Mawqif_AllTargets_Train.csv`` (UTF-8 with
a BOM; columns ``ID, text, target, stance, ...``) or that file itself.

Rows are target stance rows: ``target`` is one of three targets (COVID-19 vaccine,
digital transformation, women empowerment) and ``stance`` is favor/against/none
(capitalised in the file; ``None`` is a label, not a missing value).

Only a train file is public, so it is split here into train/dev/test, stratified by
(target, stance) and reproducible from ``seed``. The group is the tweet itself
(``claim_id`` = the row id): with only three targets, grouping by target would put a
whole target in one split and turn the benchmark into cross-target transfer. The
file repeats some tweets under other IDs (7 exact copies; counting near copies, 23
groups of 52 tweets), so the split keeps each duplicate group together
(:func:`arnews.data.leakage.duplicate_groups` with ``near_threshold``; null groups
exact copies only).

Usage::

    splits = read_mawqif("/data/mawqif", dev_fraction=0.1, test_fraction=0.2, seed=13)
    splits["train"][0]                        # {'id': 'mawqif-3', 'target': 'Covid Vaccine',
                                              #  'text': '...', 'stance': 'none', ...}
"""
from __future__ import annotations

from pathlib import Path

from arnews.data.leakage import duplicate_groups
from arnews.data.readers._common import (existing_dir, existing_file, keep, read_csv)
from arnews.data.splits import stratified_group_split
from arnews.errors import ArnewsError

LABELS = ("favor", "against", "none")
FILE = "Mawqif_AllTargets_Train.csv"
GET_IT = "download Mawqif from https://github.com/NoraAlt/Mawqif-Arabic-Stance"


def read_mawqif(path: str, splits=("train", "dev", "test"), dev_fraction: float = 0.1,
                test_fraction: float = 0.2, seed: int = 13, file: str = FILE,
                near_threshold: float | None = 0.9) -> dict[str, list[dict]]:
    """Mawqif tweets as target stance rows, split reproducibly by (target, stance)."""
    given = Path(str(path)).expanduser()
    csv_file = given if given.is_file() else existing_file(
        existing_dir(path, "Mawqif", GET_IT) / file,
        f"data.path must hold {file} ({GET_IT})")
    rows, ids = [], set()
    for line, record in read_csv(csv_file, required=("ID", "text", "target", "stance")):
        where = f"{csv_file}:{line}"
        label = (record["stance"] or "").strip().lower()
        if label not in LABELS:
            raise ArnewsError(f"{where}: stance {record['stance']!r} is not one of Favor, "
                              "Against, None")
        target = (record["target"] or "").strip()
        if not target:
            raise ArnewsError(f"{where}: empty target; every tweet needs one")
        row_id = f"mawqif-{(record['ID'] or '').strip() or line}"
        if row_id in ids:
            raise ArnewsError(f"{where}: duplicate ID {record['ID']!r}; IDs must be unique")
        ids.add(row_id)
        rows.append({"id": row_id, "target": target, "text": (record["text"] or "").strip(),
                     "stance": label, "claim_id": row_id, "_where": where})
    if not rows:
        raise ArnewsError(f"{csv_file}: the file holds no rows")
    group = dict(zip(map(id, rows), duplicate_groups(rows, near_threshold)))
    out = stratified_group_split(rows, lambda r: f"{r['target']}|{r['stance']}",
                                 lambda r: str(group[id(r)]), dev_fraction, test_fraction, seed)
    return keep({s: v for s, v in out.items() if v}, splits)
